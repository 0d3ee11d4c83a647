// Virtual time and the event queue every simulated device runs on.
//
// Time is an integer count of microseconds since the scenario's start, so that one seed gives
// one history: events at the same instant run in the order they were scheduled. Not
// thread-safe: a simulation runs on one thread, and other threads talk to it through the
// control queue of a later layer.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <vector>

namespace heatlink::sim {

using Micros = std::int64_t;

constexpr Micros microseconds(std::int64_t n) {
  return n;
}
constexpr Micros milliseconds(std::int64_t n) {
  return n * 1000;
}
constexpr Micros seconds(std::int64_t n) {
  return n * 1'000'000;
}
constexpr Micros minutes(std::int64_t n) {
  return seconds(n * 60);
}
constexpr Micros hours(std::int64_t n) {
  return minutes(n * 60);
}
constexpr Micros days(std::int64_t n) {
  return hours(n * 24);
}

class EventQueue {
 public:
  using Action = std::function<void()>;
  using EventId = std::uint64_t;

  Micros now() const noexcept { return now_; }

  // Schedules `action` at `when` (not before now()). Returns an id for cancel().
  EventId schedule_at(Micros when, Action action);
  EventId schedule_after(Micros delay, Action action) {
    return schedule_at(now_ + delay, std::move(action));
  }
  // False when the event already ran or was cancelled.
  bool cancel(EventId id);

  // The time of the next pending event, if any.
  std::optional<Micros> next_time();
  // Runs the next event, advancing now() to its time. False when none is pending.
  bool step();
  // Runs every event up to and including `until`, then sets now() to `until`.
  std::size_t run_until(Micros until);
  std::size_t pending() const noexcept { return live_; }

 private:
  // An id is a slot index (low 32 bits) and the slot's generation (high 32 bits), so a stale
  // id never cancels a later event that reuses the slot.
  struct Slot {
    Action action;
    std::uint32_t generation = 0;
  };
  struct Entry {
    Micros when;
    std::uint64_t sequence;
    std::uint32_t slot;
    bool operator>(const Entry& other) const noexcept {
      return when != other.when ? when > other.when : sequence > other.sequence;
    }
  };
  void drop_cancelled();
  void release(std::uint32_t slot);

  Micros now_ = 0;
  std::uint64_t sequence_ = 0;
  std::size_t live_ = 0;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue_;
  std::vector<Slot> slots_;  // an empty action: run or cancelled
  std::vector<std::uint32_t> free_slots_;
};

}  // namespace heatlink::sim
