// One call on the simulator's control API over HTTP/1.1 (live runs), as ControlApi::handle
// answers it in process.
#pragma once

#include <string>

#include "heatlink/sim/control_api.h"

namespace heatlink::harness {

// A connection failure answers status 0 with the error in the body.
sim::ApiResponse http_call(const std::string& host, unsigned short port,
                           const sim::ApiRequest& request);

}  // namespace heatlink::harness
