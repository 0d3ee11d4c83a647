// The live side of a link: a Clock, a Transport to the bus (a serial port or a serial-to-TCP
// converter), and run(), which drives a protocol::link::Exchange over them. The procedures
// themselves stay sans-I/O (DESIGN.md rules 1 and 2); the harness drives them on a virtual
// clock instead.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "heatlink/protocol/link.h"

namespace heatlink::master {

using protocol::link::Micros;

// What an I/O call did: ok, or what went wrong in words ("/dev/ttyUSB0: permission denied").
struct IoStatus {
  std::string error;
  bool ok() const noexcept { return error.empty(); }
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Micros now() = 0;
};

class SteadyClock : public Clock {
 public:
  Micros now() override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

// A byte pipe to a bus, blocking, for one user at a time.
class Transport {
 public:
  virtual ~Transport() = default;
  // Writes every byte.
  virtual IoStatus write(protocol::Bytes bytes) = 0;
  // Waits until bytes arrive or `deadline` on `clock` passes, and appends what came to `out`
  // (nothing at the deadline).
  virtual IoStatus read(std::vector<std::uint8_t>& out, Micros deadline, Clock& clock) = 0;
  // Drops bytes that arrived unasked (before the first request).
  virtual void discard_input() {}
  // "/dev/ttyUSB0 at 2400 8E1", "tcp 10.0.0.5:4001".
  virtual std::string describe() const = 0;
};

// A serial port through libserialport: 8 data bits, even parity, one stop bit, no flow
// control (M-Bus level converters and the HM-660's RS-232 side). A terminal libserialport
// does not know (a pseudo-terminal) is opened through termios with the same settings.
std::unique_ptr<Transport> open_serial(const std::string& path, unsigned baud, IoStatus& status);

// A transparent serial-to-TCP converter (or anything that relays bytes unchanged).
std::unique_ptr<Transport> open_tcp(const std::string& host, std::uint16_t port,
                                    Micros connect_timeout, IoStatus& status);

// Runs `exchange` to the end. Returns an I/O failure; what the procedure found is the
// procedure's verdict.
IoStatus run(protocol::link::Exchange& exchange, Transport& transport, Clock& clock);

}  // namespace heatlink::master
