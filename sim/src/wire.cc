#include "heatlink/sim/wire.h"

#include <algorithm>
#include <bit>

namespace heatlink::sim {

Micros wire_time(std::size_t bytes, unsigned baud) noexcept {
  return static_cast<Micros>(bytes) * kBitsPerCharacter * 1'000'000 / baud;
}

namespace {

// The line level one transmission drives at time t (in bit times since its start).
int level_of(const std::vector<std::uint8_t>& bytes, double bit) noexcept {
  if (bit < 0) return 1;
  const auto k = static_cast<std::size_t>(bit);
  const std::size_t character = k / kBitsPerCharacter;
  if (character >= bytes.size()) return 1;
  const std::uint8_t c = bytes[character];
  switch (const std::size_t pos = k % kBitsPerCharacter; pos) {
    case 0:
      return 0;  // start bit
    case 9:
      return std::popcount(c) & 1;  // even parity
    case 10:
      return 1;  // stop bit
    default:
      return (c >> (pos - 1)) & 1;
  }
}

}  // namespace

std::vector<std::uint8_t> receive_wired_and(const std::vector<Transmission>& transmissions,
                                            unsigned baud) {
  std::vector<std::uint8_t> out;
  if (transmissions.empty()) return out;
  const double bit_us = 1e6 / baud;
  Micros begin = transmissions.front().start;
  Micros end = begin;
  for (const Transmission& t : transmissions) {
    begin = std::min(begin, t.start);
    end = std::max(end, t.start + wire_time(t.bytes.size(), baud));
  }
  auto line = [&](double us) {
    int level = 1;
    for (const Transmission& t : transmissions) {
      level &= level_of(t.bytes, (us - static_cast<double>(t.start)) / bit_us);
    }
    return level;
  };
  const double step = bit_us / 16;
  double t = static_cast<double>(begin);
  while (t < static_cast<double>(end)) {
    if (line(t) != 0 || line(t + bit_us / 2) != 0) {  // idle, or a glitch shorter than half a bit
      t += step;
      continue;
    }
    std::uint8_t c = 0;
    for (int bit = 0; bit < 8; ++bit) {
      c = static_cast<std::uint8_t>(c | line(t + bit_us * (1.5 + bit)) << bit);
    }
    out.push_back(c);
    t += bit_us * 10.5;  // the stop bit's middle; look for the next start bit after it
    while (t < static_cast<double>(end) && line(t) == 0)
      t += step;  // a framing error: wait for mark
  }
  return out;
}

}  // namespace heatlink::sim
