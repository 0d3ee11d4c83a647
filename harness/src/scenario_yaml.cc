// Reading a scenario from YAML (yaml-cpp). Exceptions stay in this file: parse_scenario()
// returns a Scenario or a ScenarioError. The topology and the master's settings are read by
// their own loaders (sim, master), so a scenario accepts exactly what their files accept.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "heatlink/harness/scenario.h"
#include "heatlink/master/analysis/fault_rules.h"
#include "heatlink/sim/pace.h"
#include "heatlink/sim/yaml_reader.h"

namespace heatlink::harness {

namespace {

// No run or window is longer than a hundred years: beyond it a number is a typo (or an
// attack), and the sums of times stay far from overflowing.
constexpr Seconds kLongestDuration = Seconds{100} * 366 * 86400;

bool safe_id(std::string_view id) {
  return !id.empty() && id.size() <= 80 && id.front() != '.' &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
         });
}

}  // namespace

std::optional<Seconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  Seconds total = 0;
  while (!text.empty()) {
    Seconds n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc{} || n < 0) return std::nullopt;
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    Seconds unit = 1;
    if (!text.empty()) {
      switch (text.front()) {
        case 's':
          unit = 1;
          break;
        case 'm':
          unit = 60;
          break;
        case 'h':
          unit = 3600;
          break;
        case 'd':
          unit = 86400;
          break;
        default:
          return std::nullopt;
      }
      text.remove_prefix(1);
    } else if (total != 0) {
      return std::nullopt;  // "1h30": the 30 of what?
    }
    if (n > (kLongestDuration - total) / unit) return std::nullopt;
    total += n * unit;
  }
  return total;
}

namespace {

constexpr std::array<std::string_view, 17> kActions = {
    "link_fault",     "meter_fault",    "short_circuit",      "set_value",  "manual_read",
    "valve",          "restart_master", "kill_master",        "dtu_power",  "heal_all",
    "secondary_scan", "meter_replace",  "concentrator_power", "master_api", "archive_read",
    "archive_write",  "dtu_clone"};
constexpr std::array<std::string_view, 20> kChecks = {
    "read_success_rate", "stored_readings",    "no_duplicates",    "no_lost_readings",
    "ground_truth",      "fault_raised",       "fault_not_raised", "fault_cleared",
    "dtu_sessions",      "dtu_offline",        "failed_reads",     "manual_read_latency",
    "valve_state",       "settlement_matches", "open_faults",      "scan_found",
    "consumption",       "missed_slots",       "slot_overrun",     "archive_found"};
constexpr std::array<std::string_view, 4> kEvents = {"dtu_offline", "dtu_online", "fault_raised",
                                                     "cycle_failed"};

class Reader : public sim::YamlReader {
 public:
  using YamlReader::YamlReader;

  // From here on, the meters, DTUs, concentrators and stations that checks and timelines name
  // must be the topology's.
  void names_from(const sim::Topology& topology) { topology_ = &topology; }

  // `map[key]`, a name of `what` ("meter", "dtu", "concentrator", "station", "code") that the
  // topology (or the master's catalogue of fault codes) knows.
  std::string name(const YAML::Node& map, const char* key, std::string_view what) const {
    std::string v = text(map, key);
    if (v.empty() || topology_ == nullptr) return v;
    if (what == "code") {
      if (!master::is_fault_code(v))
        fail(map[key], key,
             "no fault code '" + v + "' (the master's codes, or custom:NAME)" +
                 sim::did_you_mean(v, master::fault_codes()));
      return v;
    }
    if (what == "meter") {
      if (!has_meter(v))
        fail(map[key], key,
             "no meter '" + v + "' in the topology (meters: " + meter_ranges() + ")");
      return v;
    }
    std::vector<std::string> names;
    for (const auto& station : topology_->stations) {
      if (what == "station") names.push_back(station.name);
      for (const auto& c : station.concentrators) {
        if (what == "concentrator") names.push_back(c.config.name);
        if (what == "dtu" && c.dtu) names.push_back(c.dtu->config.profile.id);
        if (what == "community" && !c.community.empty() &&
            std::find(names.begin(), names.end(), c.community) == names.end())
          names.push_back(c.community);
      }
    }
    if (std::find(names.begin(), names.end(), v) == names.end()) {
      const std::vector<std::string_view> views(names.begin(), names.end());
      fail(
          map[key], key,
          "no " + std::string(what) + " '" + v + "' in the topology" + sim::did_you_mean(v, views));
    }
    return v;
  }

  std::string text(const YAML::Node& map, const char* key) const {
    const YAML::Node n = map[key];
    return n ? value<std::string>(n, key, "text") : std::string();
  }

  Seconds duration(const YAML::Node& node, std::string_view key) const {
    const auto text = value<std::string>(node, key, "a duration");
    const auto d = parse_duration(text);
    if (!d)
      fail(node, key, "expected a duration like 90, 90s, 15m, 1h30m or 2d, found '" + text + "'");
    return *d;
  }

  std::optional<Seconds> optional_duration(const YAML::Node& map, const char* key) const {
    const YAML::Node n = map[key];
    if (!n) return std::nullopt;
    return duration(n, key);
  }

  template <std::size_t N>
  std::size_t choice(const YAML::Node& node, std::string_view key,
                     const std::array<std::string_view, N>& choices) const {
    const auto name = value<std::string>(node, key, "a name");
    for (std::size_t i = 0; i < N; ++i) {
      if (choices[i] == name) return i;
    }
    std::string all;
    for (const auto c : choices) all += (all.empty() ? "" : ", ") + std::string(c);
    fail(node, key,
         "unknown '" + name + "'" + sim::did_you_mean(name, choices) + "; one of " + all);
  }

  Meta meta(const YAML::Node& m) const {
    check_keys(m, {"id", "title", "tags", "seed", "pace", "duration", "heal_at"}, "meta");
    Meta out;
    out.id = text(m, "id");
    if (out.id.empty()) fail(m, "id", "a scenario needs an id");
    // The id names the run's directory under --work-dir: a name, never a path.
    if (!safe_id(out.id))
      fail(m["id"], "id",
           "expected a name of letters, digits, '-', '_' and '.' (1 to 80, not starting with "
           "'.'), found '" +
               out.id + "'");
    out.title = text(m, "title");
    if (const YAML::Node t = m["tags"])
      out.tags = value<std::vector<std::string>>(t, "tags", "a list");
    if (const YAML::Node s = m["seed"])
      out.seed = value<std::uint64_t>(s, "seed", "a non-negative integer");
    if (const YAML::Node p = m["pace"]) {
      const auto pace = value<std::string>(p, "pace", "realtime or xN");
      if (pace == "realtime") {
        out.pace = 1;
      } else if (pace.size() < 2 || pace[0] != 'x' ||
                 std::sscanf(pace.c_str() + 1, "%lf", &out.pace) != 1 || !(out.pace > 0) ||
                 out.pace > sim::Pace::kMaxFactor) {
        fail(p, "pace",
             "expected realtime or xN (N simulated seconds per second, 0 < N <= 100000), "
             "found '" +
                 pace + "'");
      }
    }
    if (const YAML::Node d = m["duration"]) out.duration = duration(d, "duration");
    if (out.duration <= 0) fail(m, "duration", "a scenario lasts at least a second");
    out.heal_at = optional_duration(m, "heal_at");
    return out;
  }

  sim::LinkFault link_fault(const YAML::Node& f) const {
    check_keys(f,
               {"kind", "direction", "delay_ms", "jitter_ms", "period_s", "probability", "amount"},
               "fault");
    sim::LinkFault out;
    const YAML::Node k = f["kind"];
    if (!k) fail(f, "kind", "a link fault needs a kind");
    const auto name = value<std::string>(k, "kind", "a fault kind");
    const auto kind = sim::parse_fault_kind(name);
    if (!kind) {
      std::vector<std::string> names;
      for (int i = 0; i <= static_cast<int>(sim::FaultKind::duplicate_registration); ++i)
        names.emplace_back(sim::fault_kind_name(static_cast<sim::FaultKind>(i)));
      const std::vector<std::string_view> views(names.begin(), names.end());
      fail(k, "kind", "unknown link fault '" + name + "'" + sim::did_you_mean(name, views));
    }
    out.kind = *kind;
    if (const YAML::Node d = f["direction"]) {
      const auto dir = value<std::string>(d, "direction", "up, down or both");
      if (dir == "up") {
        out.direction = sim::Direction::up;
      } else if (dir == "down") {
        out.direction = sim::Direction::down;
      } else if (dir != "both") {
        fail(d, "direction", "expected up, down or both");
      }
    }
    out.delay = static_cast<sim::Micros>(number(f, "delay_ms", 0, 0, 86'400'000) * 1000);
    out.jitter = static_cast<sim::Micros>(number(f, "jitter_ms", 0, 0, 86'400'000) * 1000);
    out.period = static_cast<sim::Micros>(number(f, "period_s", 0, 0, 86'400) * 1'000'000);
    out.probability = number(f, "probability", 1.0, 0, 1);
    out.amount = static_cast<std::uint64_t>(number(f, "amount", 0, 0, 1e12));
    return out;
  }

  TimelineEntry entry(const YAML::Node& e) const {
    check_keys(e,
               {"at",       "every",         "until",           "when",       "do",      "name",
                "dtu",      "meter",         "concentrator",    "community",  "channel", "fault",
                "physical", "leak_m3_per_h", "clock_drift_ppm", "energy_kwh", "open",    "primary",
                "power",    "for",           "down_for",        "new_id",     "filed",   "method",
                "path",     "body",          "status",          "clone_of"},
               "timeline");
    TimelineEntry out;
    out.line = e.Mark().line + 1;
    Trigger& t = out.trigger;
    t.at = optional_duration(e, "at");
    t.every = optional_duration(e, "every");
    t.until = optional_duration(e, "until");
    if (t.every && *t.every <= 0) fail(e["every"], "every", "at least 1 s");
    if (const YAML::Node w = e["when"]) {
      if (w.IsScalar()) {
        t.when = static_cast<EventKind>(choice(w, "when", kEvents));
      } else {
        check_keys(w, {"event", "dtu", "code"}, "when");
        if (!w["event"]) fail(w, "event", "a `when` names an event");
        t.when = static_cast<EventKind>(choice(w["event"], "event", kEvents));
        t.when_target = w["dtu"] ? name(w, "dtu", "dtu") : name(w, "code", "code");
      }
    }
    if (!t.at && !t.every && !t.when) fail(e, "at", "give `at`, `every` or `when`");
    if (t.when && (t.every)) fail(e, "when", "`when` and `every` do not combine");
    const YAML::Node d = e["do"];
    if (!d) fail(e, "do", "a timeline entry needs an action (`do`)");
    Action& a = out.action;
    a.kind = static_cast<ActionKind>(choice(d, "do", kActions));
    a.name = text(e, "name");
    a.dtu = name(e, "dtu", "dtu");
    a.clone_of = name(e, "clone_of", "dtu");
    a.meter = name(e, "meter", "meter");
    a.concentrator = name(e, "concentrator", "concentrator");
    a.community = name(e, "community", "community");
    a.channel = static_cast<unsigned>(number(e, "channel", 1, 1, 8));
    a.lasting = optional_duration(e, "for");
    if (const auto down = optional_duration(e, "down_for")) a.down_for = *down;
    if (const YAML::Node p = e["physical"]) {
      if (!p.IsSequence()) fail(p, "physical", "expected a list of fault names");
      std::vector<std::string_view> known;
      for (const auto& [name, bit] : sim::kPhysicalFaultNames) known.push_back(name);
      for (const YAML::Node& f : p) {
        const auto name = value<std::string>(f, "physical", "a fault name");
        if (std::find(known.begin(), known.end(), name) == known.end())
          fail(f, "physical",
               "unknown meter fault '" + name + "'" + sim::did_you_mean(name, known));
        a.physical.push_back(name);
      }
    }
    a.leak_m3_per_h = number(e, "leak_m3_per_h", 0, 0, 100);
    a.clock_drift_ppm = number(e, "clock_drift_ppm", 0, -100000, 100000);
    if (e["energy_kwh"]) a.energy_kwh = number(e, "energy_kwh", 0, 0, 1e9);
    if (const YAML::Node o = e["open"]) a.open = value<bool>(o, "open", "true or false");
    if (e["primary"]) a.primary = static_cast<unsigned>(number(e, "primary", 0, 0, 250));
    if (const YAML::Node id = e["new_id"]) {
      a.new_id = text(e, "new_id");
      if (a.new_id.size() != 8 || a.new_id.find_first_not_of("0123456789") != std::string::npos)
        fail(id, "new_id", "expected the new meter's 8-digit identification number");
    }
    if (const YAML::Node p = e["power"]) {
      a.power = value<std::string>(p, "power", "cycle, off, on or reboot");
      if (a.power != "cycle" && a.power != "off" && a.power != "on" && a.power != "reboot")
        fail(p, "power", "expected cycle, off, on or reboot");
    }
    if (const YAML::Node f = e["filed"]) a.filed = value<bool>(f, "filed", "true or false");
    a.method = text(e, "method");
    a.path = text(e, "path");
    a.body = text(e, "body");
    if (e["status"]) a.status = static_cast<int>(number(e, "status", 200, 100, 599));
    const auto need = [&](const std::string& v, const char* key) {
      if (v.empty()) fail(e, key, std::string(action_name(a.kind)) + " needs `" + key + "`");
    };
    switch (a.kind) {
      case ActionKind::link_fault:
        need(a.dtu, "dtu");
        if (!e["fault"]) fail(e, "fault", "link_fault needs `fault` (kind and parameters)");
        a.fault = link_fault(e["fault"]);
        break;
      case ActionKind::meter_fault:
      case ActionKind::set_value:
      case ActionKind::valve:
        need(a.meter, "meter");
        if (a.kind == ActionKind::valve && !a.open)
          fail(e, "open", "valve needs `open: true|false`");
        break;
      case ActionKind::meter_replace:
        need(a.meter, "meter");
        need(a.new_id, "new_id");
        break;
      case ActionKind::short_circuit:
      case ActionKind::secondary_scan:
      case ActionKind::archive_read:
      case ActionKind::archive_write:
        need(a.concentrator, "concentrator");
        break;
      case ActionKind::manual_read:
        if (a.meter.empty() && a.concentrator.empty() && a.community.empty())
          fail(e, "meter", "manual_read needs `meter`, `concentrator` or `community`");
        break;
      case ActionKind::dtu_power:
        need(a.dtu, "dtu");
        break;
      case ActionKind::dtu_clone:
        need(a.dtu, "dtu");
        need(a.clone_of, "clone_of");
        if (a.clone_of == a.dtu) fail(e["clone_of"], "clone_of", "another DTU's ID than its own");
        break;
      case ActionKind::concentrator_power:
        if (a.concentrator.empty() == a.community.empty())
          fail(e, "concentrator", "concentrator_power needs `concentrator` or `community`");
        if (a.power == "reboot") fail(e["power"], "power", "expected cycle, off or on");
        break;
      case ActionKind::master_api:
        master_call(e, a);
        break;
      case ActionKind::restart_master:
      case ActionKind::kill_master:
      case ActionKind::heal_all:
        break;
    }
    return out;
  }

  // A master_api entry: a method, a path of the API (with {meter} only beside `meter`), and a
  // body that is a JSON object.
  void master_call(const YAML::Node& e, const Action& a) const {
    static constexpr std::array<std::string_view, 5> methods = {"GET", "POST", "PUT", "PATCH",
                                                                "DELETE"};
    if (!e["method"]) fail(e, "method", "master_api needs `method`");
    choice(e["method"], "method", methods);
    if (!a.path.starts_with("/api/v1/"))
      fail(e["path"] ? e["path"] : e, "path", "master_api needs a `path` under /api/v1/");
    if (a.path.find("{meter}") != std::string::npos && a.meter.empty())
      fail(e["path"], "path", "{meter} in the path needs `meter`");
    if (!a.body.empty()) {
      const auto parsed = nlohmann::json::parse(a.body, nullptr, false);
      if (!parsed.is_object()) fail(e["body"], "body", "expected a JSON object, as text");
    }
  }

  Check check(const YAML::Node& c) const {
    check_keys(c,
               {"name", "check", "from", "to", "at", "min", "max", "equals", "code", "meter",
                "station", "concentrator", "channel", "dtu", "action", "open", "tolerance_kwh"},
               "expectations");
    Check out;
    out.line = c.Mark().line + 1;
    if (!c["check"]) fail(c, "check", "an expectation names a `check`");
    out.kind = static_cast<CheckKind>(choice(c["check"], "check", kChecks));
    out.name = c["name"] ? text(c, "name") : std::string(check_name(out.kind));
    if (const auto from = optional_duration(c, "from")) out.from = *from;
    out.to = optional_duration(c, "to");
    if (const auto at = optional_duration(c, "at")) out.to = *at;
    if (out.to && *out.to < out.from)
      fail(c["to"] ? c["to"] : c["at"], "to", "the window ends before it begins");
    if (c["min"]) out.min = number(c, "min", 0, -1e15, 1e15);
    if (c["max"]) out.max = number(c, "max", 0, -1e15, 1e15);
    if (c["equals"]) out.min = out.max = number(c, "equals", 0, -1e15, 1e15);
    out.code = name(c, "code", "code");
    out.meter = name(c, "meter", "meter");
    out.station = name(c, "station", "station");
    out.concentrator = name(c, "concentrator", "concentrator");
    out.dtu = name(c, "dtu", "dtu");
    out.action = text(c, "action");
    if (c["channel"]) out.channel = static_cast<unsigned>(number(c, "channel", 1, 1, 8));
    if (const YAML::Node o = c["open"]) out.open = value<bool>(o, "open", "true or false");
    out.tolerance_kwh = number(c, "tolerance_kwh", 0, 0, 1e9);
    const auto need = [&](const std::string& v, const char* key) {
      if (v.empty()) fail(c, key, std::string(check_name(out.kind)) + " needs `" + key + "`");
    };
    switch (out.kind) {
      case CheckKind::dtu_sessions:
      case CheckKind::dtu_offline:
        need(out.dtu, "dtu");
        break;
      case CheckKind::scan_found:
      case CheckKind::archive_found:
        need(out.action, "action");
        break;
      case CheckKind::manual_read_latency:
        need(out.action, "action");
        if (!out.max) fail(c, "max", "manual_read_latency needs `max` (seconds)");
        break;
      case CheckKind::valve_state:
        need(out.meter, "meter");
        if (!out.open) fail(c, "open", "valve_state needs `open: true|false`");
        break;
      default:
        break;
    }
    return out;
  }

  std::vector<Check> checks(const YAML::Node& list, const char* key) const {
    if (!list.IsSequence()) fail(list, key, "expected a list of checks");
    std::vector<Check> out;
    for (const YAML::Node& c : list) out.push_back(check(c));
    return out;
  }

 private:
  // A meter name is its identification number, 8 digits, within one of the topology's groups.
  bool has_meter(const std::string& v) const {
    if (v.size() != 8 || v.find_first_not_of("0123456789") != std::string::npos) return false;
    const auto id = static_cast<std::uint64_t>(std::stoul(v));
    for (const auto& station : topology_->stations)
      for (const auto& c : station.concentrators)
        for (const auto& channel : c.channels)
          for (const auto& g : channel.groups)
            if (id >= g.first_id && id < g.first_id + g.count) return true;
    return false;
  }
  std::string meter_ranges() const {
    std::string out;
    std::size_t n = 0;
    for (const auto& station : topology_->stations)
      for (const auto& c : station.concentrators)
        for (const auto& channel : c.channels)
          for (const auto& g : channel.groups) {
            if (++n > 4) continue;
            char range[40];
            std::snprintf(range, sizeof range, "%08u-%08u", g.first_id,
                          static_cast<unsigned>(g.first_id + g.count - 1));
            out += (out.empty() ? "" : ", ") + std::string(range);
          }
    return n > 4 ? out + ", ..." : out;
  }

  const sim::Topology* topology_ = nullptr;
};

std::string read_file(const std::string& path, bool& ok) {
  std::ifstream in(path);
  ok = static_cast<bool>(in);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

const char* action_name(ActionKind kind) noexcept {
  return kActions[static_cast<std::size_t>(kind)].data();
}

const char* check_name(CheckKind kind) noexcept {
  return kChecks[static_cast<std::size_t>(kind)].data();
}

std::variant<Scenario, ScenarioError> parse_scenario(std::string_view text, std::string file) {
  Reader r{file};
  Scenario s;
  s.file = file;
  try {
    const YAML::Node root = r.load(text);
    if (!root.IsMap())
      r.fail(root, "", "a scenario is a mapping with meta, topology, timeline and expectations");
    r.check_keys(root, {"meta", "topology", "master", "weather", "timeline", "expectations"},
                 "the top level");
    if (!root["meta"]) r.fail(root, "meta", "a scenario needs `meta` (at least an id)");
    s.meta = r.meta(root["meta"]);

    const YAML::Node t = root["topology"];
    if (!t) r.fail(root, "topology", "a scenario needs a topology (a file or the topology itself)");
    std::variant<sim::Topology, sim::TopologyError> topology;
    if (t.IsScalar()) {
      std::filesystem::path path = r.value<std::string>(t, "topology", "a file");
      if (path.is_relative()) path = std::filesystem::path(file).parent_path() / path;
      topology = sim::load_topology(path.string());
      s.topology_file = path.string();
    } else {
      topology = sim::parse_topology(text, file, "topology");
      s.topology_file = file;
      s.topology_key = "topology";
    }
    if (const auto* e = std::get_if<sim::TopologyError>(&topology)) return *e;
    s.topology = std::get<sim::Topology>(std::move(topology));
    r.names_from(s.topology);
    if (const YAML::Node w = root["weather"]) {
      s.weather_set = true;
      r.check_keys(w, {"annual_mean", "annual_amplitude", "daily_amplitude"}, "weather");
      s.topology.weather.annual_mean =
          r.number(w, "annual_mean", s.topology.weather.annual_mean, -50, 50);
      s.topology.weather.annual_amplitude =
          r.number(w, "annual_amplitude", s.topology.weather.annual_amplitude, 0, 50);
      s.topology.weather.daily_amplitude =
          r.number(w, "daily_amplitude", s.topology.weather.daily_amplitude, 0, 30);
    }

    auto master = master::parse_master_settings(std::string(text), file, "master");
    if (const auto* e = std::get_if<std::string>(&master)) return ScenarioError{"", 0, 0, "", *e};
    s.master = std::get<master::MasterConfig>(std::move(master));
    if (!root["master"] || !root["master"]["name"]) s.master.dispatcher.master = "harness";

    if (const YAML::Node tl = root["timeline"]) {
      if (!tl.IsSequence()) r.fail(tl, "timeline", "expected a list of entries");
      for (const YAML::Node& e : tl) s.timeline.push_back(r.entry(e));
    }
    if (const YAML::Node x = root["expectations"]) {
      r.check_keys(x, {"steady_state", "checks"}, "expectations");
      if (x["steady_state"])
        s.expectations.steady_state = r.checks(x["steady_state"], "steady_state");
      if (x["checks"]) s.expectations.checks = r.checks(x["checks"], "checks");
    }
    if (s.expectations.checks.empty() && s.expectations.steady_state.empty())
      r.fail(root, "expectations",
             "a scenario asserts something: add `expectations: {checks: [...]}`");
  } catch (const sim::YamlError& e) {
    return e;
  } catch (const YAML::Exception& e) {
    return ScenarioError{file, e.mark.line + 1, e.mark.column + 1, "", e.msg};
  }
  return s;
}

std::variant<Scenario, ScenarioError> load_scenario(const std::string& path) {
  bool ok = false;
  const std::string text = read_file(path, ok);
  if (!ok) return ScenarioError{path, 0, 0, "", "cannot read the file"};
  return parse_scenario(text, path);
}

}  // namespace heatlink::harness
