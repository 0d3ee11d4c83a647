// The simulator's control API (docs/sim-api.md): HTTP/JSON calls as plain functions behind a
// route table over a District, testable without sockets. The HTTP server (control_server.h)
// only moves requests and responses, and streams the traffic.
//
// Not thread-safe: runs on the simulation's thread.
#pragma once

#include <string>
#include <string_view>

#include "heatlink/sim/district.h"
#include "heatlink/sim/pace.h"

namespace heatlink::sim {

struct ApiRequest {
  std::string method;  // GET, POST, PUT, DELETE
  std::string target;  // path and query: /api/v1/meters?offset=0&limit=50
  std::string body;
};

struct ApiResponse {
  int status = 200;
  std::string body;  // JSON
};

class ControlApi {
 public:
  // `runner` may be null (no pace control); both must outlive the API.
  ControlApi(District& district, PacedRunner* runner);

  ApiResponse handle(const ApiRequest& request);
  bool paused() const noexcept { return paused_; }
  // `heatlink sim`: each call first brings the district up to the runner's virtual now (its
  // loop may be waiting for the next event), so that it reads and acts on the district as of
  // now. A harness that steps the time itself leaves it off: its run stays deterministic.
  void follow_runner(bool on) noexcept { follow_runner_ = on; }

 private:
  District& district_;
  PacedRunner* runner_;
  Pace pace_before_pause_;
  bool paused_ = false;
  bool follow_runner_ = false;

  friend struct ControlRoutes;
};

}  // namespace heatlink::sim
