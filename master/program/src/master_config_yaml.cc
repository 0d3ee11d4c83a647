// master.yaml and the settings a scenario shares with it (docs/master.md).
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <filesystem>
#include <set>

#include "heatlink/master/config/yaml_config.h"
#include "heatlink/master/program/master_config.h"

namespace heatlink::master {

namespace {

std::string beside(const std::string& config, const std::string& path) {
  if (path.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(config).parent_path() / path).string();
}

// "HH:MM" -> seconds after midnight.
int time_of_day(const std::string& file, const YAML::Node& node) {
  const auto text = node.as<std::string>();
  unsigned h = 0, m = 0;
  char colon = 0;
  if (text.size() != 5 || std::sscanf(text.c_str(), "%2u%c%2u", &h, &colon, &m) != 3 ||
      colon != ':' || h > 23 || m > 59)
    fail(file, node, "daily_at", "expected HH:MM, 00:00 to 23:59");
  return static_cast<int>(h * 3600 + m * 60);
}

std::vector<std::string> names(const std::string& file, const YAML::Node& map, const char* key) {
  const YAML::Node node = map[key];
  if (!node) return {};
  if (!node.IsSequence()) fail(file, node, key, "expected a list of names");
  return node.as<std::vector<std::string>>();
}

Schedule schedule_of(const std::string& file, const YAML::Node& s) {
  check_keys(file, s,
             {"name", "every_s", "daily_at", "settlement", "window_s", "stations", "communities"},
             "schedules");
  Schedule out;
  out.name = value<std::string>(file, s, "name", "", "a name");
  if (out.name.empty()) fail(file, s, "name", "a schedule needs a name");
  out.every_s = value<EpochSeconds>(file, s, "every_s", 0, "seconds");
  if (s["daily_at"]) out.daily_at_s = time_of_day(file, s["daily_at"]);
  if ((out.every_s > 0) == out.daily_at_s.has_value())
    fail(file, s, out.name, "give either every_s or daily_at");
  if (s["every_s"] && (out.every_s < 60 || 86400 % out.every_s != 0))
    fail(file, s["every_s"], "every_s", "at least 60 and dividing a day (60, 900, 3600, ...)");
  out.settlement = value<bool>(file, s, "settlement", false, "true or false");
  out.window_s = value<EpochSeconds>(file, s, "window_s", 0, "seconds");
  if (out.window_s < 0) fail(file, s["window_s"], "window_s", "not negative");
  out.stations = names(file, s, "stations");
  out.communities = names(file, s, "communities");
  return out;
}

// The keys a scenario's `master:` shares with master.yaml.
void read_settings(const std::string& path, const YAML::Node& root, MasterConfig& c) {
  c.dispatcher.master = value<std::string>(path, root, "name", c.dispatcher.master, "a name");
  const auto level = value<std::string>(path, root, "log_level", "info", "a level");
  if (level == "debug") {
    c.log_level = LogLevel::debug;
  } else if (level == "warning") {
    c.log_level = LogLevel::warning;
  } else if (level != "info") {
    fail(path, root["log_level"], "log_level", "expected debug, info or warning");
  }
  if (const YAML::Node list = root["schedules"]) {
    if (!list.IsSequence() || list.size() == 0)
      fail(path, list, "schedules", "expected a list of schedules");
    c.dispatcher.schedules.clear();
    for (const YAML::Node& s : list) c.dispatcher.schedules.push_back(schedule_of(path, s));
  }
  if (const YAML::Node r = root["reading"]) {
    check_keys(path, r,
               {"retries", "failed_meter_passes", "batch", "flush_after_s", "keep_raw",
                "clock_sync_threshold_s"},
               "reading");
    EngineOptions& e = c.reading;
    e.retries = value<unsigned>(path, r, "retries", e.retries, "a count");
    e.failed_meter_passes =
        value<unsigned>(path, r, "failed_meter_passes", e.failed_meter_passes, "a count");
    e.batch = value<std::size_t>(path, r, "batch", e.batch, "a count");
    if (e.batch == 0) fail(path, r["batch"], "batch", "at least 1");
    e.flush_after_s = value<EpochSeconds>(path, r, "flush_after_s", e.flush_after_s, "seconds");
    if (e.flush_after_s < 0) fail(path, r["flush_after_s"], "flush_after_s", "not negative");
    e.keep_raw = value<bool>(path, r, "keep_raw", e.keep_raw, "true or false");
    e.clock_sync_threshold_s =
        value<EpochSeconds>(path, r, "clock_sync_threshold_s", e.clock_sync_threshold_s, "seconds");
  }
  if (const YAML::Node f = root["faults"]) {
    check_keys(
        path, f,
        {"no_data_after_s", "bus_failure_rate", "max_clock_drift_s", "flowing_m3h", "min_delta_t_k",
         "max_flow_m3h", "max_power_kw", "implausible_power_kw", "flat_after_s", "flat_min_kwh",
         "overrun_after_s", "dtu_offline_after_s", "watch_every_s"},
        "faults");
    FaultMonitorOptions& o = c.faults;
    RuleLimits& l = o.limits;
    o.no_data_after_s =
        value<EpochSeconds>(path, f, "no_data_after_s", o.no_data_after_s, "seconds");
    o.bus_failure_rate = value<double>(path, f, "bus_failure_rate", o.bus_failure_rate, "0-1");
    o.overrun_after_s =
        value<EpochSeconds>(path, f, "overrun_after_s", o.overrun_after_s, "seconds");
    if (o.overrun_after_s < 0) fail(path, f["overrun_after_s"], "overrun_after_s", "not negative");
    o.dtu_offline_after_s =
        value<EpochSeconds>(path, f, "dtu_offline_after_s", o.dtu_offline_after_s, "seconds");
    if (o.dtu_offline_after_s < 1)
      fail(path, f["dtu_offline_after_s"], "dtu_offline_after_s", "at least 1");
    o.watch_every_s = value<EpochSeconds>(path, f, "watch_every_s", o.watch_every_s, "seconds");
    if (o.watch_every_s < 1) fail(path, f["watch_every_s"], "watch_every_s", "at least 1");
    l.max_clock_drift_s =
        value<EpochSeconds>(path, f, "max_clock_drift_s", l.max_clock_drift_s, "seconds");
    l.flowing_m3h = value<double>(path, f, "flowing_m3h", l.flowing_m3h, "m3/h");
    l.min_delta_t_k = value<double>(path, f, "min_delta_t_k", l.min_delta_t_k, "K");
    l.max_flow_m3h = value<double>(path, f, "max_flow_m3h", l.max_flow_m3h, "m3/h");
    l.max_power_kw = value<double>(path, f, "max_power_kw", l.max_power_kw, "kW");
    l.implausible_power_kw =
        value<double>(path, f, "implausible_power_kw", l.implausible_power_kw, "kW");
    if (l.implausible_power_kw < 0)
      fail(path, f["implausible_power_kw"], "implausible_power_kw", "not negative");
    l.flat_after_s = value<EpochSeconds>(path, f, "flat_after_s", l.flat_after_s, "seconds");
    l.flat_min_kwh = value<double>(path, f, "flat_min_kwh", l.flat_min_kwh, "kWh");
  }
  if (const YAML::Node k = root["claims"]) {
    check_keys(path, k,
               {"lease_s", "resume_after_s", "job_timeout_s", "job_lease_s", "scan_slice_probes",
                "archive_slice_frames"},
               "claims");
    DispatcherOptions& d = c.dispatcher;
    d.lease_s = value<EpochSeconds>(path, k, "lease_s", d.lease_s, "seconds");
    d.resume_after_s = value<EpochSeconds>(path, k, "resume_after_s", d.resume_after_s, "seconds");
    d.job_timeout_s = value<EpochSeconds>(path, k, "job_timeout_s", d.job_timeout_s, "seconds");
    d.job_lease_s = value<EpochSeconds>(path, k, "job_lease_s", d.job_lease_s, "seconds");
    if (d.job_lease_s < 10) fail(path, k["job_lease_s"], "job_lease_s", "at least 10 seconds");
    d.scan_slice_probes = value<std::size_t>(path, k, "scan_slice_probes", d.scan_slice_probes,
                                             "a number of selections");
    if (d.scan_slice_probes < 1 || d.scan_slice_probes > 100000)
      fail(path, k["scan_slice_probes"], "scan_slice_probes", "1 to 100000 selections");
    d.archive_slice_frames = value<std::size_t>(path, k, "archive_slice_frames",
                                                d.archive_slice_frames, "a number of adds");
    if (d.archive_slice_frames < 1 || d.archive_slice_frames > 300)
      fail(path, k["archive_slice_frames"], "archive_slice_frames", "1 to 300 adds");
  }
}

}  // namespace

std::variant<MasterConfig, std::string> load_master_config(const std::string& path) {
  return load_guarded(path, [&] {
    const YAML::Node root = load_yaml_file(path);
    check_keys(path, root,
               {"name", "database", "gateway", "base_information", "log_level", "schedules",
                "reading", "faults", "claims", "api"},
               "the top level");
    MasterConfig c;
    c.database = value<std::string>(path, root, "database", c.database, "a database URL");
    if (!c.database.starts_with("sqlite:") && !c.database.starts_with("postgres"))
      fail(path, root["database"], "database", "expected sqlite:PATH or postgresql://...");
    c.gateway_config = beside(path, value<std::string>(path, root, "gateway", "", "a file"));
    if (c.gateway_config.empty())
      fail(path, root, "gateway", "the gateway's configuration file is needed");
    c.base_information =
        beside(path, value<std::string>(path, root, "base_information", "", "a file"));
    read_settings(path, root, c);
    if (const YAML::Node api = root["api"]) {
      check_keys(path, api, {"listen", "threads", "secure_cookies", "web"}, "api");
      c.api_listen = value<std::string>(path, api, "listen", c.api_listen, "HOST:PORT or off");
      if (c.api_listen != "off") {
        const auto colon = c.api_listen.rfind(':');
        const std::string port = colon == std::string::npos ? "" : c.api_listen.substr(colon + 1);
        if (colon == 0 || port.empty() || port.size() > 5 ||
            port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535)
          fail(path, api["listen"], "listen", "expected HOST:PORT (a port up to 65535) or off");
      }
      c.api_threads = value<unsigned>(path, api, "threads", c.api_threads, "a count");
      if (c.api_threads < 1 || c.api_threads > 64)
        fail(path, api["threads"], "threads", "expected 1 to 64");
      c.api_secure_cookies =
          value<bool>(path, api, "secure_cookies", c.api_secure_cookies, "true or false");
      c.api_web = value<std::string>(path, api, "web", "", "a directory or off");
      if (!c.api_web.empty() && c.api_web != "off") c.api_web = beside(path, c.api_web);
    }
    return c;
  });
}

std::variant<MasterConfig, std::string> parse_master_settings(const std::string& text,
                                                              const std::string& file,
                                                              const std::string& under) {
  return load_guarded(file, [&] {
    const YAML::Node root = load_yaml_text(file, text);
    MasterConfig c;
    const YAML::Node node = root[under];
    if (!node) return c;
    check_keys(file, node, {"name", "log_level", "schedules", "reading", "faults", "claims"},
               under);
    read_settings(file, node, c);
    return c;
  });
}

}  // namespace heatlink::master
