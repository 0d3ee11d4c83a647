// A bus on a virtual clock for the link procedures' tests: it answers each request through a
// function of the request's bytes, after a delay, in chunks of a chosen size (as GPRS and
// USB converters cut them), optionally echoing the request first. Late answers arrive late:
// they are delivered whatever the master is doing by then. The line can go dark for a while:
// requests sent then are lost (a black hole), or held and delivered when it comes back (a
// cell outage).
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "heatlink/protocol/link.h"

namespace heatlink::test {

namespace link = protocol::link;

class FakeBus {
 public:
  using Answer = std::function<std::optional<std::vector<std::uint8_t>>(
      const std::vector<std::uint8_t>& request)>;

  explicit FakeBus(Answer answer) : answer_(std::move(answer)) {}

  link::Micros delay = 30'000;  // from the end of a request to its answer
  std::function<link::Micros(const std::vector<std::uint8_t>&)> delay_for;  // overrides `delay`
  std::size_t chunk = 1;                                                    // bytes per delivery
  link::Micros chunk_gap = 2'000;
  bool echo = false;
  std::vector<std::vector<std::uint8_t>> requests;  // every request, in order
  struct Dark {
    link::Micros from = 0, to = 0;
    bool held = false;  // delivered at `to` (else lost)
  };
  std::optional<Dark> dark;

  // Runs `exchange` to the end; returns the virtual time it took.
  link::Micros run(link::Exchange& exchange) {
    link::Micros now = 0;
    auto step = exchange.start(now);
    for (int guard = 0; !step.done && guard < 1'000'000; ++guard) {
      if (!step.send.empty()) on_request(step.send, now);
      if (dark && now >= dark->to) {
        for (const auto& request : std::exchange(held_, {})) answer(request, now);
      }
      pending_.erase(std::remove_if(pending_.begin(), pending_.end(),
                                    [](const Delivery& d) { return d.bytes.empty(); }),
                     pending_.end());
      auto first =
          std::min_element(pending_.begin(), pending_.end(),
                           [](const Delivery& a, const Delivery& b) { return a.at < b.at; });
      if (first != pending_.end() && first->at < step.deadline) {
        now = std::max(now, first->at);
        const std::vector<std::uint8_t> bytes = std::move(first->bytes);
        first->bytes.clear();
        step = exchange.on_bytes(bytes, now);
      } else {
        now = std::max(now, step.deadline);
        step = exchange.on_deadline(now);
      }
    }
    return now;
  }

 private:
  struct Delivery {
    link::Micros at;
    std::vector<std::uint8_t> bytes;
  };

  void on_request(const std::vector<std::uint8_t>& request, link::Micros now) {
    requests.push_back(request);
    if (dark && now >= dark->from && now < dark->to) {
      if (dark->held) held_.push_back(request);
      return;
    }
    answer(request, now);
  }

  void answer(const std::vector<std::uint8_t>& request, link::Micros now) {
    std::vector<std::uint8_t> out;
    if (echo) out = request;
    if (auto answer = answer_(request)) out.insert(out.end(), answer->begin(), answer->end());
    link::Micros at = now + (delay_for ? delay_for(request) : delay);
    for (std::size_t i = 0; i < out.size(); i += chunk) {
      const auto end = out.begin() + static_cast<std::ptrdiff_t>(std::min(out.size(), i + chunk));
      pending_.push_back({at, {out.begin() + static_cast<std::ptrdiff_t>(i), end}});
      at += chunk_gap;
    }
  }

  Answer answer_;
  std::vector<Delivery> pending_;
  std::vector<std::vector<std::uint8_t>> held_;
};

}  // namespace heatlink::test
