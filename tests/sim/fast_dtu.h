// An MD-109G for tests of the link: id_on_connect as 13800138000, a heartbeat a minute, and a
// bearer that attaches in 5 s and activates its PDP context in 1 s, every time.
#pragma once

#include "heatlink/sim/md109g.h"

namespace heatlink::sim::test {

inline DtuConfig fast_dtu() {
  DtuConfig c;
  c.profile =
      protocol::dtu::Profile{protocol::dtu::Convention::id_on_connect, "13800138000", "", ""};
  c.heartbeat_interval = seconds(60);
  c.attach_min = c.attach_max = seconds(5);
  c.pdp_min = c.pdp_max = seconds(1);
  return c;
}

}  // namespace heatlink::sim::test
