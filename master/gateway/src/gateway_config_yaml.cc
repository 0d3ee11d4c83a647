// The gateway's configuration file (docs/gateway.md).
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <set>
#include <type_traits>

#include "heatlink/master/config/yaml_config.h"
#include "heatlink/master/gateway/gateway_config.h"
#include "heatlink/master/gateway/network.h"

namespace heatlink::master {

namespace {

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& key,
                         const std::string& what) const {
    master::fail(file_, node, key, what);
  }

  void check_keys(const YAML::Node& map, const std::set<std::string>& allowed,
                  const std::string& where) const {
    master::check_keys(file_, map, allowed, where);
  }

  template <class T>
  void optional(const YAML::Node& map, const char* key, T& out, const char* expected) const {
    const YAML::Node node = map[key];
    if (!node) return;
    try {
      out = node.as<T>();
    } catch (const YAML::Exception&) {
      fail(node, key, std::string("expected ") + expected);
    }
    if constexpr (std::is_floating_point_v<T>) {
      if (!std::isfinite(out)) fail(node, key, std::string("expected ") + expected + ", finite");
    }
  }

  double seconds(const YAML::Node& map, const char* key, double fallback) const {
    double value = fallback;
    optional(map, key, value, "a number of seconds");
    if (value <= 0 || value > 1e7) fail(map[key], key, "out of range (0, 1e7]");
    return value;
  }

 private:
  std::string file_;
};

DtuModel read_model(const Reader& r, const YAML::Node& node) {
  r.check_keys(node, {"name", "convention", "heartbeat", "heartbeat_s", "bus_baud", "latency_ms"},
               "models");
  DtuModel m;
  r.optional(node, "name", m.name, "a name");
  if (m.name.empty()) r.fail(node, "name", "every model needs a name");
  std::string convention = "id_on_connect";
  r.optional(node, "convention", convention, "id_on_connect, id_prefixed or ddp");
  const auto parsed = protocol::dtu::parse_convention(convention);
  if (!parsed)
    r.fail(node["convention"], "convention", "expected id_on_connect, id_prefixed or ddp");
  m.convention = *parsed;
  r.optional(node, "heartbeat", m.heartbeat, "the heartbeat's text");
  m.heartbeat_interval = Seconds(r.seconds(node, "heartbeat_s", 60));
  r.optional(node, "bus_baud", m.bus_baud, "a baud rate");
  if (m.bus_baud < 300 || m.bus_baud > 38400) r.fail(node["bus_baud"], "bus_baud", "300-38400");
  double latency_ms = 5000;
  r.optional(node, "latency_ms", latency_ms, "milliseconds");
  if (latency_ms < 0 || latency_ms > 600000) r.fail(node["latency_ms"], "latency_ms", "0-600000");
  m.latency = Seconds(latency_ms / 1000);
  return m;
}

GatewayConfig read_config(const Reader& r, const YAML::Node& root) {
  r.check_keys(root,
               {"listen", "models", "dtus", "unknown_dtus", "unknown_model", "unknown_id_length",
                "missed_heartbeats", "registration_timeout_s", "max_connections",
                "max_unregistered", "max_unregistered_per_address", "max_parked", "max_buffer"},
               "the top level");
  GatewayConfig c;
  if (const YAML::Node listen = root["listen"]) {
    const auto text = listen.as<std::string>();
    const auto colon = text.rfind(':');
    unsigned port = 0;
    const char* end = text.data() + text.size();
    if (colon == std::string::npos ||
        std::from_chars(text.data() + colon + 1, end, port).ptr != end || port > 65535) {
      r.fail(listen, "listen", "expected HOST:PORT");
    }
    c.host = text.substr(0, colon);
    c.port = static_cast<std::uint16_t>(port);
  }
  const YAML::Node models = root["models"];
  if (!models || !models.IsSequence() || models.size() == 0)
    r.fail(root, "models", "a list of at least one DTU model is needed");
  for (const auto& m : models) c.models.push_back(read_model(r, m));
  if (const YAML::Node dtus = root["dtus"]) {
    if (!dtus.IsSequence()) r.fail(dtus, "dtus", "expected a list of {id, model}");
    for (const auto& d : dtus) {
      r.check_keys(d, {"id", "model", "key", "networks"}, "dtus");
      std::string id;
      std::string model;
      r.optional(d, "id", id, "the DTU's ID");
      r.optional(d, "model", model, "a model name");
      if (c.model(model) == nullptr) r.fail(d, "model", "no model '" + model + "'");
      if (!c.dtus.emplace(id, model).second) r.fail(d, "id", "'" + id + "' is listed twice");
      if (const YAML::Node key = d["key"]) {
        std::string k;
        r.optional(d, "key", k, "the key of its registration packet");
        if (k.empty()) r.fail(key, "key", "an empty key: leave it out");
        c.keys[id] = k;
      }
      if (const YAML::Node nets = d["networks"]) {
        if (!nets.IsSequence() || nets.size() == 0)
          r.fail(nets, "networks", "expected a list of networks (CIDR, e.g. 10.64.0.0/10)");
        for (const auto& n : nets) {
          const std::string text = n.as<std::string>();
          if (!parse_network(text)) r.fail(n, "networks", "'" + text + "' is no network (CIDR)");
          c.networks[id].push_back(text);
        }
      }
    }
  }
  std::string unknown = "reject";
  r.optional(root, "unknown_dtus", unknown, "reject or park");
  if (unknown != "reject" && unknown != "park")
    r.fail(root["unknown_dtus"], "unknown_dtus", "expected reject or park");
  c.unknown = unknown == "park" ? UnknownDtus::park : UnknownDtus::reject;
  r.optional(root, "unknown_model", c.unknown_model, "a model name");
  r.optional(root, "unknown_id_length", c.unknown_id_length, "a length");
  r.optional(root, "missed_heartbeats", c.missed_heartbeats, "a count");
  c.registration_timeout = Seconds(r.seconds(root, "registration_timeout_s", 30));
  r.optional(root, "max_connections", c.max_connections, "a count");
  r.optional(root, "max_unregistered", c.max_unregistered, "a count");
  r.optional(root, "max_unregistered_per_address", c.max_unregistered_per_address, "a count");
  r.optional(root, "max_parked", c.max_parked, "a count");
  r.optional(root, "max_buffer", c.max_buffer, "a number of bytes");
  if (const std::string problem = c.problem(); !problem.empty())
    r.fail(root, "configuration", problem);
  return c;
}

}  // namespace

std::variant<GatewayConfig, std::string> load_gateway_config(const std::string& path) {
  const Reader reader(path);
  return load_guarded(path, [&] { return read_config(reader, load_yaml_file(path)); });
}

// ---- GatewayConfig

const DtuModel* GatewayConfig::model(const std::string& name) const {
  if (name.empty()) return models.empty() ? nullptr : &models.front();
  for (const DtuModel& m : models) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::string GatewayConfig::problem() const {
  if (models.empty()) return "models: at least one DTU model is needed";
  for (const DtuModel& m : models) {
    if (m.heartbeat_interval.count() <= 0) return "models: " + m.name + ": heartbeat_s must be > 0";
  }
  for (const auto& [id, model_name] : dtus) {
    const DtuModel* m = model(model_name);
    if (m == nullptr) return "dtus: " + id + ": no model '" + model_name + "'";
    if (id.empty() || id.size() > protocol::dtu::kMaxIdLength)
      return "dtus: " + id + ": an ID has 1-40 bytes";
    if (id.find(protocol::dtu::kKeySeparator) != std::string::npos)
      return "dtus: " + id + ": '#' separates an ID from its key: no ID contains it";
    if (m->convention == protocol::dtu::Convention::ddp && id.size() != protocol::dtu::kDdpIdLength)
      return "dtus: " + id + ": a DDP ID has exactly 11 bytes";
  }
  for (const auto& [id, key] : keys) {
    const auto dtu = dtus.find(id);
    if (dtu == dtus.end()) return "dtus: " + id + ": a key for a DTU not listed";
    if (model(dtu->second)->convention == protocol::dtu::Convention::ddp)
      return "dtus: " + id +
             ": a DDP registration carries no key (pin the DTU to its networks instead)";
    if (key.empty() || key.size() > protocol::dtu::kMaxKeyLength ||
        key.find(protocol::dtu::kKeySeparator) != std::string::npos)
      return "dtus: " + id + ": a key has 1-64 bytes and no '#'";
  }
  for (const auto& [id, nets] : networks) {
    if (!dtus.contains(id)) return "dtus: " + id + ": networks for a DTU not listed";
    for (const std::string& n : nets)
      if (!parse_network(n)) return "dtus: " + id + ": '" + n + "' is no network (CIDR)";
  }
  if (unknown == UnknownDtus::park && model(unknown_model) == nullptr)
    return "unknown_model: no model '" + unknown_model + "'";
  if (unknown_id_length == 0 || unknown_id_length > protocol::dtu::kMaxIdLength)
    return "unknown_id_length: 1-40";
  if (missed_heartbeats == 0) return "missed_heartbeats: at least 1";
  if (max_connections == 0 || max_unregistered == 0 || max_unregistered_per_address == 0 ||
      max_parked == 0)
    return "max_connections, max_unregistered, max_unregistered_per_address, max_parked: at "
           "least 1";
  if (max_buffer < protocol::kMaxFrameSize) return "max_buffer: at least 272 bytes (one frame)";
  return {};
}

}  // namespace heatlink::master
