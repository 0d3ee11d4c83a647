#include "heatlink/sim/mbus_segment.h"

#include <algorithm>
#include <string>

#include "heatlink/protocol/frame_stream.h"
#include "heatlink/sim/wire.h"

namespace heatlink::sim {

namespace mbus = protocol::mbus;

namespace {
constexpr Micros kRetestInterval = seconds(4);
constexpr Micros kPowerUpDelay = seconds(8);
}  // namespace

MbusSegment::MbusSegment(EventQueue& queue, SegmentConfig config, std::uint64_t seed, Trace* trace)
    : queue_(queue), config_(std::move(config)), seed_(seed), trace_(trace) {}

std::size_t MbusSegment::attach(SimulatedMeter& meter, const LinkFaults& faults) {
  char identity[64];
  std::snprintf(identity, sizeof identity, "%s/meter/%08X", config_.name.c_str(),
                meter.identity().id);
  meters_.push_back(Attached{&meter, faults, RandomStream::derive(seed_, identity)});
  return meters_.size() - 1;
}

double MbusSegment::unit_loads() const noexcept {
  double total = 0;
  for (const Attached& a : meters_) total += a.faults.unit_loads;
  return total;
}

bool MbusSegment::powered() const noexcept {
  return !shorted_ && queue_.now() >= power_back_ && unit_loads() <= config_.max_unit_loads;
}

void MbusSegment::set_short_circuit(bool shorted) {
  if (shorted_ && !shorted) {
    // The master re-tests every 4 s; the bus is usable about 8 s after the short clears.
    const Micros retest = (queue_.now() / kRetestInterval + 1) * kRetestInterval;
    power_back_ = std::max(retest, queue_.now() + kPowerUpDelay);
  }
  shorted_ = shorted;
  record(shorted ? "short_circuit" : "short_cleared");
}

void MbusSegment::record(std::string_view kind, protocol::Bytes bytes) {
  if (trace_ != nullptr) trace_->record(queue_.now(), config_.name, kind, bytes);
}

void MbusSegment::transmit(protocol::Bytes bytes) {
  record("request", bytes);
  if (!powered()) {
    record("no_power");
    return;
  }
  // The request is heard once its last stop bit is on the wire.
  const Micros on_wire = wire_time(bytes.size(), config_.baud);
  queue_.schedule_after(
      on_wire, [this, request = std::vector<std::uint8_t>(bytes.begin(), bytes.end())]() mutable {
        if (config_.echo && receiver_) receiver_(request);
        deliver_request(std::move(request));
      });
}

std::optional<protocol::FrameBytes> MbusSegment::answer(Attached& a,
                                                        const protocol::AnyScanResult& request) {
  SimulatedMeter& m = *a.meter;
  if (m.baud() != config_.baud) return std::nullopt;  // it hears only noise at another rate
  if (request.protocol == protocol::Protocol::mbus) {
    if (!speaks_mbus(m.kind())) return std::nullopt;
    return m.mbus().receive(request.mbus);
  }
  return m.receive_cjt188(request.cjt188);
}

void MbusSegment::damage(Attached& a, std::vector<std::uint8_t>& reply) {
  const LinkFaults& f = a.faults;
  if (f.junk) {
    for (auto& b : reply) b = static_cast<std::uint8_t>(a.random.next());
  }
  if (f.bad_checksum && reply.size() >= 5) reply[reply.size() - 2] ^= 0x5A;
  if (f.truncated) reply.resize(reply.size() / 2);
}

void MbusSegment::deliver_request(std::vector<std::uint8_t> bytes) {
  if (!powered()) return;
  std::vector<Transmission> replies;
  protocol::FrameStream stream;
  stream.feed(bytes);
  for (auto r = stream.next(); r.status != mbus::ScanStatus::need_more; r = stream.next()) {
    if (r.status != mbus::ScanStatus::complete) continue;  // meters ignore noise
    for (Attached& a : meters_) {
      const auto reply = answer(a, r);
      if (!reply) continue;
      const std::int64_t day = queue_.now() / days(1);
      if (a.budget_day != day) {
        a.budget_day = day;
        a.reads_today = 0;
      }
      if ((a.faults.read_budget != 0 && ++a.reads_today > a.faults.read_budget) ||
          (a.faults.no_response > 0 && a.random.chance(a.faults.no_response))) {
        continue;
      }
      // A reply starts 11 bit times to 330 bit times + 50 ms after the request's end.
      const Micros bit = 1'000'000 / config_.baud;
      const Micros delay =
          a.random.uniform_int(11 * bit, 330 * bit + milliseconds(50)) + a.faults.late_by;
      Transmission t{queue_.now() + delay, reply->to_vector()};
      damage(a, t.bytes);
      replies.push_back(std::move(t));
    }
  }
  send_replies(std::move(replies));
}

void MbusSegment::send_replies(std::vector<Transmission> replies) {
  std::sort(replies.begin(), replies.end(),
            [](const Transmission& a, const Transmission& b) { return a.start < b.start; });
  // Replies that overlap on the wire form one burst, received as their wired-AND.
  std::size_t i = 0;
  while (i < replies.size()) {
    std::vector<Transmission> burst{replies[i]};
    Micros end = replies[i].start + wire_time(replies[i].bytes.size(), config_.baud);
    for (++i; i < replies.size() && replies[i].start < end; ++i) {
      end = std::max(end, replies[i].start + wire_time(replies[i].bytes.size(), config_.baud));
      burst.push_back(replies[i]);
    }
    const bool collision = burst.size() > 1;
    std::vector<std::uint8_t> received =
        collision ? receive_wired_and(burst, config_.baud) : std::move(burst.front().bytes);
    queue_.schedule_at(end, [this, collision, received = std::move(received)] {
      record(collision ? "collision" : "reply", received);
      if (receiver_ && powered()) receiver_(received);
    });
  }
}

}  // namespace heatlink::sim
