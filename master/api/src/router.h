// The route table: method and path pattern ("/api/v1/meters/{id}") to the permission a caller
// needs and the handler.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "call.h"

namespace heatlink::master::api {

using Handler = std::function<Response(Call&)>;

// Who may call a route: a permission, or one of these.
inline constexpr const char* kPublic = "public";  // nobody signed in
inline constexpr const char* kSignedIn = "";      // any signed-in user

struct Route {
  std::string method;
  std::string pattern;
  std::string permission;
  Handler handler;
};

class Router {
 public:
  void add(std::string method, std::string pattern, std::string permission, Handler handler);

  struct Match {
    const Route* route = nullptr;
    std::map<std::string, std::string> path;
    bool other_method = false;  // the path exists with another method: 405
  };
  Match match(std::string_view method, std::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

// The routes of each module.
class LoginThrottle;
void add_auth_routes(Router& router, LoginThrottle& throttle);
void add_monitoring_routes(Router& router);
void add_statistics_routes(Router& router);
void add_reading_routes(Router& router);
void add_reconciliation_routes(Router& router);
void add_identity_routes(Router& router);
void add_replacement_routes(Router& router);
void add_base_routes(Router& router);
void add_system_routes(Router& router);
void add_access_routes(Router& router);
void add_valve_routes(Router& router);

}  // namespace heatlink::master::api
