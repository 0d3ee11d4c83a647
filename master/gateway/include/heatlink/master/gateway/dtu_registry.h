// Which DTUs the gateway knows, which connection speaks for each, and what the gateway has
// counted: the gateway's state without sockets, so that the live gateway (Asio) and the
// harness's in-process gateway (virtual clock) keep it the same way.
//
// A second connection claiming an ID (docs/gateway.md, "One ID, two connections") takes over
// at once only when the session holding it has been silent for most of a heartbeat interval
// (a NAT that forgot the mapping, a DTU rebooted): the stale one is closed. Against a session
// that is alive it waits as a contender; if the holder then shows it is alive (any bytes),
// two devices claim the ID - a cloned SIM, a misconfigured DTU - and the ID is in conflict
// until an operator resolves it (resolve_conflict()). Neither is closed meanwhile (closing
// one only makes it reconnect: sessions replacing each other all day). A contender takes over
// when the holder's connection ends.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "heatlink/master/gateway/gateway_config.h"
#include "heatlink/master/link/link_driver.h"
#include "heatlink/protocol/link.h"

namespace heatlink::master {

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
  // Claims of the ID by a second connection while a session held it, and whether two devices
  // were seen alive at once (open until an operator resolves it).
  std::uint64_t contested_claims = 0;
  bool conflict = false;
  std::string conflict_detail;          // the addresses, when, how often
  std::vector<std::string> contenders;  // remotes of the waiting connections
  // Connections that claimed the ID without its key or from outside its networks, and the last.
  std::uint64_t refused_claims = 0;
  std::string last_refused;
};

struct GatewayStats {
  std::size_t connections = 0;
  std::size_t unregistered = 0;
  std::size_t online = 0;
  std::uint64_t accepted = 0;
  std::uint64_t refused = 0;  // over max_connections with every connection registered
  std::uint64_t evicted = 0;  // unregistered connections closed to make room for a newer one
  std::size_t parked = 0;     // unknown DTUs kept as unassigned
  std::uint64_t parked_forgotten = 0;  // parked IDs forgotten to make room (max_parked)
  std::uint64_t rejected = 0;          // unknown IDs, bad registrations, timeouts, overflows
  std::uint64_t replaced = 0;          // stale connections closed for a newer one
  std::uint64_t silent_drops = 0;
};

// Counters a connection hands over after each read or write.
struct DtuTraffic {
  std::uint64_t in = 0, out = 0, heartbeats = 0, garbage = 0, unsolicited = 0;
  bool empty() const noexcept { return in + out + heartbeats + garbage + unsolicited == 0; }
};

using ProcedureDone = std::function<void(const IoStatus& status)>;

// One connection as the registry sees it. close() and enqueue() may be called from any
// thread; id() and registered() are set once, before the registry hears of the registration.
class DtuEndpoint {
 public:
  virtual ~DtuEndpoint() = default;
  virtual const std::string& id() const = 0;
  virtual const std::string& remote() const = 0;
  virtual bool registered() const = 0;
  virtual void close(std::string reason) = 0;
  // Runs `procedure` after those queued; `done` gets ok or why the line failed.
  virtual void enqueue(std::shared_ptr<protocol::link::Procedure> procedure,
                       ProcedureDone done) = 0;
};

class DtuRegistry {
 public:
  using Log = std::function<void(const std::string& line)>;
  using WallClock = std::function<std::chrono::system_clock::time_point()>;

  // `config` must be usable (GatewayConfig::problem() empty).
  explicit DtuRegistry(GatewayConfig config, Log log = {},
                       WallClock clock = &std::chrono::system_clock::now);

  const GatewayConfig& config() const noexcept { return config_; }

  // How a registering ID is read: its model, or the unknown model when parked, or null
  // (reject).
  const DtuModel* model_for_id(const std::string& id, bool& parked) const;
  // True when a known ID is longer than `prefix` and starts with it.
  bool longer_known(std::string_view prefix) const;
  std::size_t longest_known_id() const noexcept { return longest_id_; }

  // Why a connection from `remote` may not speak for `id` with the `key` its registration
  // carried (GatewayConfig::keys, networks); empty when it may. A refusal is counted on the
  // DTU (DtuState::refused_claims).
  std::string distrust(const std::string& id, const std::string& key, const std::string& remote);
  // A new connection, not registered yet: false when it is refused (max_connections reached,
  // every connection registered). To make room - within max_connections, max_unregistered
  // and max_unregistered_per_address - the oldest unregistered connection (of the newcomer's
  // address, for the last) is closed instead.
  bool admit(const std::shared_ptr<DtuEndpoint>& endpoint);
  void on_registered(const std::shared_ptr<DtuEndpoint>& endpoint, const DtuModel& model,
                     bool parked);
  void on_closed(const DtuEndpoint& endpoint, const std::string& reason, bool silent,
                 bool rejected);
  // Counters of the connection from `remote` registered as `id`.
  void on_traffic(const std::string& id, const std::string& remote, const DtuTraffic& traffic);
  // An operator's answer to a conflict: the holder keeps the ID, the contenders are closed,
  // the conflict is cleared. False when the ID is not in conflict.
  bool resolve_conflict(const std::string& id);

  // The connection speaking for `id` now, or null.
  std::shared_ptr<DtuEndpoint> endpoint(const std::string& id) const;
  std::vector<DtuState> snapshot() const;
  std::optional<DtuState> state(const std::string& id) const;
  GatewayStats stats() const;

 private:
  struct Contender {
    std::weak_ptr<DtuEndpoint> endpoint;
    std::chrono::system_clock::time_point claimed_at{};
  };
  struct Entry {
    DtuState state;
    std::weak_ptr<DtuEndpoint> endpoint;
    Seconds heartbeat{60};
    std::vector<Contender> contenders;
    std::uint64_t offline_order = 0;  // a parked ID's place in parked_offline_ (0: online)
  };
  // A connection waiting to register, in the order they came.
  struct Waiting {
    std::weak_ptr<DtuEndpoint> endpoint;
    std::string address;  // the remote's host
  };
  using WaitingList = std::list<Waiting>;
  // Takes a connection off the waiting list (it registered, closed or gave way).
  void stop_waiting(const DtuEndpoint* endpoint);
  // The oldest waiting connection (of `address`, unless empty), taken off the list.
  std::shared_ptr<DtuEndpoint> give_way(const std::string& address);
  // Room for a newly parked ID; false when every parked DTU is online.
  bool room_to_park(const std::string& id);
  void contest(Entry& entry, const std::shared_ptr<DtuEndpoint>& endpoint);
  static void list_contenders(Entry& entry);
  void log(const std::string& line) const;

  const GatewayConfig config_;
  Log log_;
  WallClock clock_;
  std::size_t longest_id_ = 0;
  mutable std::mutex mutex_;  // guards everything below
  std::map<std::string, Entry> dtus_;
  WaitingList waiting_;
  std::map<const DtuEndpoint*, WaitingList::iterator> waiting_index_;
  std::map<std::string, std::size_t> waiting_per_address_;
  std::size_t parked_ = 0;
  // Parked IDs offline, oldest first: (when they went offline, in registry order; ID).
  std::set<std::pair<std::uint64_t, std::string>> parked_offline_;
  std::uint64_t offline_order_ = 0;
  GatewayStats stats_;
};

}  // namespace heatlink::master
