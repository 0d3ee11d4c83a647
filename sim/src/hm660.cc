#include "heatlink/sim/hm660.h"

#include <algorithm>

#include "heatlink/protocol/mbus_request.h"
#include "heatlink/sim/vendor_telegrams.h"
#include "heatlink/sim/wire.h"

namespace heatlink::sim {

namespace mbus = protocol::mbus;

Hm660::Hm660(EventQueue& queue, Hm660Config config, Trace* trace)
    : queue_(queue), config_(std::move(config)), trace_(trace) {}

MbusSegment& Hm660::add_channel(const SegmentConfig& config, std::uint64_t seed) {
  MbusSegment& segment = channels_.emplace_back(queue_, config, seed, trace_);
  work_.emplace_back();
  const std::size_t index = channels_.size() - 1;
  segment.set_receiver([this, index](protocol::Bytes bytes) { from_channel(index, bytes); });
  return segment;
}

void Hm660::attach(std::size_t index, SimulatedMeter& meter, const LinkFaults& faults) {
  channels_.at(index).attach(meter, faults);
  const MeterIdentity& id = meter.identity();
  routes_.push_back(RouteEntry{id.primary, id.id, static_cast<std::uint16_t>(index)});
  if (!config_.archive_meters) return;
  const auto channel = static_cast<std::uint8_t>(index);
  if (!speaks_mbus(meter.kind())) {
    archive_.push_back(protocol::hm660::cjt188_entry(channel, id.cjt188_address(),
                                                     protocol::cjt188::kHeatHeating));
    return;
  }
  ArchiveEntry e;
  e.channel = channel;
  e.protocol = id.primary != 0 ? ArchiveEntry::mbus_primary : ArchiveEntry::mbus_secondary;
  e.primary = id.primary;
  e.secondary = mbus::SecondaryAddress{id.id, id.manufacturer(meter.kind()),
                                       id.version(meter.kind()), id.medium(meter.kind())};
  archive_.push_back(e);
}

std::vector<std::size_t> Hm660::channels_for(const protocol::AnyScanResult& frame) const {
  std::vector<std::size_t> out;
  auto add = [&out](std::size_t c) {
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  };
  if (frame.protocol == protocol::Protocol::cjt188) {
    const auto& address = frame.cjt188.address;
    for (const RouteEntry& e : routes_) {
      if (!address.is_wildcard()) {
        const protocol::cjt188::Address a = MeterIdentity{e.id, 0, {}, {}}.cjt188_address();
        if (a != address) continue;
      }
      add(e.channel);
    }
  } else if (const auto mask = mbus::selection_of(frame.mbus)) {
    for (const RouteEntry& e : routes_) {
      // Only the ID is matched here: the archive does not know every meter's version.
      if (mbus::SecondaryAddress{mask->id, 0xFFFF, 0xFF, 0xFF}.matches(
              mbus::SecondaryAddress{e.id, 0, 0, 0})) {
        add(e.channel);
      }
    }
  } else if (frame.mbus.a == mbus::kAddressSelected && selected_) {
    for (const RouteEntry& e : routes_) {
      if (mbus::SecondaryAddress{selected_->id, 0xFFFF, 0xFF, 0xFF}.matches(
              mbus::SecondaryAddress{e.id, 0, 0, 0})) {
        add(e.channel);
      }
    }
  } else if (frame.mbus.a <= 250) {
    for (const RouteEntry& e : routes_) {
      if (e.primary == frame.mbus.a) add(e.channel);
    }
  }
  // Broadcasts, and addresses the archive does not know: every channel.
  if (out.empty()) {
    for (std::size_t c = 0; c < channels_.size(); ++c) out.push_back(c);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void Hm660::set_powered(bool on) {
  if (on == powered_) return;
  powered_ = on;
  if (trace_ != nullptr) trace_->record(queue_.now(), config_.name, on ? "power_on" : "power_off");
  if (on) return;
  ++power_generation_;
  for (ChannelWork& work : work_) {
    work.steps.clear();
    work.busy = false;
    work.received.clear();
    ++work.generation;
  }
  scan_running_ = 0;
  selected_.reset();
  rs232_in_ = protocol::FrameStream{};
  listening_until_ = 0;
  rs232_busy_until_ = 0;
}

void Hm660::receive_rs232(protocol::Bytes bytes) {
  if (!powered_) {
    if (trace_ != nullptr) trace_->record(queue_.now(), config_.name, "rs232_unpowered", bytes);
    return;
  }
  while (!bytes.empty()) {
    const std::size_t taken = rs232_in_.feed(bytes);
    bytes = bytes.subspan(taken);
    for (auto r = rs232_in_.next(); r.status != mbus::ScanStatus::need_more; r = rs232_in_.next()) {
      if (r.status != mbus::ScanStatus::complete) {
        if (trace_ != nullptr) trace_->record(queue_.now(), config_.name, "rs232_noise");
        continue;
      }
      if (r.protocol == protocol::Protocol::mbus) {
        if (command(r.mbus)) continue;  // concentrator mode: for the HM-660 itself
        if (const auto mask = mbus::selection_of(r.mbus)) selected_ = mask;
      }
      const std::vector<std::uint8_t> request(r.bytes.begin(), r.bytes.end());
      listening_until_ = queue_.now() + config_.reply_timeout;
      for (const std::size_t c : channels_for(r)) channels_[c].transmit(request);
    }
  }
}

void Hm660::from_channel(std::size_t channel, protocol::Bytes bytes) {
  if (!powered_) return;  // a reply still on the wire as the power went
  ChannelWork& work = work_.at(channel);
  if (work.busy) {  // the concentrator's own request: the answer is its own too
    work.received.insert(work.received.end(), bytes.begin(), bytes.end());
    if (work.steps.front().collect) return;  // decided when the window closes
    protocol::FrameStream stream;
    stream.feed(work.received);
    for (auto r = stream.next(); r.status != mbus::ScanStatus::need_more; r = stream.next()) {
      if (r.status == mbus::ScanStatus::complete) {
        const std::vector<std::uint8_t> raw(r.bytes.begin(), r.bytes.end());
        finish_step(channel, &r, raw);
        return;
      }
    }
    if (!work.received.empty() && stream.buffered() == 0) {
      finish_step(channel, nullptr, work.received);  // garbage only: a collision
    }
    return;
  }
  if (queue_.now() > listening_until_) {
    if (trace_ != nullptr) trace_->record(queue_.now(), config_.name, "late_reply_dropped", bytes);
    return;
  }
  if (config_.forward_garbage) {
    send_rs232({bytes.begin(), bytes.end()});
    return;
  }
  // Only complete frames travel upstream; noise and broken frames stay here.
  protocol::FrameStream stream;
  stream.feed(bytes);
  std::vector<std::uint8_t> good;
  std::size_t at = 0;
  for (auto r = stream.next(); r.status != mbus::ScanStatus::need_more; r = stream.next()) {
    if (r.status == mbus::ScanStatus::complete) {
      good.insert(good.end(), bytes.begin() + static_cast<std::ptrdiff_t>(at),
                  bytes.begin() + static_cast<std::ptrdiff_t>(at + r.consumed));
    } else if (trace_ != nullptr) {
      trace_->record(queue_.now(), config_.name, "channel_noise_dropped",
                     bytes.subspan(at, r.consumed));
    }
    at += r.consumed;
  }
  if (!good.empty()) send_rs232(std::move(good));
}

void Hm660::send_rs232(std::vector<std::uint8_t> bytes) {
  // Bytes leave one after another at the RS-232 rate.
  const Micros start = std::max(queue_.now(), rs232_busy_until_);
  const Micros end = start + static_cast<Micros>(bytes.size()) * config_.rs232_bits_per_character *
                                 1'000'000 / config_.rs232_baud;
  rs232_busy_until_ = end;
  queue_.schedule_at(end, [this, bytes = std::move(bytes), g = power_generation_] {
    if (g != power_generation_) return;
    if (trace_ != nullptr) trace_->record(queue_.now(), config_.name, "rs232_out", bytes);
    if (sender_) sender_(bytes);
  });
}

}  // namespace heatlink::sim
