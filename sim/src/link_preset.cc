#include "heatlink/sim/topology.h"

namespace heatlink::sim {

std::vector<LinkFault> link_preset(std::string_view name) {
  if (name == "good")
    return {{FaultKind::latency, Direction::both, milliseconds(80), milliseconds(40)}};
  std::vector<LinkFault> faults = {
      {FaultKind::latency, Direction::both, milliseconds(500), milliseconds(400)},
      {FaultKind::bandwidth, Direction::up, 0, 0, 0, 1.0, 20'000},    // GPRS: ~20 kbit/s up
      {FaultKind::bandwidth, Direction::down, 0, 0, 0, 1.0, 50'000},  // ~50 kbit/s down
  };
  if (name == "poor") {
    faults.push_back(
        {FaultKind::first_packet_penalty, Direction::both, seconds(2), 0, seconds(30)});
    faults.push_back({FaultKind::nat_idle_timeout, Direction::both, 0, 0, minutes(10)});
  }
  return faults;
}

}  // namespace heatlink::sim
