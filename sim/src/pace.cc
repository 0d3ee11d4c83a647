#include "heatlink/sim/pace.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <thread>

namespace heatlink::sim {

protocol::Result<Pace> Pace::parse(std::string_view text) {
  if (text == "fast" || text == "fastest") return fastest();
  if (text == "realtime" || text == "real-time" || text == "x1") return real_time();
  if (text.size() > 1 && text[0] == 'x') {
    double factor = 0;
    const auto [end, ec] = std::from_chars(text.data() + 1, text.data() + text.size(), factor);
    if (ec == std::errc{} && end == text.data() + text.size() && factor > 0 && factor <= kMaxFactor)
      return times(factor);
  }
  return protocol::Error{protocol::Errc::bad_field, 0, "pace",
                         "expected fast, realtime or xN (N times real time, 0 < N <= 100000)"};
}

Micros SteadyWallClock::now() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void SteadyWallClock::sleep_until(Micros when) {
  std::this_thread::sleep_until(
      std::chrono::steady_clock::time_point(std::chrono::microseconds(when)));
}

PacedRunner::PacedRunner(EventQueue& queue, WallClock& wall, Pace pace)
    : queue_(queue), wall_(wall), pace_(pace) {
  set_pace(pace);
}

void PacedRunner::set_pace(Pace pace) {
  pace_ = pace;
  wall_anchor_ = wall_.now();
  virtual_anchor_ = queue_.now();
}

Micros PacedRunner::wall_time_of(Micros virtual_time) const noexcept {
  const double elapsed = static_cast<double>(virtual_time - virtual_anchor_) / pace_.factor;
  return wall_anchor_ + static_cast<Micros>(elapsed);
}

Micros PacedRunner::virtual_now() const {
  if (pace_.mode == Pace::Mode::fastest) return queue_.now();
  const double elapsed = static_cast<double>(wall_.now() - wall_anchor_) * pace_.factor;
  return std::max(queue_.now(), virtual_anchor_ + static_cast<Micros>(elapsed));
}

std::size_t PacedRunner::run_until(Micros until) {
  if (pace_.mode == Pace::Mode::fastest) return queue_.run_until(until);
  std::size_t ran = 0;
  for (auto t = queue_.next_time(); t && *t <= until; t = queue_.next_time()) {
    const Micros due = wall_time_of(*t);
    if (wall_.now() < due) wall_.sleep_until(due);
    queue_.step();
    ++ran;
  }
  const Micros due = wall_time_of(until);
  if (wall_.now() < due) wall_.sleep_until(due);
  queue_.run_until(until);
  return ran;
}

}  // namespace heatlink::sim
