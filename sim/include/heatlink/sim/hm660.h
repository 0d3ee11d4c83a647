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
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "heatlink/protocol/frame_stream.h"
#include "heatlink/protocol/hm660.h"
#include "heatlink/protocol/mbus_search.h"
#include "heatlink/sim/calendar.h"
#include "heatlink/sim/mbus_segment.h"

namespace heatlink::sim {

// Concentrator mode (docs/protocols/hm660.md): the archive, the read cycle's readings.
using ArchiveEntry = protocol::hm660::ArchiveEntry;

struct BufferedReading {
  std::uint16_t archive_index = 0;
  Micros time = 0;
  std::vector<std::uint8_t> frame;
};

struct Hm660Config {
  std::string name = "hm660";
  unsigned rs232_baud = 9600;
  int rs232_bits_per_character = 11;  // 8E1 by default, as the M-Bus side
  Micros reply_timeout = seconds(2);  // a channel's answer later than this is dropped
  bool forward_garbage = false;       // forward noise and broken frames from the channels
  bool archive_meters = false;  // its meter archive written at commissioning: every meter attached
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

  // Mains power. Switched off, the HM-660 hears nothing on RS-232, drives no M-Bus (its
  // meters, on their batteries, keep counting but cannot be read), and what it was doing -
  // requests on the channels, a scan, bytes on their way out - is lost; its archive, the
  // buffered readings (flash) and the cycle setting survive, and its cycle resumes with the
  // power.
  void set_powered(bool on);
  bool powered() const noexcept { return powered_; }

  // Concentrator mode. The calendar dates answers and readings; it must outlive the HM-660.
  void set_calendar(const Calendar* calendar) noexcept { calendar_ = calendar; }
  const std::vector<ArchiveEntry>& archive() const noexcept { return archive_; }
  const std::vector<ArchiveEntry>& scan_results() const noexcept { return scan_found_; }
  std::size_t buffered_readings() const noexcept { return readings_.size(); }
  bool scanning() const noexcept { return scan_running_ > 0; }

 private:
  struct RouteEntry {
    std::uint8_t primary;
    std::uint32_t id;
    std::uint16_t channel;
  };

  std::vector<std::size_t> channels_for(const protocol::AnyScanResult& frame) const;
  void from_channel(std::size_t channel, protocol::Bytes bytes);
  void send_rs232(std::vector<std::uint8_t> bytes);

  // One request on a channel and what to do with the answer (null: none came in time).
  // A read ends with the first complete frame; a selection (`collect`) listens for the whole
  // reply window, since several meters may answer, and hands over everything it heard.
  struct Step {
    std::vector<std::uint8_t> request;
    std::function<void(const protocol::AnyScanResult* reply, protocol::Bytes raw)> done;
    bool collect = false;
  };
  struct ChannelWork {
    std::deque<Step> steps;
    bool busy = false;
    std::uint64_t generation = 0;
    std::vector<std::uint8_t> received;
  };
  bool command(const protocol::mbus::Frame& frame);  // concentrator-mode commands; true if one
  void answer(std::uint8_t ci, const std::vector<std::uint8_t>& data);
  void answer_error(std::uint8_t code);
  void enqueue(std::size_t channel, Step step);
  void run_channel(std::size_t channel);
  void finish_step(std::size_t channel, const protocol::AnyScanResult* reply, protocol::Bytes raw);
  void read_cycle();
  void read_meter(std::uint16_t index);
  void start_scan(std::uint8_t channel_mask);
  void secondary_step(std::size_t channel, std::shared_ptr<protocol::mbus::SecondarySearch> search);
  void scan_found(const ArchiveEntry& entry);
  void scan_channel_done();
  std::vector<std::uint8_t> time_bytes(Micros t) const;

  EventQueue& queue_;
  Hm660Config config_;
  Trace* trace_;
  Sender sender_;
  std::deque<MbusSegment> channels_;
  std::vector<RouteEntry> routes_;  // where each installed meter hangs, for transparent mode
  protocol::FrameStream rs232_in_;
  // Concentrator mode.
  const Calendar* calendar_ = nullptr;
  Micros clock_offset_ = 0;
  std::vector<ArchiveEntry> archive_;
  std::vector<ArchiveEntry> scan_found_;
  std::deque<BufferedReading> readings_;
  std::vector<ChannelWork> work_;
  Micros cycle_interval_ = 0;
  std::uint64_t cycle_generation_ = 0;
  int scan_running_ = 0;  // channels still scanning
  bool scan_done_ = false;
  std::optional<protocol::mbus::SecondaryAddress> selected_;  // the last selection seen
  Micros listening_until_ = 0;
  Micros rs232_busy_until_ = 0;
  bool powered_ = true;
  std::uint64_t power_generation_ = 0;  // bytes queued for RS-232 before a power cut are lost
};

}  // namespace heatlink::sim
