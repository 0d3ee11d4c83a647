// Reading a topology from YAML (yaml-cpp). Exceptions stay in this file: parse_topology()
// returns a Topology or a TopologyError.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "heatlink/protocol/text_position.h"
#include "heatlink/sim/topology.h"
#include "heatlink/sim/yaml_reader.h"

namespace heatlink::sim {

std::string YamlError::to_string() const {
  if (file.empty()) return message;  // a message that names its place itself
  std::ostringstream out;
  out << file;
  if (line > 0) out << ':' << line << ':' << column;
  out << ": ";
  if (!key.empty()) out << "key '" << key << "': ";
  out << message;
  return out.str();
}

std::uint32_t bcd_id(std::uint32_t decimal) noexcept {
  std::uint32_t bcd = 0;
  for (int shift = 0; shift < 32; shift += 4, decimal /= 10) bcd |= (decimal % 10) << shift;
  return bcd;
}

std::size_t Topology::meter_count() const noexcept {
  std::size_t n = 0;
  for (const auto& s : stations) {
    for (const auto& c : s.concentrators) {
      for (const auto& ch : c.channels) {
        for (const auto& g : ch.groups) n += g.count;
      }
    }
  }
  return n;
}

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

}  // namespace

void YamlReader::fail(const YAML::Node& node, std::string_view key, std::string message) const {
  const YAML::Mark mark = node.Mark();
  throw YamlError{file_, mark.line >= 0 ? mark.line + 1 : 0, mark.column >= 0 ? mark.column + 1 : 0,
                  std::string(key), std::move(message)};
}

void YamlReader::check_keys(const YAML::Node& map, std::span<const std::string_view> allowed,
                            std::string_view where) const {
  if (!map.IsMap()) fail(map, where, "expected a mapping of keys");
  for (const auto& entry : map) {
    const std::string key = entry.first.as<std::string>();
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    fail(entry.first, key,
         "unknown key" + (where.empty() ? std::string() : " in " + std::string(where)) +
             did_you_mean(key, allowed));
  }
}

namespace {

void unique_keys(const YamlReader& reader, const YAML::Node& node, int depth) {
  if (depth > 64) reader.fail(node, "", "nested deeper than 64 levels");
  if (node.IsSequence()) {
    for (const YAML::Node& item : node) unique_keys(reader, item, depth + 1);
  } else if (node.IsMap()) {
    std::map<std::string, YAML::Mark> seen;
    for (const auto& entry : node) {
      if (entry.first.IsScalar()) {
        const std::string& key = entry.first.Scalar();
        const auto [first, fresh] = seen.try_emplace(key, entry.first.Mark());
        if (!fresh)
          reader.fail(entry.first, key,
                      "given twice in one mapping (first at line " +
                          std::to_string(first->second.line + 1) + ")");
      }
      unique_keys(reader, entry.second, depth + 1);
    }
  }
}

}  // namespace

void YamlReader::check_unique_keys(const YAML::Node& node) const {
  unique_keys(*this, node, 0);
}

YAML::Node YamlReader::load(std::string_view text) const {
  if (const auto bad = protocol::invalid_utf8(text))
    throw YamlError{file_, static_cast<int>(bad->at.line), static_cast<int>(bad->at.column), "",
                    bad->what};
  YAML::Node root = YAML::Load(std::string(text));
  check_unique_keys(root);
  return root;
}

double YamlReader::number(const YAML::Node& map, const char* key, double fallback, double lo,
                          double hi) const {
  const YAML::Node n = map[key];
  if (!n) return fallback;
  const double v = value<double>(n, key, "a number");
  if (v < lo || v > hi) {
    char range[96];
    std::snprintf(range, sizeof range, "%g is out of range [%g, %g]", v, lo, hi);
    fail(n, key, range);
  }
  return v;
}

std::string did_you_mean(std::string_view word, std::span<const std::string_view> choices) {
  std::string_view best;
  std::size_t best_distance = std::max<std::size_t>(3, word.size() / 3) + 1;
  for (const std::string_view candidate : choices) {
    const std::size_t d = edit_distance(word, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best.empty() ? std::string() : " (did you mean '" + std::string(best) + "'?)";
}

namespace {

class Reader : public YamlReader {
 public:
  using YamlReader::YamlReader;

  void expect_map(const YAML::Node& node, std::string_view what) const {
    if (!node.IsMap()) fail(node, what, "expected a mapping of keys");
  }

  CivilTime time(const YAML::Node& node, std::string_view key) const {
    const std::string text = value<std::string>(node, key, "a date-time like 2026-11-15T00:00:00");
    CivilTime c;
    const int n = std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d", &c.year, &c.month, &c.day, &c.hour,
                              &c.minute, &c.second);
    if ((n != 3 && n != 5 && n != 6) || c.month < 1 || c.month > 12 || c.day < 1 || c.day > 31 ||
        c.hour > 23 || c.minute > 59 || c.second > 59) {
      fail(node, key, "expected a date-time like 2026-11-15T00:00:00, found '" + text + "'");
    }
    return c;
  }

  MeterKind kind(const YAML::Node& node, std::string_view key) const {
    const std::string text = value<std::string>(node, key, "a meter kind");
    for (const MeterKind k : {MeterKind::multical403, MeterKind::multical603, MeterKind::sharky775,
                              MeterKind::sonometer30, MeterKind::cjt188_heat}) {
      if (text == meter_kind_name(k)) return k;
    }
    fail(node, key,
         "unknown meter kind '" + text +
             "' (multical403, multical603, sharky775, sonometer30, cjt188_heat)");
  }

  void faults(const YAML::Node& map, MeterGroup& g) const {
    expect_map(map, "faults");
    check_keys(map, {"no_response", "late_ms", "bad_checksum", "junk", "truncated", "read_budget",
                     "unit_loads", "physical", "leak_m3_per_h", "clock_drift_ppm"});
    g.link.no_response = number(map, "no_response", g.link.no_response, 0, 1);
    g.link.late_by = milliseconds(static_cast<std::int64_t>(
        number(map, "late_ms", static_cast<double>(g.link.late_by) / 1000, 0, 3'600'000)));
    optional(map, "bad_checksum", g.link.bad_checksum, "true or false");
    optional(map, "junk", g.link.junk, "true or false");
    optional(map, "truncated", g.link.truncated, "true or false");
    g.link.read_budget =
        static_cast<std::uint32_t>(number(map, "read_budget", g.link.read_budget, 0, 1e6));
    g.link.unit_loads = static_cast<float>(number(map, "unit_loads", g.link.unit_loads, 0, 1000));
    g.physical.leak_m3_per_h =
        static_cast<float>(number(map, "leak_m3_per_h", g.physical.leak_m3_per_h, 0, 100));
    g.physical.clock_drift_ppm =
        static_cast<float>(number(map, "clock_drift_ppm", g.physical.clock_drift_ppm, -1e5, 1e5));
    if (const YAML::Node list = map["physical"]) {
      if (!list.IsSequence()) fail(list, "physical", "expected a list of fault names");
      for (const YAML::Node& item : list) {
        const std::string name = value<std::string>(item, "physical", "a fault name");
        const auto* found = std::find_if(kPhysicalFaultNames.begin(), kPhysicalFaultNames.end(),
                                         [&](const auto& p) { return p.first == name; });
        if (found == kPhysicalFaultNames.end())
          fail(item, "physical", "unknown physical fault '" + name + "'");
        g.physical.flags = static_cast<std::uint16_t>(g.physical.flags | found->second);
      }
    }
  }

  // The keys a meter group and a template share.
  void meter_fields(const YAML::Node& map, MeterGroup& g) const {
    if (const YAML::Node k = map["kind"]) g.mix = {{kind(k, "kind"), 1.0}};
    if (const YAML::Node mix = map["mix"]) {
      if (!mix.IsMap()) fail(mix, "mix", "expected kind: share pairs");
      g.mix.clear();
      for (const auto& entry : mix) {
        const double share = value<double>(entry.second, "mix", "a share (number)");
        if (share <= 0) fail(entry.second, "mix", "shares must be positive");
        g.mix.emplace_back(kind(entry.first, "mix"), share);
      }
    }
    if (const YAML::Node u = map["energy_unit"]) {
      const std::string text = value<std::string>(u, "energy_unit", "kwh, mwh or gj");
      if (text == "kwh")
        g.energy_unit = EnergyUnit::kwh;
      else if (text == "mwh")
        g.energy_unit = EnergyUnit::mwh;
      else if (text == "gj")
        g.energy_unit = EnergyUnit::gj;
      else
        fail(u, "energy_unit", "expected kwh, mwh or gj");
    }
    if (const YAML::Node d = map["data_set"]) {
      const std::string text = value<std::string>(d, "data_set", "a data set");
      if (text == "standard")
        g.data_set = DataSet::standard;
      else if (text == "all")
        g.data_set = DataSet::all;
      else if (text == "billing")
        g.data_set = DataSet::billing;
      else if (text == "instantaneous")
        g.data_set = DataSet::instantaneous;
      else
        fail(d, "data_set", "expected standard, all, billing or instantaneous");
    }
    if (const YAML::Node e = map["energy_kwh"]) {
      if (!e.IsSequence() || e.size() != 2) fail(e, "energy_kwh", "expected [min, max]");
      g.energy_min_kwh = value<double>(e[0], "energy_kwh", "a number");
      g.energy_max_kwh = value<double>(e[1], "energy_kwh", "a number");
      if (g.energy_min_kwh < 0 || g.energy_max_kwh < g.energy_min_kwh) {
        fail(e, "energy_kwh", "expected 0 <= min <= max");
      }
    }
    if (const YAML::Node c = map["cjt188"]) {
      expect_map(c, "cjt188");
      check_keys(c, {"di_order", "unit_placement", "preamble"});
      if (const YAML::Node o = c["di_order"]) {
        const std::string text = value<std::string>(o, "di_order", "high_first or low_first");
        if (text != "high_first" && text != "low_first")
          fail(o, "di_order", "expected high_first or low_first");
        g.cjt188.di_order = text == "high_first" ? protocol::cjt188::DiOrder::high_first
                                                 : protocol::cjt188::DiOrder::low_first;
      }
      if (const YAML::Node p = c["unit_placement"]) {
        const std::string text =
            value<std::string>(p, "unit_placement", "after_value or before_value");
        if (text != "after_value" && text != "before_value") {
          fail(p, "unit_placement", "expected after_value or before_value");
        }
        g.cjt188.unit_placement = text == "after_value"
                                      ? protocol::cjt188::UnitPlacement::after_value
                                      : protocol::cjt188::UnitPlacement::before_value;
      }
      g.cjt188.preamble = static_cast<std::uint8_t>(number(c, "preamble", g.cjt188.preamble, 0, 4));
    }
    if (const YAML::Node f = map["faults"]) faults(f, g);
  }

  MeterGroup group(const YAML::Node& map,
                   const std::map<std::string, MeterGroup>& templates) const {
    expect_map(map, "meters");
    check_keys(map, {"template", "kind", "mix", "count", "id", "primary", "energy_kwh",
                     "energy_unit", "data_set", "cjt188", "faults"});
    MeterGroup g;
    g.mix = {{MeterKind::multical403, 1.0}};
    if (const YAML::Node t = map["template"]) {
      const std::string name = value<std::string>(t, "template", "a template name");
      const auto found = templates.find(name);
      if (found == templates.end()) fail(t, "template", "no template named '" + name + "'");
      g = found->second;
    }
    meter_fields(map, g);
    g.count = static_cast<std::size_t>(number(map, "count", 1, 1, 3'000'000));
    g.first_id = static_cast<std::uint32_t>(number(map, "id", 1, 0, 99'999'999));
    if (g.first_id + g.count - 1 > 99'999'999) {
      fail(map["id"] ? map["id"] : map, "id", "the last ID of the group exceeds 99999999");
    }
    g.first_primary = static_cast<int>(number(map, "primary", 1, 0, 250));
    return g;
  }

  Topology topology(const YAML::Node& root) const {
    if (!root.IsMap())
      fail(root, "", "a topology is a mapping with stations (see docs/topology.md)");
    check_keys(root, {"seed", "start", "weather", "templates", "stations"});
    Topology t;
    if (const YAML::Node s = root["seed"])
      t.seed = value<std::uint64_t>(s, "seed", "a non-negative integer");
    if (const YAML::Node s = root["start"]) t.start = time(s, "start");
    const Calendar calendar(t.start);
    if (const YAML::Node w = root["weather"]) {
      expect_map(w, "weather");
      check_keys(w, {"annual_mean", "annual_amplitude", "coldest_day_of_year", "daily_amplitude",
                     "table"});
      t.weather.annual_mean = number(w, "annual_mean", t.weather.annual_mean, -50, 50);
      t.weather.annual_amplitude = number(w, "annual_amplitude", t.weather.annual_amplitude, 0, 50);
      t.weather.coldest_day_of_year =
          static_cast<int>(number(w, "coldest_day_of_year", t.weather.coldest_day_of_year, 0, 365));
      t.weather.daily_amplitude = number(w, "daily_amplitude", t.weather.daily_amplitude, 0, 30);
      if (const YAML::Node table = w["table"]) {
        if (!table.IsSequence()) fail(table, "table", "expected a list of [date-time, degC]");
        for (const YAML::Node& row : table) {
          if (!row.IsSequence() || row.size() != 2)
            fail(row, "table", "expected [date-time, degC]");
          const Micros when = calendar.time_of(time(row[0], "table"));
          if (!t.weather.table.empty() && when <= t.weather.table.back().first) {
            fail(row, "table", "times must increase");
          }
          t.weather.table.emplace_back(when, value<double>(row[1], "table", "a temperature"));
        }
      }
    }
    std::map<std::string, MeterGroup> templates;
    if (const YAML::Node ts = root["templates"]) {
      expect_map(ts, "templates");
      for (const auto& entry : ts) {
        expect_map(entry.second, entry.first.as<std::string>());
        check_keys(entry.second,
                   {"kind", "mix", "energy_kwh", "energy_unit", "data_set", "cjt188", "faults"});
        MeterGroup g;
        g.mix = {{MeterKind::multical403, 1.0}};
        meter_fields(entry.second, g);
        templates[entry.first.as<std::string>()] = g;
      }
    }
    const YAML::Node stations = root["stations"];
    if (!stations || !stations.IsSequence() || stations.size() == 0) {
      fail(stations ? stations : root, "stations", "expected a list of at least one station");
    }
    for (const YAML::Node& s : stations) t.stations.push_back(station(s, templates));
    check_dtu_ids(stations);
    return t;
  }

  // Each DTU has its own ID: a second DTU with an ID is a typo, unless it says `cloned: true`
  // (a fitter's copy-paste, simulated on purpose).
  void check_dtu_ids(const YAML::Node& stations) const {
    std::map<std::string, int> first_line;
    for (const YAML::Node& s : stations) {
      const YAML::Node concentrators = s["concentrators"];
      if (!concentrators || !concentrators.IsSequence()) continue;
      for (const YAML::Node& c : concentrators) {
        const YAML::Node d = c["dtu"];
        if (!d || !d.IsMap() || !d["id"]) continue;
        const auto id = d["id"].as<std::string>();
        const auto [first, fresh] = first_line.try_emplace(id, d["id"].Mark().line + 1);
        const bool cloned = d["cloned"] && value<bool>(d["cloned"], "cloned", "true or false");
        if (!fresh && !cloned)
          fail(d["id"], "id",
               "DTU ID " + id + " is given to another DTU too (line " +
                   std::to_string(first->second) +
                   "); a DTU that claims it on purpose says cloned: true");
      }
    }
  }

  DtuSpec dtu(const YAML::Node& map, const Hm660Config& concentrator) const {
    expect_map(map, "dtu");
    check_keys(map, {"id", "convention", "heartbeat", "heartbeat_s", "packing_ms", "max_packet",
                     "link", "cloned", "key"});
    DtuSpec spec;
    DtuConfig& c = spec.config;
    const YAML::Node id = map["id"];
    if (!id) fail(map, "id", "a DTU needs its ID (an 11-digit number, IMEI, ICCID...)");
    c.profile.id = value<std::string>(id, "id", "a string");
    if (const YAML::Node conv = map["convention"]) {
      const auto parsed =
          protocol::dtu::parse_convention(value<std::string>(conv, "convention", "a convention"));
      if (!parsed) fail(conv, "convention", "expected id_on_connect, id_prefixed or ddp");
      c.profile.convention = *parsed;
    }
    optional(map, "heartbeat", c.profile.heartbeat, "a string");
    optional(map, "key", c.profile.key, "a string");
    if (const std::string problem = c.profile.problem(); !problem.empty())
      fail(map["key"] && problem.find("key") != std::string::npos ? map["key"] : id,
           map["key"] && problem.find("key") != std::string::npos ? "key" : "id", problem);
    c.heartbeat_interval =
        seconds(static_cast<std::int64_t>(number(map, "heartbeat_s", 60, 1, 86400)));
    c.packing_interval =
        milliseconds(static_cast<std::int64_t>(number(map, "packing_ms", 100, 1, 10000)));
    c.max_packet = static_cast<std::size_t>(number(map, "max_packet", 256, 16, 4096));
    c.serial_baud = concentrator.rs232_baud;
    c.serial_bits_per_character = concentrator.rs232_bits_per_character;
    if (const YAML::Node l = map["link"]) {
      spec.link = value<std::string>(l, "link", "good, gprs or poor");
      if (spec.link != "good" && spec.link != "gprs" && spec.link != "poor")
        fail(l, "link", "expected good, gprs or poor");
    }
    return spec;
  }

  StationSpec station(const YAML::Node& map,
                      const std::map<std::string, MeterGroup>& templates) const {
    expect_map(map, "stations");
    check_keys(map, {"name", "heating_curve", "concentrators"});
    StationSpec s;
    s.name = map["name"] ? value<std::string>(map["name"], "name", "a name") : "station";
    if (const YAML::Node c = map["heating_curve"]) {
      expect_map(c, "heating_curve");
      check_keys(c, {"design_outdoor", "design_supply", "mild_outdoor", "mild_supply"});
      s.curve.design_outdoor = number(c, "design_outdoor", s.curve.design_outdoor, -50, 20);
      s.curve.design_supply = number(c, "design_supply", s.curve.design_supply, 20, 150);
      s.curve.mild_outdoor = number(c, "mild_outdoor", s.curve.mild_outdoor, -20, 30);
      s.curve.mild_supply = number(c, "mild_supply", s.curve.mild_supply, 20, 150);
      if (s.curve.mild_outdoor <= s.curve.design_outdoor)
        fail(c, "mild_outdoor", "must be above design_outdoor");
    }
    const YAML::Node list = map["concentrators"];
    if (!list || !list.IsSequence()) fail(list ? list : map, "concentrators", "expected a list");
    for (const YAML::Node& c : list) {
      expect_map(c, "concentrators");
      check_keys(c, {"name", "rs232_baud", "rs232_format", "reply_timeout_ms", "forward_garbage",
                     "archive", "channels", "dtu", "community"});
      ConcentratorSpec spec;
      spec.config.name = c["name"] ? value<std::string>(c["name"], "name", "a name") : "hm660";
      if (const YAML::Node n = c["community"])
        spec.community = value<std::string>(n, "community", "a name");
      spec.config.rs232_baud = static_cast<unsigned>(number(c, "rs232_baud", 9600, 300, 115200));
      if (const YAML::Node f = c["rs232_format"]) {
        const std::string text = value<std::string>(f, "rs232_format", "8E1 or 8N1");
        if (text != "8E1" && text != "8N1") fail(f, "rs232_format", "expected 8E1 or 8N1");
        spec.config.rs232_bits_per_character = text == "8E1" ? 11 : 10;
      }
      spec.config.reply_timeout =
          milliseconds(static_cast<std::int64_t>(number(c, "reply_timeout_ms", 2000, 10, 600000)));
      optional(c, "forward_garbage", spec.config.forward_garbage, "true or false");
      optional(c, "archive", spec.config.archive_meters, "true or false");
      if (const YAML::Node d = c["dtu"]) spec.dtu = dtu(d, spec.config);
      const YAML::Node channels = c["channels"];
      if (!channels || !channels.IsSequence())
        fail(channels ? channels : c, "channels", "expected a list");
      for (const YAML::Node& ch : channels) {
        expect_map(ch, "channels");
        check_keys(ch, {"name", "baud", "echo", "max_unit_loads", "meters"});
        ChannelSpec channel;
        channel.segment.name = spec.config.name + "/" +
                               (ch["name"] ? value<std::string>(ch["name"], "name", "a name")
                                           : "ch" + std::to_string(spec.channels.size() + 1));
        channel.segment.baud = static_cast<unsigned>(number(ch, "baud", 2400, 300, 38400));
        if (channel.segment.baud % 300 != 0 ||
            ((channel.segment.baud / 300) & (channel.segment.baud / 300 - 1)) != 0) {
          fail(ch["baud"], "baud",
               "M-Bus rates are 300, 600, 1200, 2400, 4800, 9600, 19200, 38400");
        }
        optional(ch, "echo", channel.segment.echo, "true or false");
        channel.segment.max_unit_loads = number(ch, "max_unit_loads", 250, 1, 2000);
        if (const YAML::Node meters = ch["meters"]) {
          if (!meters.IsSequence()) fail(meters, "meters", "expected a list of meter groups");
          for (const YAML::Node& g : meters) channel.groups.push_back(group(g, templates));
        }
        spec.channels.push_back(std::move(channel));
      }
      s.concentrators.push_back(std::move(spec));
    }
    return s;
  }
};

}  // namespace

std::variant<Topology, TopologyError> parse_topology(std::string_view text, std::string_view file,
                                                     std::string_view under) {
  Reader reader{std::string(file)};
  try {
    const YAML::Node root = reader.load(text);
    if (under.empty()) return reader.topology(root);
    const YAML::Node node = root[std::string(under)];
    if (!node) reader.fail(root, under, "missing");
    return reader.topology(node);
  } catch (const YamlError& e) {
    return e;
  } catch (const YAML::ParserException& e) {
    return TopologyError{std::string(file), e.mark.line + 1, e.mark.column + 1, "", e.msg};
  } catch (const YAML::Exception& e) {
    return TopologyError{std::string(file), e.mark.line + 1, e.mark.column + 1, "", e.msg};
  }
}

std::variant<Topology, TopologyError> load_topology(const std::string& path) {
  std::ifstream in(path);
  if (!in) return TopologyError{path, 0, 0, "", "cannot read the file"};
  std::stringstream text;
  text << in.rdbuf();
  return parse_topology(text.str(), path);
}

}  // namespace heatlink::sim
