#include "district_gateway.h"

#include <cstdio>
#include <sstream>

namespace heatlink::harness {

master::GatewayConfig gateway_config(const sim::Topology& topology) {
  master::GatewayConfig config;
  config.host = "127.0.0.1";
  for (const auto& station : topology.stations) {
    for (const auto& c : station.concentrators) {
      if (!c.dtu) continue;
      const sim::DtuConfig& dtu = c.dtu->config;
      master::DtuModel model;
      model.convention = dtu.profile.convention;
      model.heartbeat = dtu.profile.heartbeat;
      model.heartbeat_interval = master::Seconds(static_cast<double>(dtu.heartbeat_interval) / 1e6);
      model.bus_baud = c.channels.empty() ? 2400 : c.channels.front().segment.baud;
      model.name = std::string("MD-109G-") + protocol::dtu::convention_name(model.convention) +
                   "-" + std::to_string(dtu.heartbeat_interval / 1'000'000) + "s" +
                   (model.heartbeat.empty() ? "" : "-hb" + model.heartbeat) + "-" +
                   std::to_string(model.bus_baud);
      if (config.model(model.name) == nullptr) config.models.push_back(model);
      config.dtus[dtu.profile.id] = model.name;
      if (!dtu.profile.key.empty()) config.keys.try_emplace(dtu.profile.id, dtu.profile.key);
    }
  }
  return config;
}

std::string gateway_yaml(const master::GatewayConfig& config, double time_scale) {
  std::ostringstream out;
  out << "listen: " << config.host << ":" << config.port << "\nmodels:\n";
  for (const master::DtuModel& m : config.models) {
    out << "  - {name: \"" << m.name
        << "\", convention: " << protocol::dtu::convention_name(m.convention)
        << ", heartbeat_s: " << m.heartbeat_interval.count() / time_scale
        << ", bus_baud: " << m.bus_baud;
    if (!m.heartbeat.empty()) out << ", heartbeat: \"" << m.heartbeat << "\"";
    out << "}\n";
  }
  out << "dtus:\n";
  for (const auto& [id, model] : config.dtus) {
    out << "  - {id: \"" << id << "\", model: \"" << model << "\"";
    if (const auto key = config.keys.find(id); key != config.keys.end())
      out << ", key: \"" << key->second << "\"";
    out << "}\n";
  }
  return out.str();
}

std::string master_yaml(const master::MasterConfig& c, const std::string& database,
                        const std::string& gateway, const std::string& base_information,
                        unsigned short api_port) {
  std::ostringstream out;
  const auto list = [](const std::vector<std::string>& names) {
    std::string text = "[";
    for (const std::string& n : names) text += (text.size() > 1 ? ", \"" : "\"") + n + "\"";
    return text + "]";
  };
  out << "name: \"" << c.dispatcher.master << "\"\ndatabase: \"" << database << "\"\ngateway: \""
      << gateway << "\"\nbase_information: \"" << base_information << "\"\nlog_level: info\n"
      << "api: {listen: \"127.0.0.1:" << api_port << "\"}\n";
  out << "schedules:\n";
  for (const master::Schedule& s : c.dispatcher.schedules) {
    out << "  - {name: \"" << s.name << "\"";
    if (s.daily_at_s) {
      char at[16];
      std::snprintf(at, sizeof at, "%02d:%02d", *s.daily_at_s / 3600, *s.daily_at_s / 60 % 60);
      out << ", daily_at: \"" << at << "\"";
    } else {
      out << ", every_s: " << s.every_s;
    }
    out << ", settlement: " << (s.settlement ? "true" : "false") << ", window_s: " << s.window_s
        << ", stations: " << list(s.stations) << ", communities: " << list(s.communities) << "}\n";
  }
  const master::EngineOptions& r = c.reading;
  out << "reading: {retries: " << r.retries << ", failed_meter_passes: " << r.failed_meter_passes
      << ", batch: " << r.batch << ", flush_after_s: " << r.flush_after_s
      << ", keep_raw: " << (r.keep_raw ? "true" : "false")
      << ", clock_sync_threshold_s: " << r.clock_sync_threshold_s << "}\n";
  const master::RuleLimits& l = c.faults.limits;
  out << "faults: {no_data_after_s: " << c.faults.no_data_after_s
      << ", bus_failure_rate: " << c.faults.bus_failure_rate
      << ", overrun_after_s: " << c.faults.overrun_after_s
      << ", dtu_offline_after_s: " << c.faults.dtu_offline_after_s
      << ", watch_every_s: " << c.faults.watch_every_s
      << ", max_clock_drift_s: " << l.max_clock_drift_s << ", flowing_m3h: " << l.flowing_m3h
      << ", min_delta_t_k: " << l.min_delta_t_k << ", max_flow_m3h: " << l.max_flow_m3h
      << ", max_power_kw: " << l.max_power_kw << ", flat_after_s: " << l.flat_after_s
      << ", flat_min_kwh: " << l.flat_min_kwh << "}\n";
  const master::DispatcherOptions& d = c.dispatcher;
  out << "claims: {lease_s: " << d.lease_s << ", resume_after_s: " << d.resume_after_s
      << ", job_timeout_s: " << d.job_timeout_s << ", scan_slice_probes: " << d.scan_slice_probes
      << ", archive_slice_frames: " << d.archive_slice_frames << "}\n";
  return out.str();
}

}  // namespace heatlink::harness
