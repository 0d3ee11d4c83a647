// The API on HTTP (Boost.Beast): a session per connection, requests answered by Api::handle()
// on a few threads, each with its own Storage. Limits: header size (8 KiB), body size (1 MiB,
// imports 32 MiB), the time a request may take to arrive (a slow client is cut off), open
// connections. With `web`, every path but /api/... and /metrics is the browser UI's.
// GET /api/v1/monitoring/stream is served as server-sent events: the changes of
// /api/v1/monitoring/changes, pushed as they come.
//
// start() and stop() from one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "heatlink/master/api/api.h"
#include "heatlink/master/api/web_files.h"

namespace heatlink::master::api {

struct ApiServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: any free port (tests)
  unsigned threads = 2;
  std::size_t body_limit = 1 << 20;
  std::size_t import_body_limit = 32 << 20;
  std::chrono::milliseconds request_timeout{10'000};  // to receive a whole request
  // Open connections, of everyone and of one address: beyond these the oldest connection
  // waiting for a request (of that address) is closed for the newcomer; a newcomer is refused
  // only when every connection is busy.
  std::size_t max_connections = 1000;
  std::size_t max_connections_per_address = 256;
  std::chrono::milliseconds stream_interval{2'000};  // how often a stream looks for changes
  std::shared_ptr<const WebFiles> web;  // the browser UI, served beside the API; null: none
};

class ApiServer {
 public:
  using OpenStorage = std::function<StorageResult<std::unique_ptr<Storage>>()>;

  ApiServer(Api& api, OpenStorage open_storage, ApiServerOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Opens the storage connections, listens and starts the threads. Empty, or what failed.
  std::string start();
  std::uint16_t port() const;
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace heatlink::master::api
