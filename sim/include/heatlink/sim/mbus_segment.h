// One M-Bus segment (a concentrator channel): the wire between a master and its meters.
//
// The master side transmits bytes; after their wire time every meter sees the request (M-Bus
// meters its M-Bus frames, CJ/T 188 meters theirs); each addressed meter answers after a
// delay it draws inside the EN 13757-2 window (11 bit times to 330 bit times + 50 ms);
// replies that overlap combine as the wired-AND of their bit streams; what the master's UART
// receives is delivered to the receiver when the line falls idle. The segment also keeps a
// power budget in unit loads (overload and short circuit cut communication), can echo the
// master's request as some level converters do, and applies each meter's link faults.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "heatlink/protocol/bytes.h"
#include "heatlink/protocol/frame_scan.h"
#include "heatlink/sim/event_queue.h"
#include "heatlink/sim/random.h"
#include "heatlink/sim/simulated_meter.h"
#include "heatlink/sim/trace.h"
#include "heatlink/sim/wire.h"

namespace heatlink::sim {

struct SegmentConfig {
  std::string name = "segment";
  unsigned baud = 2400;
  bool echo = false;           // the level converter echoes the master's request
  double max_unit_loads = 64;  // the master's power budget (1 UL = 1.5 mA)
};

// How one meter's answers go wrong on the wire.
struct LinkFaults {
  double no_response = 0;         // probability of not answering at all
  Micros late_by = 0;             // added to the reply delay (beyond the window: a late reply)
  bool bad_checksum = false;      // the reply's checksum byte is wrong
  bool junk = false;              // the reply is replaced by random bytes of the same length
  bool truncated = false;         // only the first half of the reply is sent
  std::uint32_t read_budget = 0;  // answers at most this many requests a day (0: no limit)
  float unit_loads = 1.0F;
};

class MbusSegment {
 public:
  using Receiver = std::function<void(protocol::Bytes bytes)>;

  // `queue` and `trace` (which may be null) must outlive the segment.
  MbusSegment(EventQueue& queue, SegmentConfig config, std::uint64_t seed, Trace* trace = nullptr);

  // Hangs `meter` on the segment (it must outlive the segment). Returns its index.
  std::size_t attach(SimulatedMeter& meter, const LinkFaults& faults = {});
  LinkFaults& link_faults(std::size_t index) { return meters_.at(index).faults; }
  SimulatedMeter& meter(std::size_t index) { return *meters_.at(index).meter; }
  std::size_t meter_count() const noexcept { return meters_.size(); }

  // Bytes reaching the master side are handed to `receiver`, at the queue's now().
  void set_receiver(Receiver receiver) { receiver_ = std::move(receiver); }

  // The master side sends `bytes` now, at the segment's baud rate.
  void transmit(protocol::Bytes bytes);

  unsigned baud() const noexcept { return config_.baud; }
  void set_baud(unsigned baud) noexcept { config_.baud = baud; }
  const SegmentConfig& config() const noexcept { return config_; }

  // Power: an overload (attached unit loads above the budget) or a short circuit cuts the bus;
  // after a short clears, the master's re-test (every 4 s) restores power 8 s later at most.
  double unit_loads() const noexcept;
  bool powered() const noexcept;
  void set_short_circuit(bool shorted);
  bool short_circuited() const noexcept { return shorted_; }

 private:
  struct Attached {
    SimulatedMeter* meter;
    LinkFaults faults;
    RandomStream random;
    std::int64_t budget_day = -1;
    std::uint32_t reads_today = 0;
  };

  void deliver_request(std::vector<std::uint8_t> bytes);
  std::optional<protocol::FrameBytes> answer(Attached& a, const protocol::AnyScanResult& request);
  void damage(Attached& a, std::vector<std::uint8_t>& reply);
  void send_replies(std::vector<Transmission> replies);
  void record(std::string_view kind, protocol::Bytes bytes = {});

  EventQueue& queue_;
  SegmentConfig config_;
  std::uint64_t seed_;
  Trace* trace_;
  Receiver receiver_;
  std::vector<Attached> meters_;
  bool shorted_ = false;
  Micros power_back_ = 0;
};

}  // namespace heatlink::sim
