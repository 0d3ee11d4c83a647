// The DTU gateway: the TCP server GPRS DTUs connect to (REFERENCE.md section 5).
//
// One DtuSession per connection, on its own strand (DESIGN.md rule 4). A session learns
// which DTU it is from the registration - by a known DTU's ID, which names its model and so
// its convention (id_on_connect, id_prefixed, DDP) - filters heartbeats out before anything
// parses the serial bytes, and runs link procedures over the DTU's serial line one at a time.
// The newest connection for an ID wins; a connection silent for `missed_heartbeats`
// heartbeat intervals is dropped; unknown IDs are rejected or parked as unassigned; every
// connection is bounded in bytes buffered and time to register, the server in connections.
//
// Thread-safety: start() and stop() from one thread; snapshot(), state() and run() from any.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "heatlink/master/gateway/dtu_registry.h"
#include "heatlink/master/gateway/gateway_config.h"
#include "heatlink/master/link/link_driver.h"
#include "heatlink/protocol/link.h"

namespace heatlink::master {

class DtuSession;

class Gateway {
 public:
  using Log = DtuRegistry::Log;
  using Done = ProcedureDone;

  // `io` must outlive the gateway and be run by the caller (on one or more threads). `clock`
  // stamps the DTUs' sessions and says whether a holder of an ID is still alive: the master's
  // clock (a simulated district's in live scenario runs).
  Gateway(boost::asio::io_context& io, GatewayConfig config, Log log = {},
          DtuRegistry::WallClock clock = &std::chrono::system_clock::now);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Binds and starts accepting.
  IoStatus start();
  // Stops accepting and closes every connection.
  void stop();
  std::uint16_t port() const noexcept { return port_; }

  std::vector<DtuState> snapshot() const { return registry_.snapshot(); }
  std::optional<DtuState> state(const std::string& id) const { return registry_.state(id); }
  GatewayStats stats() const { return registry_.stats(); }
  // An operator's answer to a DTU ID claimed by two devices (DtuRegistry::resolve_conflict).
  bool resolve_conflict(const std::string& id) { return registry_.resolve_conflict(id); }

  // Runs `procedure` over the serial line behind DTU `id`, after the procedures already
  // queued for it; `done` gets an I/O failure (offline, connection lost) or ok, on a gateway
  // thread. The procedure must outlive the call to `done`.
  void run(const std::string& id, std::shared_ptr<protocol::link::Procedure> procedure, Done done);

 private:
  void do_accept();

  boost::asio::io_context& io_;
  std::string problem_;  // of the configuration, reported by start()
  DtuRegistry registry_;
  struct Acceptor;
  std::unique_ptr<Acceptor> acceptor_;
  std::uint16_t port_ = 0;
  std::mutex mutex_;  // guards sessions_
  std::vector<std::weak_ptr<DtuSession>> sessions_;
};

}  // namespace heatlink::master
