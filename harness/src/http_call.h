// One call on the simulator's control API over HTTP/1.1 (live runs), as ControlApi::handle
// answers it in process, or on the master's web API.
#pragma once

#include <string>

#include "heatlink/sim/control_api.h"

namespace heatlink::harness {

// A connection failure answers status 0 with the error in the body. With a `bearer` token the
// call is authorised by it (the master's API).
sim::ApiResponse http_call(const std::string& host, unsigned short port,
                           const sim::ApiRequest& request, const std::string& bearer = {});

}  // namespace heatlink::harness
