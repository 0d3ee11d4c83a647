#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <set>

#include "heatlink/master/master_config.h"
#include "yaml_config.h"

namespace heatlink::master {

namespace {

[[noreturn]] void fail(const std::string& file, const YAML::Node& node, const std::string& key,
                       const std::string& what) {
  const YAML::Mark mark = node.Mark();
  throw ConfigError{file + ":" + std::to_string(mark.line + 1) + ":" +
                    std::to_string(mark.column + 1) + ": " + key + ": " + what};
}

void check_keys(const std::string& file, const YAML::Node& map, const std::set<std::string>& keys,
                const std::string& where) {
  if (!map.IsMap()) fail(file, map, where, "expected a mapping");
  for (const auto& kv : map) {
    const auto key = kv.first.as<std::string>();
    if (keys.count(key) == 0) fail(file, kv.first, key, "unknown key in " + where);
  }
}

template <class T>
T value(const std::string& file, const YAML::Node& map, const char* key, T fallback,
        const char* expected) {
  const YAML::Node node = map[key];
  if (!node) return fallback;
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    fail(file, node, key, std::string("expected ") + expected);
  }
}

std::string beside(const std::string& config, const std::string& path) {
  if (path.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(config).parent_path() / path).string();
}

}  // namespace

std::variant<MasterConfig, std::string> load_master_config(const std::string& path) {
  return load_guarded(path, [&] {
    const YAML::Node root = YAML::LoadFile(path);
    check_keys(path, root,
               {"database", "gateway", "base_information", "read_every_s", "first_cycle_after_s"},
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
    c.read_every_s = value<EpochSeconds>(path, root, "read_every_s", c.read_every_s, "seconds");
    if (c.read_every_s < 1) fail(path, root["read_every_s"], "read_every_s", "at least 1");
    c.first_cycle_after_s =
        value<EpochSeconds>(path, root, "first_cycle_after_s", c.first_cycle_after_s, "seconds");
    if (c.first_cycle_after_s < 0)
      fail(path, root["first_cycle_after_s"], "first_cycle_after_s", "not negative");
    return c;
  });
}

std::variant<std::size_t, std::string> import_base_information(const std::string& path,
                                                               Storage& storage) {
  return load_guarded(path, [&]() -> std::size_t {
    const YAML::Node root = YAML::LoadFile(path);
    check_keys(path, root, {"stations"}, "the top level");
    auto ok = [&](auto result, const YAML::Node& node, const char* what) {
      if (auto* e = std::get_if<StorageError>(&result)) fail(path, node, what, e->message);
      return std::get<0>(result);
    };
    std::size_t meters = 0;
    for (const YAML::Node& s : root["stations"]) {
      check_keys(path, s, {"name", "concentrators"}, "stations");
      StationRecord station;
      station.name = value<std::string>(path, s, "name", "", "a name");
      station.id = ok(storage.add_station(station), s, "name");
      for (const YAML::Node& c : s["concentrators"]) {
        check_keys(path, c, {"name", "dtu", "meters"}, "concentrators");
        ConcentratorRecord concentrator;
        concentrator.station_id = station.id;
        concentrator.name = value<std::string>(path, c, "name", "", "a name");
        concentrator.dtu_id = value<std::string>(path, c, "dtu", "", "the DTU's ID");
        concentrator.id = ok(storage.add_concentrator(concentrator), c, "name");
        for (const YAML::Node& m : c["meters"]) {
          check_keys(path, m,
                     {"protocol", "channel", "primary", "secondary", "address", "vendor", "model"},
                     "meters");
          MeterRecord meter;
          meter.concentrator_id = concentrator.id;
          const auto protocol = value<std::string>(path, m, "protocol", "mbus", "mbus or cjt188");
          if (protocol != "mbus" && protocol != "cjt188")
            fail(path, m, "protocol", "expected mbus or cjt188");
          meter.protocol = protocol == "mbus" ? MeterProtocol::mbus : MeterProtocol::cjt188;
          meter.channel =
              static_cast<std::uint8_t>(value<unsigned>(path, m, "channel", 0, "a channel"));
          const unsigned primary = value<unsigned>(path, m, "primary", 0, "a primary address");
          if (primary > 250) fail(path, m["primary"], "primary", "0-250");
          meter.primary_address = static_cast<std::uint8_t>(primary);
          meter.secondary_address = value<std::string>(
              path, m, meter.protocol == MeterProtocol::mbus ? "secondary" : "address", "",
              "an address");
          if (meter.protocol == MeterProtocol::cjt188 && meter.secondary_address.size() != 14)
            fail(path, m, "address", "a CJ/T 188 meter needs its 14-digit address");
          if (meter.protocol == MeterProtocol::mbus && !meter.secondary_address.empty() &&
              meter.secondary_address.size() != 16)
            fail(path, m["secondary"], "secondary", "16 hex digits");
          meter.vendor = value<std::string>(path, m, "vendor", "", "a vendor");
          meter.model = value<std::string>(path, m, "model", "", "a model");
          ok(storage.add_meter(meter), m, "meter");
          ++meters;
        }
      }
    }
    return meters;
  });
}

}  // namespace heatlink::master
