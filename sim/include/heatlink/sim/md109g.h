// The MD-109G GPRS DTU: serial bytes from the concentrator go to the server over a TCP
// connection through the mobile network, and back.
//
// Its bearer goes attach -> PDP activation -> TCP connect -> registered, each step with a
// drawn delay and a failure probability; registered, it sends its registration in its
// convention (protocol/dtu.h), heartbeats every interval, packs serial bytes into packets
// (a gap longer than the packing interval, or a full packet, ends one, so a long M-Bus frame
// may leave in two TCP chunks), and reconnects with backoff and a new IP after any failure. A
// reboot loses the serial buffer and forgets the connection without closing it: the server
// is left with a half-open socket and sees the ID register again.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "heatlink/protocol/dtu.h"
#include "heatlink/sim/event_queue.h"
#include "heatlink/sim/random.h"
#include "heatlink/sim/trace.h"

namespace heatlink::sim {

// The DTU's view of its TCP connection. Implementations: an in-process network in
// deterministic runs, real sockets in live ones. Results come back through DtuLinkEvents.
class Uplink {
 public:
  virtual ~Uplink() = default;
  // Opens a connection from `local_ip` (a new one each time: carrier-grade NAT).
  virtual void open(std::uint32_t local_ip) = 0;
  virtual void send(protocol::Bytes bytes) = 0;
  virtual void close() = 0;    // an orderly close (FIN)
  virtual void abandon() = 0;  // forget the connection without telling anyone (reboot)
};

struct DtuConfig {
  protocol::dtu::Profile profile;
  Micros heartbeat_interval = seconds(60);
  Micros packing_interval = milliseconds(100);  // a serial gap this long ends a packet
  std::size_t max_packet = 256;                 // a packet never carries more serial bytes
  std::size_t serial_buffer = 2048;             // bytes waiting for the uplink; more are lost
  unsigned serial_baud = 2400;
  int serial_bits_per_character = 11;
  // The bearer: uniform delays in [min, max], and the probability that a step fails.
  Micros attach_min = seconds(2), attach_max = seconds(30);
  double attach_failure = 0.0;
  Micros pdp_min = seconds(1), pdp_max = seconds(5);
  double pdp_failure = 0.0;
  Micros connect_timeout = seconds(30);
  Micros ack_timeout = seconds(30);  // DDP: the server's register ack
  Micros backoff_initial = seconds(5), backoff_max = minutes(5);
};

enum class BearerState : std::uint8_t {
  off,
  attaching,
  activating_pdp,
  connecting,
  awaiting_ack,
  registered,
  waiting_to_retry
};
const char* bearer_state_name(BearerState state) noexcept;

struct DtuCounters {
  std::uint64_t connects = 0;       // TCP connections made
  std::uint64_t registrations = 0;  // registration packets sent
  std::uint64_t heartbeats = 0;
  std::uint64_t failures = 0;  // steps that failed, connections lost
  std::uint64_t bytes_up = 0, bytes_down = 0;
  std::uint64_t serial_bytes_lost = 0;
};

class Md109g {
 public:
  // `queue`, `uplink` and `trace` (which may be null) must outlive the DTU.
  Md109g(EventQueue& queue, DtuConfig config, std::uint64_t seed, Uplink& uplink,
         Trace* trace = nullptr);

  void power_on();
  void power_off();
  void reboot();
  // Configured with another DTU ID (a fitter's correction, or a cloned SIM profile claiming
  // another device's): a DTU that is on restarts and registers with it.
  void configure_id(std::string id);

  // Serial side: bytes from the concentrator's RS-232, and where the server's bytes go.
  void serial_receive(protocol::Bytes bytes);
  void set_serial_sender(std::function<void(protocol::Bytes)> sender) {
    serial_sender_ = std::move(sender);
  }

  // Uplink events.
  void on_connected();
  void on_connect_failed();
  void on_data(protocol::Bytes bytes);
  void on_closed();  // closed or reset by the server or the network

  BearerState state() const noexcept { return state_; }
  std::uint32_t ip() const noexcept { return ip_; }
  const DtuCounters& counters() const noexcept { return counters_; }
  const DtuConfig& config() const noexcept { return config_; }

 private:
  void enter(BearerState state);
  void start_attach();
  void schedule(Micros delay, void (Md109g::*step)());
  void attach_done();
  void pdp_done();
  void connect_timed_out();
  void registered();
  void fail();
  void heartbeat();
  void flush_serial();
  void send_up(const std::vector<std::uint8_t>& bytes);
  void record(std::string_view kind, protocol::Bytes bytes = {});

  EventQueue& queue_;
  DtuConfig config_;
  RandomStream random_;
  Uplink& uplink_;
  Trace* trace_;
  std::function<void(protocol::Bytes)> serial_sender_;
  BearerState state_ = BearerState::off;
  std::uint64_t epoch_ = 0;  // bumps on every state change: stale timers do nothing
  std::uint32_t ip_ = 0;
  Micros backoff_ = 0;
  std::vector<std::uint8_t> serial_;
  std::optional<EventQueue::EventId> flush_timer_;
  std::optional<protocol::dtu::DownstreamDecoder> downstream_;
  DtuCounters counters_;
};

}  // namespace heatlink::sim
