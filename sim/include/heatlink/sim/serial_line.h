// The RS-232 cable between a concentrator and its DTU, with the serial-side faults of
// REFERENCE.md section 6: byte drop, corruption, parity errors, inter-byte gaps longer than
// the DTU's packing interval (one frame then leaves in two packets), and a baud mismatch.
// Serial buffer overflow is the DTU's (DtuConfig::serial_buffer).
#pragma once

#include <cstdint>
#include <functional>

#include "heatlink/protocol/bytes.h"
#include "heatlink/sim/event_queue.h"
#include "heatlink/sim/random.h"

namespace heatlink::sim {

struct SerialFaults {
  double drop = 0;             // probability that a byte is lost
  double corrupt = 0;          // probability that a byte arrives with a flipped bit
  double parity_error = 0;     // probability that a byte is replaced by what a UART makes of a
                               // parity or framing error (0x00, as many converters deliver it)
  Micros gap = 0;              // a pause inside each chunk (after its first half)
  bool baud_mismatch = false;  // the two ends disagree on the rate: every byte is garbled
};

class SerialLine {
 public:
  using Sink = std::function<void(protocol::Bytes)>;

  SerialLine(EventQueue& queue, std::uint64_t seed)
      : queue_(queue), random_(RandomStream::derive(seed, "serial")) {}

  // Bytes from one end are handed to `sink` at the other, through the faults.
  void carry(protocol::Bytes bytes, const Sink& sink);
  SerialFaults faults;

 private:
  EventQueue& queue_;
  RandomStream random_;
};

}  // namespace heatlink::sim
