// A district built from a Topology: one event queue, the calendar and weather, every
// station, concentrator, channel and meter. The model the CLI, the harness and the control
// panel all drive. Not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string_view>

#include "heatlink/sim/hm660.h"
#include "heatlink/sim/topology.h"
#include "heatlink/sim/trace.h"

namespace heatlink::sim {

class District {
 public:
  // `trace` may be null; it must outlive the district.
  District(const Topology& topology, std::uint64_t seed, Trace* trace = nullptr);
  District(const District&) = delete;
  District& operator=(const District&) = delete;

  EventQueue& queue() noexcept { return queue_; }
  const Calendar& calendar() const noexcept { return calendar_; }
  std::uint64_t seed() const noexcept { return seed_; }

  std::size_t concentrator_count() const noexcept { return concentrators_.size(); }
  Hm660& concentrator(std::size_t index) { return concentrators_.at(index); }
  Hm660* find_concentrator(std::string_view name);

  std::size_t meter_count() const noexcept { return meters_.size(); }
  SimulatedMeter& meter(std::size_t index) { return meters_.at(index); }

 private:
  std::uint64_t seed_;
  EventQueue queue_;
  Calendar calendar_;
  WeatherProfile weather_;
  std::deque<HeatStation> stations_;
  std::deque<Hm660> concentrators_;
  std::deque<SimulatedMeter> meters_;
};

}  // namespace heatlink::sim
