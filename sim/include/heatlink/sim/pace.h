// How fast virtual time runs against the wall clock: as fast as possible (virtual time jumps
// from event to event), real time, or N times faster than real time.
#pragma once

#include <string_view>

#include "heatlink/protocol/error.h"
#include "heatlink/sim/event_queue.h"

namespace heatlink::sim {

struct Pace {
  // The fastest scaled pace: a district simulated live at more than this many times real
  // time outruns one machine (its timers pile up faster than they run, and memory with them).
  static constexpr double kMaxFactor = 100'000;

  enum class Mode { fastest, scaled };
  Mode mode = Mode::fastest;
  double factor = 1.0;  // scaled: virtual seconds per wall second (1 = real time)

  static Pace fastest() noexcept { return {}; }
  static Pace real_time() noexcept { return {Mode::scaled, 1.0}; }
  static Pace times(double factor) noexcept { return {Mode::scaled, factor}; }
  // "fast", "realtime", or "x10" (ten times real time), at most x100000.
  static protocol::Result<Pace> parse(std::string_view text);
};

// The wall clock, injected so that tests can run paced simulations without waiting.
class WallClock {
 public:
  virtual ~WallClock() = default;
  virtual Micros now() = 0;
  virtual void sleep_until(Micros when) = 0;
};

// std::chrono::steady_clock.
class SteadyWallClock final : public WallClock {
 public:
  Micros now() override;
  void sleep_until(Micros when) override;
};

// Runs an EventQueue at a pace. Not thread-safe, like the queue.
class PacedRunner {
 public:
  PacedRunner(EventQueue& queue, WallClock& wall, Pace pace);

  // Changes the pace from now on; virtual time does not jump.
  void set_pace(Pace pace);
  Pace pace() const noexcept { return pace_; }

  // Runs events up to virtual time `until`, waiting on the wall clock between them unless the
  // pace is fastest. Returns the number of events run.
  std::size_t run_until(Micros until);

  // Virtual time now, by the wall clock (the queue's own time at the fastest pace), and the
  // wall time at which virtual time reaches `virtual_time`.
  Micros virtual_now() const;
  Micros wall_time_of(Micros virtual_time) const noexcept;

 private:
  EventQueue& queue_;
  WallClock& wall_;
  Pace pace_;
  Micros wall_anchor_ = 0;
  Micros virtual_anchor_ = 0;
};

}  // namespace heatlink::sim
