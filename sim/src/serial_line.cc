#include "heatlink/sim/serial_line.h"

#include <vector>

namespace heatlink::sim {

void SerialLine::carry(protocol::Bytes bytes, const Sink& sink) {
  std::vector<std::uint8_t> out;
  out.reserve(bytes.size());
  for (std::uint8_t b : bytes) {
    if (faults.drop > 0 && random_.chance(faults.drop)) continue;
    if (faults.baud_mismatch) b = static_cast<std::uint8_t>(b ^ 0xA5 ^ (random_.next() & 0x11));
    if (faults.corrupt > 0 && random_.chance(faults.corrupt)) {
      b = static_cast<std::uint8_t>(b ^ (1u << random_.uniform_int(0, 7)));
    }
    if (faults.parity_error > 0 && random_.chance(faults.parity_error)) b = 0x00;
    out.push_back(b);
  }
  if (out.empty()) return;
  if (faults.gap <= 0 || out.size() < 2) {
    sink(out);
    return;
  }
  // The sender paused in the middle: the receiver sees two bursts.
  const std::size_t half = out.size() / 2;
  sink(protocol::Bytes{out.data(), half});
  queue_.schedule_after(faults.gap, [sink, rest = std::vector<std::uint8_t>(
                                               out.begin() + static_cast<std::ptrdiff_t>(half),
                                               out.end())] { sink(rest); });
}

}  // namespace heatlink::sim
