#include "heatlink/master/link/link_driver.h"

namespace heatlink::master {

IoStatus run(protocol::link::Exchange& exchange, Transport& transport, Clock& clock) {
  transport.discard_input();
  auto step = exchange.start(clock.now());
  std::vector<std::uint8_t> received;
  while (!step.done) {
    if (!step.send.empty()) {
      if (IoStatus s = transport.write(step.send); !s.ok()) return s;
    }
    received.clear();
    if (IoStatus s = transport.read(received, step.deadline, clock); !s.ok()) return s;
    step = received.empty() ? exchange.on_deadline(clock.now())
                            : exchange.on_bytes(received, clock.now());
    // A step whose deadline has passed while bytes kept coming is due now.
    if (step.send.empty() && !step.done && clock.now() >= step.deadline) {
      step = exchange.on_deadline(clock.now());
    }
  }
  return {};
}

}  // namespace heatlink::master
