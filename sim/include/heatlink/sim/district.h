// A district built from a Topology: one event queue, the calendar and weather, every
// station, concentrator, channel and meter. The model the CLI, the harness and the control
// panel all drive. Not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string_view>

#include "heatlink/sim/gprs_link.h"
#include "heatlink/sim/hm660.h"
#include "heatlink/sim/serial_line.h"
#include "heatlink/sim/topology.h"
#include "heatlink/sim/trace.h"

namespace heatlink::sim {

class District {
 public:
  // `trace` may be null; it must outlive the district. With a `server`, every concentrator
  // that has a DTU is wired to it (RS-232 -> serial line -> DTU -> GPRS link -> server).
  District(const Topology& topology, std::uint64_t seed, Trace* trace = nullptr,
           ServerEnd* server = nullptr);
  District(const District&) = delete;
  District& operator=(const District&) = delete;

  EventQueue& queue() noexcept { return queue_; }
  const Calendar& calendar() const noexcept { return calendar_; }
  // The weather every station reads; changing it changes the conditions from the next step.
  WeatherProfile& weather() noexcept { return weather_; }
  std::uint64_t seed() const noexcept { return seed_; }

  std::size_t concentrator_count() const noexcept { return concentrators_.size(); }
  Hm660& concentrator(std::size_t index) { return concentrators_.at(index); }
  Hm660* find_concentrator(std::string_view name);
  // The index of the DTU a concentrator talks through (none: no DTU, or no server).
  std::optional<std::size_t> dtu_of(std::size_t concentrator) const {
    return dtu_of_.at(concentrator);
  }

  std::size_t meter_count() const noexcept { return meters_.size(); }
  SimulatedMeter& meter(std::size_t index) { return meters_.at(index); }

  // The DTUs, their links and the concentrator each serves (empty without a server).
  std::size_t dtu_count() const noexcept { return dtus_.size(); }
  Md109g& dtu(std::size_t index) { return dtus_.at(index); }
  GprsLink& link(std::size_t index) { return links_.at(index); }
  SerialLine& serial_line(std::size_t index) { return serial_lines_.at(index); }
  // Switches every DTU on.
  void power_on_dtus();
  // Every meter keeps its newest `count` answers (SimulatedMeter::answers).
  void keep_answers(std::size_t count);

 private:
  void wire_dtu(Hm660& hm660, const DtuSpec& spec, ServerEnd& server, Trace* trace);

  std::uint64_t seed_;
  EventQueue queue_;
  Calendar calendar_;
  WeatherProfile weather_;
  std::deque<HeatStation> stations_;
  std::deque<Hm660> concentrators_;
  std::deque<SimulatedMeter> meters_;
  std::deque<GprsLink> links_;
  std::deque<SerialLine> serial_lines_;
  std::deque<Md109g> dtus_;
  std::vector<std::optional<std::size_t>> dtu_of_;  // by concentrator
};

}  // namespace heatlink::sim
