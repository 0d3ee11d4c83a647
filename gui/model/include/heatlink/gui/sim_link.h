// The panel's line to a JSON API under /api/v1: a running `heatlink sim --control HOST:PORT`
// (docs/sim-api.md), or the master's management API (docs/api.md, with an API token). One
// kept-alive HTTP/1.1 connection, opened again after a failure. Calls answer the parsed JSON,
// or an error naming the call and what went wrong.
//
// Not thread-safe: one thread calls it (the panel model's).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>

namespace heatlink::gui {

using Json = nlohmann::json;

struct LinkError {
  int status = 0;  // 0: no connection
  std::string message;
};

using LinkResult = std::variant<Json, LinkError>;

class SimLink {
 public:
  // `bearer`: an API token sent as `Authorization: Bearer` (the master's API).
  SimLink(std::string host, std::uint16_t port, std::string bearer = {});
  ~SimLink();
  SimLink(const SimLink&) = delete;
  SimLink& operator=(const SimLink&) = delete;

  // `GET /api/v1/status` and the like; `body` is sent as JSON when not null.
  LinkResult call(const std::string& method, const std::string& path, const Json& body = nullptr);

  const std::string& host() const { return host_; }
  std::uint16_t port() const { return port_; }

 private:
  struct Connection;
  std::string host_;
  std::uint16_t port_;
  std::string bearer_;
  std::unique_ptr<Connection> connection_;
};

}  // namespace heatlink::gui
