// Runs the master's link procedures over a simulated concentrator's RS-232 side in this
// process, on the district's virtual clock (DESIGN.md rule 2): tests of the reading engine
// and the dispatcher, and the cycle benchmark.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "heatlink/master/link/link_driver.h"
#include "heatlink/protocol/link.h"
#include "heatlink/sim/district.h"

namespace heatlink::test {

// Runs procedures over a simulated concentrator's RS-232 side, letting virtual time pass
// only as the exchange waits.
class SimLine {
 public:
  SimLine(sim::EventQueue& queue, sim::Hm660& hm660) : queue_(queue), hm660_(hm660) {
    hm660_.set_rs232_sender(
        [this](protocol::Bytes b) { incoming_.insert(incoming_.end(), b.begin(), b.end()); });
  }

  void run(std::shared_ptr<protocol::link::Procedure> procedure,
           const std::function<void(const master::IoStatus&)>& done) {
    // The M-Bus behind the concentrator runs at 2400 Bd, and the HM-660 forwards whole frames.
    protocol::link::Timing timing = protocol::link::Timing::serial(2400);
    timing.store_and_forward = true;
    protocol::link::Exchange exchange(*procedure, timing);
    auto step = exchange.start(queue_.now());
    while (!step.done) {
      if (!step.send.empty()) hm660_.receive_rs232(step.send);
      // Events until bytes come back or the deadline passes.
      while (incoming_.empty()) {
        const auto next = queue_.next_time();
        if (!next || *next > step.deadline) break;
        queue_.step();
      }
      if (!incoming_.empty()) {
        const std::vector<std::uint8_t> bytes = std::move(incoming_);
        incoming_.clear();
        step = exchange.on_bytes(bytes, queue_.now());
      } else {
        queue_.run_until(step.deadline);
        step = exchange.on_deadline(queue_.now());
      }
    }
    done({});
  }

 private:
  sim::EventQueue& queue_;
  sim::Hm660& hm660_;
  std::vector<std::uint8_t> incoming_;
};

}  // namespace heatlink::test
