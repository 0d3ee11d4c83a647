// The control API over HTTP (Boost.Beast) on the live loop's io_context: one session per
// connection, a body limit on the parser, keep-alive, and GET /api/v1/traffic as a stream of
// server-sent events. Not thread-safe: runs on the simulation's thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "heatlink/sim/control_api.h"
#include "heatlink/sim/trace.h"

namespace heatlink::sim {

class ControlServer {
 public:
  // Listens on host:port (port 0: any free one). On failure `error` says why and port() is 0.
  ControlServer(boost::asio::io_context& io, ControlApi& api, const std::string& host,
                std::uint16_t port, std::string& error);
  ~ControlServer();

  std::uint16_t port() const noexcept { return port_; }
  // Sends one event (a JSON object) to every open traffic stream.
  void publish(std::string_view json);
  // Publishes each event of `trace` from now on, decoded (the server must outlive the trace).
  void stream(Trace& trace);
  std::size_t streams() const noexcept;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
  std::uint16_t port_ = 0;
};

}  // namespace heatlink::sim
