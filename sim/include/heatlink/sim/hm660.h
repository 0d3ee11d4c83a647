// The HM-660 M-Bus concentrator in transparent mode: its RS-232 side faces the DTU (or a
// serial port), its channels are M-Bus segments.
//
// A frame from RS-232 goes onto the channel of the meter it addresses, found in the
// concentrator's meter archive (primary address, secondary ID, CJ/T 188 address); frames for
// an unknown or every meter (broadcasts, wildcard selections, a primary scan) go onto every
// channel. Replies travel back in the order they arrive. What the concentrator does with line
// noise and how long it listens for a reply are parameters.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "heatlink/protocol/frame_stream.h"
#include "heatlink/sim/mbus_segment.h"

namespace heatlink::sim {

struct Hm660Config {
  std::string name = "hm660";
  unsigned rs232_baud = 9600;
  int rs232_bits_per_character = 11;  // 8E1 by default, as the M-Bus side
  Micros reply_timeout = seconds(2);  // a channel's answer later than this is dropped
  bool forward_garbage = false;       // forward noise and broken frames from the channels
};

class Hm660 {
 public:
  using Sender = std::function<void(protocol::Bytes bytes)>;

  Hm660(EventQueue& queue, Hm660Config config, Trace* trace = nullptr);

  // Adds a channel; the segment lives as long as the concentrator.
  MbusSegment& add_channel(const SegmentConfig& config, std::uint64_t seed);
  std::size_t channel_count() const noexcept { return channels_.size(); }
  MbusSegment& channel(std::size_t index) { return channels_.at(index); }
  // Hangs `meter` on channel `index` and records it in the meter archive.
  void attach(std::size_t index, SimulatedMeter& meter, const LinkFaults& faults = {});

  // Bytes arriving on the RS-232 side, at the queue's now().
  void receive_rs232(protocol::Bytes bytes);
  // Where bytes for the RS-232 side go.
  void set_rs232_sender(Sender sender) { sender_ = std::move(sender); }

  const Hm660Config& config() const noexcept { return config_; }

 private:
  struct ArchiveEntry {
    std::uint8_t primary;
    std::uint32_t id;
    std::uint16_t channel;
  };

  std::vector<std::size_t> channels_for(const protocol::AnyScanResult& frame) const;
  void from_channel(std::size_t channel, protocol::Bytes bytes);
  void send_rs232(std::vector<std::uint8_t> bytes);

  EventQueue& queue_;
  Hm660Config config_;
  Trace* trace_;
  Sender sender_;
  std::deque<MbusSegment> channels_;
  std::vector<ArchiveEntry> archive_;
  protocol::FrameStream rs232_in_;
  std::optional<protocol::mbus::SecondaryAddress> selected_;  // the last selection seen
  Micros listening_until_ = 0;
  Micros rs232_busy_until_ = 0;
};

}  // namespace heatlink::sim
