// A district as the simulator builds it: heat stations, their HM-660 concentrators, the
// channels of each, and groups of meters on each channel (templates, counts, address ranges,
// vendor mix). The YAML form is documented in docs/topology.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "heatlink/sim/calendar.h"
#include "heatlink/sim/gprs_link.h"
#include "heatlink/sim/hm660.h"
#include "heatlink/sim/weather.h"
#include "heatlink/sim/yaml_error.h"

namespace heatlink::sim {

struct MeterGroup {
  std::vector<std::pair<MeterKind, double>> mix;  // kinds and their shares (a single kind: 1.0)
  EnergyUnit energy_unit = EnergyUnit::kwh;
  protocol::cjt188::VendorProfile cjt188;
  std::size_t count = 1;
  std::uint32_t first_id = 1;  // secondary ID as a decimal number; +1 per meter
  int first_primary = 1;       // +1 per meter; past 250 meters have primary address 0
  double energy_min_kwh = 0;   // initial registers, drawn per meter
  double energy_max_kwh = 10000;
  DataSet data_set = DataSet::standard;  // SonoMeter: the data set it starts with
  LinkFaults link;
  MeterFaults physical;
};

struct ChannelSpec {
  SegmentConfig segment;
  std::vector<MeterGroup> groups;
};

// The concentrator's MD-109G and the mobile network behind it.
struct DtuSpec {
  DtuConfig config;
  std::string link = "gprs";  // a preset: "good", "gprs" or "poor" (see link_preset)
};

struct ConcentratorSpec {
  Hm660Config config;
  std::string community;  // the 小区 it serves, as the base information names it (optional)
  std::vector<ChannelSpec> channels;
  std::optional<DtuSpec> dtu;
};

struct StationSpec {
  std::string name;
  HeatingCurve curve;
  std::vector<ConcentratorSpec> concentrators;
};

struct Topology {
  std::optional<std::uint64_t> seed;
  CivilTime start{2026, 11, 15};
  WeatherProfile weather;
  std::vector<StationSpec> stations;

  std::size_t meter_count() const noexcept;
};

// A problem in a topology file: where, which key, and what is wrong.
using TopologyError = YamlError;

// Parses a topology; `file` names the text in errors. With `under`, the topology is the value
// of that top-level key (a scenario's `topology:`), and errors keep the file's lines. Never
// throws.
std::variant<Topology, TopologyError> parse_topology(std::string_view text, std::string_view file,
                                                     std::string_view under = {});
std::variant<Topology, TopologyError> load_topology(const std::string& path);

// The faults a link preset starts with: "good" (a quiet cell), "gprs" (GPRS latency and
// bandwidth), "poor" (slow, with a first-packet penalty and a 10-minute NAT idle timeout).
std::vector<LinkFault> link_preset(std::string_view name);

// " (did you mean 'count'?)" for the choice nearest to a mistyped `word`, or "" when none is
// near. Every YAML loader's unknown-key message ends with it.
std::string did_you_mean(std::string_view word, std::span<const std::string_view> choices);

// Secondary IDs are written in decimal and sent in BCD: 12345678 -> 0x12345678.
std::uint32_t bcd_id(std::uint32_t decimal) noexcept;

}  // namespace heatlink::sim
