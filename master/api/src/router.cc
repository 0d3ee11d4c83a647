#include "router.h"

namespace heatlink::master::api {

namespace {

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 1;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Whether `path` fits `pattern`, collecting {name} segments.
bool fits(std::string_view pattern, std::string_view path,
          std::map<std::string, std::string>& params) {
  const auto want = segments(pattern);
  const auto have = segments(path);
  if (want.size() != have.size()) return false;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (want[i].starts_with('{') && want[i].ends_with('}')) {
      if (have[i].empty()) return false;
      params[std::string(want[i].substr(1, want[i].size() - 2))] = std::string(have[i]);
    } else if (want[i] != have[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

void Router::add(std::string method, std::string pattern, std::string permission, Handler handler) {
  routes_.push_back(
      {std::move(method), std::move(pattern), std::move(permission), std::move(handler)});
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match found;
  // Literal segments win over parameters: /meters/import before /meters/{id}.
  std::size_t best_literals = 0;
  for (const Route& route : routes_) {
    std::map<std::string, std::string> params;
    if (!fits(route.pattern, path, params)) continue;
    if (route.method != method) {
      found.other_method = true;
      continue;
    }
    const std::size_t literals = segments(route.pattern).size() - params.size();
    if (found.route == nullptr || literals > best_literals) {
      found.route = &route;
      found.path = std::move(params);
      best_literals = literals;
    }
  }
  if (found.route != nullptr) found.other_method = false;
  return found;
}

}  // namespace heatlink::master::api
