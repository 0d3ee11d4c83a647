// The trace of a simulation: every frame and event, in order, with a running hash. One seed
// gives one trace, byte for byte; the hash makes that cheap to check.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "heatlink/protocol/bytes.h"
#include "heatlink/sim/event_queue.h"

namespace heatlink::sim {

class Trace {
 public:
  // With `keep_lines`, every event is also kept as a text line (for reports and debugging).
  explicit Trace(bool keep_lines = false) : keep_lines_(keep_lines) {}

  // Records that `source` did `kind` at `when`, with the bytes involved (if any).
  void record(Micros when, std::string_view source, std::string_view kind,
              protocol::Bytes bytes = {});

  // Called with every event as it is recorded (the control API's traffic stream, a run's
  // observer), in the order they were added.
  using Listener = std::function<void(Micros when, std::string_view source, std::string_view kind,
                                      protocol::Bytes bytes)>;
  void add_listener(Listener listener) { listeners_.push_back(std::move(listener)); }

  std::uint64_t hash() const noexcept { return hash_; }
  std::size_t events() const noexcept { return events_; }
  const std::vector<std::string>& lines() const noexcept { return lines_; }

 private:
  bool keep_lines_;
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
  std::size_t events_ = 0;
  std::vector<std::string> lines_;
  std::vector<Listener> listeners_;
};

}  // namespace heatlink::sim
