#include "district_gateway.h"

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
    }
  }
  return config;
}

std::string gateway_yaml(const master::GatewayConfig& config) {
  std::ostringstream out;
  out << "listen: " << config.host << ":" << config.port << "\nmodels:\n";
  for (const master::DtuModel& m : config.models) {
    out << "  - {name: \"" << m.name
        << "\", convention: " << protocol::dtu::convention_name(m.convention)
        << ", heartbeat_s: " << m.heartbeat_interval.count() << ", bus_baud: " << m.bus_baud;
    if (!m.heartbeat.empty()) out << ", heartbeat: \"" << m.heartbeat << "\"";
    out << "}\n";
  }
  out << "dtus:\n";
  for (const auto& [id, model] : config.dtus)
    out << "  - {id: \"" << id << "\", model: \"" << model << "\"}\n";
  return out.str();
}

}  // namespace heatlink::harness
