// The mobile network between one DTU and the server: the DTU's TCP connection, carried
// through fault stages (REFERENCE.md section 6), per direction, in virtual time.
//
// Generic faults (Toxiproxy-style) act on the chunks of one direction: latency and jitter,
// bandwidth, re-chunking, black hole, stall then close, reset, slow close, close after N
// bytes, loss, duplication, reordering, corruption. Cellular faults act on the bearer and the
// carrier's NAT: a partition, an outage (traffic held, then delivered late), a NAT idle
// timeout that silently kills the mapping (the server keeps a half-open socket; the DTU learns
// only when it next sends), PDP context loss, latency spikes, the first-packet-after-idle
// penalty, heartbeat loss, a duplicated registration. Every fault has a stop, and heal_all().
//
// The server end is a ServerEnd: an in-process server in deterministic runs, a real socket in
// live ones. Not thread-safe; runs on the simulation's queue.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "heatlink/sim/md109g.h"

namespace heatlink::sim {

class GprsLink;

class ServerEnd {
 public:
  virtual ~ServerEnd() = default;
  // A connection from `remote_ip` arrived through `link`; `connection` (unique across links)
  // names it in later calls, and in the link's server_send() and server_close().
  virtual void accepted(std::uint64_t connection, std::uint32_t remote_ip, GprsLink& link) = 0;
  virtual void received(std::uint64_t connection, protocol::Bytes bytes) = 0;
  virtual void closed(std::uint64_t connection) = 0;  // FIN or RST from the DTU's side
};

enum class Direction : std::uint8_t { up, down, both };

enum class FaultKind : std::uint8_t {
  latency,
  bandwidth,
  slicer,
  black_hole,
  stall_then_close,
  reset,
  slow_close,
  close_after_bytes,
  loss,
  duplicate,
  reorder,
  corrupt,
  partition,
  outage,
  nat_idle_timeout,
  pdp_loss,
  first_packet_penalty,
  heartbeat_loss,
  duplicate_registration,
};
const char* fault_kind_name(FaultKind kind) noexcept;
std::optional<FaultKind> parse_fault_kind(std::string_view name) noexcept;
// Every fault's name, in the order of docs/topology.md.
std::vector<std::string_view> fault_kind_names();

struct LinkFault {
  FaultKind kind = FaultKind::latency;
  Direction direction = Direction::both;
  Micros delay = 0;          // latency, stall, slow close, spike, first-packet penalty, slicer gap
  Micros jitter = 0;         // latency
  Micros period = 0;         // nat idle timeout; first-packet penalty's idle threshold
  double probability = 1.0;  // loss, duplicate, reorder, corrupt, heartbeat loss
  std::uint64_t amount = 0;  // bandwidth (bit/s), slicer (bytes per chunk), close after N bytes
  Micros lasting = 0;        // the fault stops by itself after this long (0: until stopped)
  Micros ends_at = 0;        // set by start() when it lasts: the virtual time it stops
};

class GprsLink final : public Uplink {
 public:
  // `server` and `trace` (may be null) must outlive the link.
  // `first_connection` numbers this link's connections (keep links' ranges apart).
  GprsLink(EventQueue& queue, ServerEnd& server, std::uint64_t seed, std::string name,
           Trace* trace = nullptr, std::uint64_t first_connection = 1);
  void bind(Md109g& dtu) { dtu_ = &dtu; }

  // Uplink, the DTU's side.
  void open(std::uint32_t local_ip) override;
  void send(protocol::Bytes bytes) override;
  void close() override;
  void abandon() override;

  // The server's side of the current connection (stale connections are ignored, as the
  // carrier's NAT drops packets for mappings it no longer has).
  void server_send(std::uint64_t connection, protocol::Bytes bytes);
  void server_close(std::uint64_t connection);

  // Faults: start returns an id for stop(). A fault that is `lasting` stops itself then.
  std::uint64_t start(const LinkFault& fault);
  bool stop(std::uint64_t id);
  void heal_all();
  std::vector<std::pair<std::uint64_t, LinkFault>> active() const;

  Micros connect_latency = milliseconds(800);
  std::optional<std::uint64_t> connection() const noexcept { return connection_; }

 private:
  struct Pipe {
    Micros busy_until = 0;     // bandwidth: when the last chunk is through
    Micros last_delivery = 0;  // TCP keeps order
    std::uint64_t bytes = 0;
    std::optional<std::vector<std::uint8_t>> held_for_reorder;
  };

  bool applies(const LinkFault& f, Direction d) const noexcept;
  bool has(FaultKind kind, Direction d) const noexcept;
  void carry(Direction d, std::vector<std::uint8_t> bytes);
  void deliver(Direction d, std::uint64_t connection, Micros at, std::vector<std::uint8_t> bytes);
  void reset_connection(std::string_view why);
  void touch();
  void arm_nat_timer();
  void record(std::string_view kind, protocol::Bytes bytes = {});

  EventQueue& queue_;
  ServerEnd& server_;
  RandomStream random_;
  std::string name_;
  Trace* trace_;
  Md109g* dtu_ = nullptr;
  std::optional<std::uint64_t> connection_;
  std::uint64_t next_connection_ = 1;
  bool nat_dead_ = false;  // the NAT dropped the mapping: the next upstream packet meets a RST
  bool registration_sent_ = false;
  Micros last_traffic_ = 0;
  Pipe up_, down_;
  std::map<std::uint64_t, LinkFault> faults_;
  std::uint64_t next_fault_ = 1;
};

}  // namespace heatlink::sim
