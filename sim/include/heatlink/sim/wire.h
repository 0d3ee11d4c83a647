// The M-Bus wire at the bit level: characters are 8E1 (start bit, 8 data bits LSB first, even
// parity, stop bit: 11 bit times). When several slaves answer at once the bus carries the
// wired-AND of their bit streams (a space, logical 0, wins); a receiving UART decodes that.
#pragma once

#include <cstdint>
#include <vector>

#include "heatlink/protocol/bytes.h"
#include "heatlink/sim/event_queue.h"

namespace heatlink::sim {

inline constexpr int kBitsPerCharacter = 11;

// Microseconds that `bytes` characters take on the wire at `baud`.
Micros wire_time(std::size_t bytes, unsigned baud) noexcept;

struct Transmission {
  Micros start = 0;  // when the first start bit begins
  std::vector<std::uint8_t> bytes;
};

// What a UART (sampling at the middle of each bit, as a 16x-oversampling UART does) receives
// from the wired-AND of `transmissions` at `baud`. Characters with a parity or framing error
// are delivered too, as most level converters forward them.
std::vector<std::uint8_t> receive_wired_and(const std::vector<Transmission>& transmissions,
                                            unsigned baud);

}  // namespace heatlink::sim
