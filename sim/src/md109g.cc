#include "heatlink/sim/md109g.h"

#include <algorithm>
#include <string>

#include "heatlink/sim/wire.h"

namespace heatlink::sim {

namespace dtu = protocol::dtu;

const char* bearer_state_name(BearerState state) noexcept {
  switch (state) {
    case BearerState::off:
      return "off";
    case BearerState::attaching:
      return "attaching";
    case BearerState::activating_pdp:
      return "activating_pdp";
    case BearerState::connecting:
      return "connecting";
    case BearerState::awaiting_ack:
      return "awaiting_ack";
    case BearerState::registered:
      return "registered";
    case BearerState::waiting_to_retry:
      return "waiting_to_retry";
  }
  return "off";
}

namespace {
constexpr Micros kBootTime = seconds(10);
}  // namespace

Md109g::Md109g(EventQueue& queue, DtuConfig config, std::uint64_t seed, Uplink& uplink,
               Trace* trace)
    : queue_(queue),
      config_(std::move(config)),
      random_(RandomStream::derive(seed, "dtu/" + config_.profile.id)),
      uplink_(uplink),
      trace_(trace) {}

void Md109g::record(std::string_view kind, protocol::Bytes bytes) {
  if (trace_ != nullptr) trace_->record(queue_.now(), "dtu/" + config_.profile.id, kind, bytes);
}

void Md109g::enter(BearerState state) {
  state_ = state;
  ++epoch_;  // timers armed in the previous state no longer apply
  record(std::string("state:") + bearer_state_name(state));
}

void Md109g::schedule(Micros delay, void (Md109g::*step)()) {
  queue_.schedule_after(delay, [this, step, epoch = epoch_] {
    if (epoch == epoch_) (this->*step)();
  });
}

void Md109g::power_on() {
  if (state_ == BearerState::off) start_attach();
}

void Md109g::power_off() {
  uplink_.abandon();
  serial_.clear();
  enter(BearerState::off);
}

void Md109g::reboot() {
  // The serial buffer is lost and the connection forgotten without a FIN: the server keeps a
  // half-open socket until it notices.
  uplink_.abandon();
  serial_.clear();
  if (flush_timer_) queue_.cancel(*flush_timer_);
  flush_timer_.reset();
  enter(BearerState::off);
  record("reboot");
  schedule(kBootTime, &Md109g::start_attach);
}

void Md109g::configure_id(std::string id) {
  // Traced under the ID it had, with the one it takes.
  record("configure_id", {reinterpret_cast<const std::uint8_t*>(id.data()), id.size()});
  config_.profile.id = std::move(id);
  if (state_ != BearerState::off) reboot();
}

void Md109g::start_attach() {
  enter(BearerState::attaching);
  schedule(random_.uniform_int(config_.attach_min, config_.attach_max), &Md109g::attach_done);
}

void Md109g::attach_done() {
  if (random_.chance(config_.attach_failure)) return fail();
  enter(BearerState::activating_pdp);
  schedule(random_.uniform_int(config_.pdp_min, config_.pdp_max), &Md109g::pdp_done);
}

void Md109g::pdp_done() {
  if (random_.chance(config_.pdp_failure)) return fail();
  // Every PDP context gets a new address behind the carrier's NAT.
  ip_ = 0x64400000u | static_cast<std::uint32_t>(random_.next() & 0x3FFFFF);
  enter(BearerState::connecting);
  uplink_.open(ip_);
  schedule(config_.connect_timeout, &Md109g::connect_timed_out);
}

void Md109g::connect_timed_out() {
  uplink_.abandon();
  fail();
}

void Md109g::on_connect_failed() {
  if (state_ == BearerState::connecting) fail();
}

void Md109g::on_connected() {
  if (state_ != BearerState::connecting) return;
  ++counters_.connects;
  downstream_.emplace(config_.profile.convention);
  send_up(dtu::registration(config_.profile, ip_, 0));
  ++counters_.registrations;
  if (config_.profile.convention == dtu::Convention::ddp) {
    enter(BearerState::awaiting_ack);
    schedule(config_.ack_timeout, &Md109g::fail);
  } else {
    registered();
  }
}

void Md109g::registered() {
  enter(BearerState::registered);
  backoff_ = 0;
  schedule(config_.heartbeat_interval, &Md109g::heartbeat);
  if (!serial_.empty()) flush_serial();
}

void Md109g::heartbeat() {
  if (state_ != BearerState::registered) return;
  send_up(dtu::heartbeat(config_.profile));
  ++counters_.heartbeats;
  // Re-armed without a state change: the same epoch keeps it valid.
  queue_.schedule_after(config_.heartbeat_interval, [this, epoch = epoch_] {
    if (epoch == epoch_) heartbeat();
  });
}

void Md109g::fail() {
  ++counters_.failures;
  if (state_ == BearerState::awaiting_ack || state_ == BearerState::registered) uplink_.close();
  backoff_ = backoff_ == 0 ? config_.backoff_initial : std::min(2 * backoff_, config_.backoff_max);
  enter(BearerState::waiting_to_retry);
  schedule(backoff_ + random_.uniform_int(0, backoff_ / 4), &Md109g::start_attach);
}

void Md109g::on_closed() {
  if (state_ == BearerState::awaiting_ack || state_ == BearerState::registered ||
      state_ == BearerState::connecting) {
    record("connection_lost");
    fail();
  }
}

void Md109g::on_data(protocol::Bytes bytes) {
  if (!downstream_) return;
  counters_.bytes_down += bytes.size();
  for (dtu::Event& e : downstream_->feed(bytes)) {
    if (e.kind == dtu::EventKind::ack && state_ == BearerState::awaiting_ack) {
      registered();
    } else if (e.kind == dtu::EventKind::data && !e.bytes.empty()) {
      // Out of the serial port at its rate.
      const Micros at = wire_time(e.bytes.size(), config_.serial_baud) *
                        config_.serial_bits_per_character / kBitsPerCharacter;
      queue_.schedule_after(at, [this, bytes = std::move(e.bytes)] {
        if (serial_sender_) serial_sender_(bytes);
      });
    } else if (e.kind == dtu::EventKind::invalid) {
      record("downstream_invalid", e.bytes);
    }
  }
}

void Md109g::serial_receive(protocol::Bytes bytes) {
  if (state_ == BearerState::off) return;
  const std::size_t room = config_.serial_buffer - std::min(config_.serial_buffer, serial_.size());
  const std::size_t kept = std::min(room, bytes.size());
  counters_.serial_bytes_lost += bytes.size() - kept;
  serial_.insert(serial_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(kept));
  if (state_ != BearerState::registered) return;  // kept until the DTU is registered
  while (state_ == BearerState::registered && serial_.size() >= config_.max_packet) flush_serial();
  if (flush_timer_) queue_.cancel(*flush_timer_);
  flush_timer_.reset();
  if (!serial_.empty()) {
    flush_timer_ = queue_.schedule_after(config_.packing_interval, [this] {
      flush_timer_.reset();
      flush_serial();
    });
  }
}

void Md109g::flush_serial() {
  if (state_ != BearerState::registered || serial_.empty()) return;
  const std::size_t n = std::min(serial_.size(), config_.max_packet);
  send_up(dtu::data_packet(config_.profile, protocol::Bytes{serial_.data(), n}));
  serial_.erase(serial_.begin(), serial_.begin() + static_cast<std::ptrdiff_t>(n));
  if (!serial_.empty() && serial_.size() < config_.max_packet) flush_serial();
}

void Md109g::send_up(const std::vector<std::uint8_t>& bytes) {
  counters_.bytes_up += bytes.size();
  record("up", bytes);
  uplink_.send(bytes);
}

}  // namespace heatlink::sim
