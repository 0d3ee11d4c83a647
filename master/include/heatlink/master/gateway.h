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
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "heatlink/master/link_driver.h"
#include "heatlink/protocol/dtu.h"
#include "heatlink/protocol/link.h"

namespace heatlink::master {

using Seconds = std::chrono::duration<double>;

// How one kind of DTU speaks.
struct DtuModel {
  std::string name;
  protocol::dtu::Convention convention = protocol::dtu::Convention::id_on_connect;
  std::string heartbeat;  // id_on_connect: the heartbeat packet (empty: the ID)
  Seconds heartbeat_interval{60};
  unsigned bus_baud = 2400;       // the slowest link to the meters (the M-Bus), for timeouts
  Seconds latency{5};             // what the mobile path adds to a round trip
  bool store_and_forward = true;  // the concentrator forwards a reply once it has all of it
};

enum class UnknownDtus : std::uint8_t { reject, park };

struct GatewayConfig {
  std::string host = "0.0.0.0";
  std::uint16_t port = 0;  // 0: any free port (see Gateway::port())
  std::vector<DtuModel> models;
  std::map<std::string, std::string> dtus;  // known DTU ID -> model name
  UnknownDtus unknown = UnknownDtus::reject;
  std::string unknown_model;           // how parked DTUs are read (default: the first model)
  std::size_t unknown_id_length = 11;  // id_on_connect / id_prefixed IDs of unknown DTUs
  unsigned missed_heartbeats = 3;      // silent this many intervals: the connection is dead
  Seconds registration_timeout{30};
  std::size_t max_connections = 20000;
  std::size_t max_unregistered = 1000;  // connections that have not registered yet
  std::size_t max_buffer = 4096;        // bytes buffered per connection before it is dropped

  const DtuModel* model(const std::string& name) const;
  // Empty when usable, else what is wrong ("dtus: 13800000001: no model 'MD-109X'").
  std::string problem() const;
};

// A gateway configuration from YAML (docs/gateway.md); errors name file:line:column.
std::variant<GatewayConfig, std::string> load_gateway_config(const std::string& path);

struct DtuState {
  std::string id;
  std::string model;
  bool online = false;
  bool parked = false;  // an unknown DTU kept as "unassigned"
  std::string remote;   // "10.64.0.2:40312" of the live (or last) connection
  std::chrono::system_clock::time_point connected_at{};
  std::chrono::system_clock::time_point last_seen{};
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t registrations = 0;
  std::uint64_t heartbeats = 0;
  std::uint64_t garbage_packets = 0;    // framing the DTU's convention rejected
  std::uint64_t unsolicited_bytes = 0;  // serial bytes nobody asked for
  std::string last_drop;                // why the last connection ended
};

struct GatewayStats {
  std::size_t connections = 0;
  std::size_t unregistered = 0;
  std::size_t online = 0;
  std::uint64_t accepted = 0;
  std::uint64_t refused = 0;   // over max_connections or max_unregistered
  std::uint64_t rejected = 0;  // unknown IDs, bad registrations, timeouts, overflows
  std::uint64_t replaced = 0;  // stale connections closed for a newer one
  std::uint64_t silent_drops = 0;
};

class DtuSession;

class Gateway {
 public:
  using Log = std::function<void(const std::string& line)>;
  using Done = std::function<void(const IoStatus& status)>;

  // `io` must outlive the gateway and be run by the caller (on one or more threads).
  Gateway(boost::asio::io_context& io, GatewayConfig config, Log log = {});
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Binds and starts accepting.
  IoStatus start();
  // Stops accepting and closes every connection.
  void stop();
  std::uint16_t port() const noexcept { return port_; }

  std::vector<DtuState> snapshot() const;
  std::optional<DtuState> state(const std::string& id) const;
  GatewayStats stats() const;

  // Runs `procedure` over the serial line behind DTU `id`, after the procedures already
  // queued for it; `done` gets an I/O failure (offline, connection lost) or ok, on a gateway
  // thread. The procedure must outlive the call to `done`.
  void run(const std::string& id, std::shared_ptr<protocol::link::Procedure> procedure, Done done);

 private:
  friend class DtuSession;
  struct Entry {
    DtuState state;
    std::weak_ptr<DtuSession> session;
  };

  void do_accept();
  // Called by sessions (on their strands).
  const DtuModel* model_for_id(const std::string& id, bool& parked) const;
  std::size_t longest_known_id() const noexcept { return longest_id_; }
  // True when a known ID is longer than `prefix` and starts with it.
  bool longer_known(std::string_view prefix) const;
  void on_registered(const std::shared_ptr<DtuSession>& session, const DtuModel& model,
                     bool parked);
  void on_closed(DtuSession& session, const std::string& reason, bool silent, bool rejected);
  void on_traffic(const std::string& id, std::uint64_t in, std::uint64_t out,
                  std::uint64_t heartbeats, std::uint64_t garbage, std::uint64_t unsolicited);
  void log(const std::string& line) const;

  boost::asio::io_context& io_;
  GatewayConfig config_;
  Log log_;
  struct Acceptor;
  std::unique_ptr<Acceptor> acceptor_;
  std::uint16_t port_ = 0;
  std::size_t longest_id_ = 0;

  mutable std::mutex mutex_;  // guards everything below
  std::map<std::string, Entry> dtus_;
  std::vector<std::weak_ptr<DtuSession>> sessions_;
  GatewayStats stats_;
};

}  // namespace heatlink::master
