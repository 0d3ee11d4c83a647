#include "heatlink/sim/event_queue.h"

#include <algorithm>

namespace heatlink::sim {

EventQueue::EventId EventQueue::schedule_at(Micros when, Action action) {
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  slots_[slot].action = std::move(action);
  queue_.push(Entry{std::max(when, now_), sequence_++, slot});
  ++live_;
  return EventId{slots_[slot].generation} << 32 | slot;
}

bool EventQueue::cancel(EventId id) {
  const auto slot = static_cast<std::uint32_t>(id);
  if (slot >= slots_.size() || slots_[slot].generation != static_cast<std::uint32_t>(id >> 32) ||
      !slots_[slot].action) {
    return false;
  }
  slots_[slot].action = nullptr;
  --live_;
  return true;
}

void EventQueue::release(std::uint32_t slot) {
  slots_[slot].action = nullptr;
  ++slots_[slot].generation;
  free_slots_.push_back(slot);
}

void EventQueue::drop_cancelled() {
  while (!queue_.empty() && !slots_[queue_.top().slot].action) {
    release(queue_.top().slot);
    queue_.pop();
  }
}

std::optional<Micros> EventQueue::next_time() {
  drop_cancelled();
  if (queue_.empty()) return std::nullopt;
  return queue_.top().when;
}

bool EventQueue::step() {
  drop_cancelled();
  if (queue_.empty()) return false;
  const Entry e = queue_.top();
  queue_.pop();
  now_ = e.when;
  Action action = std::move(slots_[e.slot].action);
  release(e.slot);
  --live_;
  action();
  return true;
}

std::size_t EventQueue::run_until(Micros until) {
  std::size_t ran = 0;
  for (auto t = next_time(); t && *t <= until; t = next_time()) {
    step();
    ++ran;
  }
  now_ = std::max(now_, until);
  return ran;
}

}  // namespace heatlink::sim
