// Runs the master's link procedures over a simulated concentrator's RS-232 side in this
// process, on the district's virtual clock (DESIGN.md rule 2): tests of the reading engine
// and the dispatcher, and the cycle benchmark.
#pragma once

#include <algorithm>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
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

  using Done = std::function<void(const master::IoStatus&)>;

  // Runs the procedure to its end, virtual time passing meanwhile.
  void run(std::shared_ptr<protocol::link::Procedure> procedure, const Done& done) {
    start(std::move(procedure), done);
    while (flight_ && step(std::numeric_limits<sim::Micros>::max())) {
    }
  }

  // Starts the procedure and returns: advance() carries it on, so that the master's clock
  // ticks while it runs.
  void start(std::shared_ptr<protocol::link::Procedure> procedure, Done done) {
    // The M-Bus behind the concentrator runs at 2400 Bd, and the HM-660 forwards whole frames.
    protocol::link::Timing timing = protocol::link::Timing::serial(2400);
    timing.store_and_forward = true;
    auto exchange = std::make_unique<protocol::link::Exchange>(*procedure, timing);
    const auto first = exchange->start(queue_.now());
    flight_.emplace(Flight{std::move(procedure), std::move(exchange), first, std::move(done)});
    send();
  }

  // Lets virtual time pass until `until`, carrying on the procedure started, if any.
  void advance(sim::Micros until) {
    while (flight_ && step(until)) {
    }
    if (queue_.now() < until) queue_.run_until(until);
  }

 private:
  struct Flight {
    std::shared_ptr<protocol::link::Procedure> procedure;
    std::unique_ptr<protocol::link::Exchange> exchange;
    protocol::link::Exchange::Step step;
    Done done;
  };

  // Carries the procedure on to its next event - bytes back, or its deadline when that comes
  // by `until` - or to its end. False when it waits beyond `until`.
  bool step(sim::Micros until) {
    if (flight_->step.done) {
      const Done done = std::move(flight_->done);
      flight_.reset();
      done({});  // which may start the next procedure
      return true;
    }
    // Events until bytes come back or the deadline passes.
    const sim::Micros wait = std::min(flight_->step.deadline, until);
    while (incoming_.empty()) {
      const auto next = queue_.next_time();
      if (!next || *next > wait) break;
      queue_.step();
    }
    if (!incoming_.empty()) {
      const std::vector<std::uint8_t> bytes = std::move(incoming_);
      incoming_.clear();
      flight_->step = flight_->exchange->on_bytes(bytes, queue_.now());
    } else if (flight_->step.deadline <= until) {
      queue_.run_until(flight_->step.deadline);
      flight_->step = flight_->exchange->on_deadline(queue_.now());
    } else {
      return false;
    }
    send();
    return true;
  }

  void send() {
    if (flight_ && !flight_->step.done && !flight_->step.send.empty())
      hm660_.receive_rs232(flight_->step.send);
  }

  std::optional<Flight> flight_;
  sim::EventQueue& queue_;
  sim::Hm660& hm660_;
  std::vector<std::uint8_t> incoming_;
};

}  // namespace heatlink::test
