#include "heatlink/protocol/mbus_search.h"

#include <algorithm>

namespace heatlink::protocol::mbus {

namespace {

std::uint64_t pack(const SecondaryAddress& a) noexcept {
  return std::uint64_t{a.id} << 32 | std::uint64_t{a.manufacturer} << 16 |
         std::uint64_t{a.version} << 8 | a.medium;
}

SecondaryAddress unpack(std::uint64_t v) noexcept {
  return SecondaryAddress{static_cast<std::uint32_t>(v >> 32), static_cast<std::uint16_t>(v >> 16),
                          static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

int shift_of(int position) noexcept {
  return 60 - 4 * position;
}
int max_digit(int position) noexcept {
  return position < 8 ? 9 : 15;
}

}  // namespace

SecondarySearch::SecondarySearch(const SecondaryAddress& start) : start_(pack(start)) {}

int SecondarySearch::next_wildcard(std::uint64_t mask, int after) const noexcept {
  for (int p = after + 1; p < 16; ++p) {
    // Only positions the caller left open are varied.
    if (((start_ >> shift_of(p)) & 0xF) == 0xF) return p;
  }
  (void)mask;
  return -1;
}

std::uint64_t SecondarySearch::current() const noexcept {
  if (stack_.empty()) return start_;
  const Level& l = stack_.back();
  const int s = shift_of(l.position);
  return (l.base & ~(std::uint64_t{0xF} << s)) | std::uint64_t(l.digit) << s;
}

std::optional<SecondaryAddress> SecondarySearch::next() const {
  if (done_) return std::nullopt;
  return unpack(current());
}

void SecondarySearch::add_found(std::uint64_t mask) {
  const SecondaryAddress a = unpack(mask);
  if (std::find(found_.begin(), found_.end(), a) == found_.end()) found_.push_back(a);
}

void SecondarySearch::advance() {
  while (!stack_.empty()) {
    Level& l = stack_.back();
    if (l.digit < max_digit(l.position)) {
      ++l.digit;
      return;
    }
    stack_.pop_back();
  }
  done_ = true;
}

// How many levels on the path try F, which at an open position is the wildcard again.
int SecondarySearch::wildcard_branches() const noexcept {
  return static_cast<int>(
      std::count_if(stack_.begin(), stack_.end(), [](const Level& l) { return l.digit == 0xF; }));
}

std::string SecondarySearch::cursor() const {
  if (done_) return "done";
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const Level& l : stack_) {
    out += kHex[l.position];
    out += kHex[l.digit];
  }
  return out;  // empty: not started (a started search has a level until it is done)
}

bool SecondarySearch::restore(std::string_view cursor, std::size_t probes,
                              std::vector<SecondaryAddress> found) {
  auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::vector<Level> stack;
  bool started = !cursor.empty(), done = cursor == "done";
  if (started && !done) {
    if (cursor.size() % 2 != 0) return false;
    std::uint64_t mask = start_;
    int position = -1;
    for (std::size_t i = 0; i < cursor.size(); i += 2) {
      const int p = hex(cursor[i]), digit = hex(cursor[i + 1]);
      // Levels refine the open positions in order, each with a digit it may try.
      if (p < 0 || digit < 0 || p != next_wildcard(mask, position) || digit > max_digit(p))
        return false;
      stack.push_back(Level{mask, p, digit});
      const int s = shift_of(p);
      mask = (mask & ~(std::uint64_t{0xF} << s)) | std::uint64_t(digit) << s;
      position = p;
    }
  }
  stack_ = std::move(stack);
  started_ = started;
  done_ = done;
  probes_ = probes;
  found_ = std::move(found);
  return true;
}

void SecondarySearch::answer(Answer a) {
  if (done_) return;
  ++probes_;
  const std::uint64_t mask = current();
  if (!started_) {
    started_ = true;
    if (a == Answer::none) {
      done_ = true;
    } else if (a == Answer::single) {
      add_found(mask);
      done_ = true;
    } else {
      const int p = next_wildcard(mask, -1);
      if (p < 0) {
        add_found(mask);  // several meters share this address exactly
        done_ = true;
      } else {
        stack_.push_back(Level{mask, p, 0});
      }
    }
    return;
  }
  switch (a) {
    case Answer::none:
      advance();
      break;
    case Answer::single:
      add_found(mask);
      advance();
      break;
    case Answer::collision: {
      // Under an F the collision may be the wildcard's doing, not the meters': refine at most
      // one such branch per path (meters that differ only under two Fs cannot be told apart by
      // any mask anyway), and call a collision at the last position a duplicate only on a
      // path without one.
      const int p = next_wildcard(mask, stack_.back().position);
      const int branches = wildcard_branches();
      if (p < 0) {
        if (branches == 0) add_found(mask);
        advance();
      } else if (branches > 1) {
        advance();
      } else {
        stack_.push_back(Level{mask, p, 0});
      }
      break;
    }
  }
}

}  // namespace heatlink::protocol::mbus
