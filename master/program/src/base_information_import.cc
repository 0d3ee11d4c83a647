// The base information a master imports on its first start (docs/master.md).
#include <yaml-cpp/yaml.h>

#include <map>

#include "heatlink/master/config/yaml_config.h"
#include "heatlink/master/program/base_information.h"
#include "heatlink/master/storage/sql_database.h"

namespace heatlink::master {

namespace {

std::size_t import_stations(const std::string& path, const YAML::Node& root, Storage& storage) {
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
    std::map<std::string, std::int64_t> communities;
    std::map<std::pair<std::int64_t, std::string>, std::int64_t> buildings;  // by community
    for (const YAML::Node& c : s["concentrators"]) {
      check_keys(path, c, {"name", "dtu", "community", "mode", "meters"}, "concentrators");
      ConcentratorRecord concentrator;
      concentrator.station_id = station.id;
      concentrator.name = value<std::string>(path, c, "name", "", "a name");
      concentrator.dtu_id = value<std::string>(path, c, "dtu", "", "the DTU's ID");
      const auto mode = value<std::string>(path, c, "mode", "transparent", "a mode");
      if (mode != "transparent" && mode != "collect")
        fail(path, c["mode"], "mode", "expected transparent or collect");
      if (mode == "collect") concentrator.mode = ConcentratorMode::collect;
      const auto community = value<std::string>(path, c, "community", "", "a name");
      if (!community.empty()) {
        auto& id = communities[community];
        if (id == 0) id = ok(storage.add_community({0, station.id, community}), c, "community");
        concentrator.community_id = id;
      }
      concentrator.id = ok(storage.add_concentrator(concentrator), c, "name");
      std::vector<MeterRecord> batch;
      std::vector<std::string> buildings_of_meters;  // the meters' buildings, by index
      for (const YAML::Node& m : c["meters"]) {
        check_keys(path, m,
                   {"protocol", "channel", "primary", "secondary", "address", "vendor", "model",
                    "building"},
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
        const auto building = value<std::string>(path, m, "building", "", "a name");
        if (!building.empty() && !concentrator.community_id)
          fail(path, m["building"], "building", "a building needs the concentrator's community");
        buildings_of_meters.push_back(building);
        batch.push_back(std::move(meter));
      }
      meters += ok(storage.add_meters(batch), c, "meters");
      SqlDatabase& db = storage.database();
      const auto placed = db.in_transaction([&]() -> std::optional<StorageError> {
        for (std::size_t i = 0; i < batch.size(); ++i) {
          if (buildings_of_meters[i].empty()) continue;
          auto& id = buildings[{*concentrator.community_id, buildings_of_meters[i]}];
          if (id == 0) {
            auto made = db.insert_id("INSERT INTO building (community_id, name) VALUES (?, ?)",
                                     {*concentrator.community_id, buildings_of_meters[i]});
            if (auto* e = std::get_if<StorageError>(&made)) return *e;
            id = std::get<std::int64_t>(made);
          }
          auto set = db.query("UPDATE meter SET building_id = ? WHERE id = ?", {id, batch[i].id});
          if (auto* e = std::get_if<StorageError>(&set)) return *e;
        }
        return std::nullopt;
      });
      if (placed) fail(path, c, "building", placed->message);
    }
  }
  return meters;
}

}  // namespace

// All or nothing: a file with an error leaves the database as it was (and is imported once
// fixed, at the next start); the error names its place.
std::variant<std::size_t, std::string> import_base_information(const std::string& path,
                                                               Storage& storage) {
  auto root = load_guarded(path, [&] { return load_yaml_file(path); });
  if (auto* e = std::get_if<std::string>(&root)) return *e;
  std::optional<std::string> failed;
  std::size_t meters = 0;
  const auto e = storage.database().in_transaction([&]() -> std::optional<StorageError> {
    auto imported = load_guarded(
        path, [&] { return import_stations(path, std::get<YAML::Node>(root), storage); });
    if (auto* text = std::get_if<std::string>(&imported)) {
      failed = *text;
      return StorageError{*text};
    }
    meters = std::get<std::size_t>(imported);
    return std::nullopt;
  });
  if (failed) return *failed;
  if (e) return path + ": " + e->message;
  return meters;
}

}  // namespace heatlink::master
