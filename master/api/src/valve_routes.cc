// 阀门 Valves: every valve the master can drive - those of the CJ/T 188 meters - with the state
// the meter last reported (ST1) and when, and the last command an operator gave it; filtered
// like the meters (station, community, building, concentrator, address), and exported.
#include "conditions.h"
#include "exports.h"
#include "meter_scope.h"
#include "router.h"
#include "valve_state.h"

namespace heatlink::master::api {

namespace {

constexpr const char* kValveColumns =
    "SELECT m.id, m.secondary_address, c.id, c.name, r.read_at, r.status_bits, j.kind, j.status, "
    "j.requested_at, j.finished_at FROM meter m JOIN concentrator c ON c.id = m.concentrator_id "
    "LEFT JOIN reading r ON r.meter_id = m.id AND r.read_at = "
    "(SELECT max(x.read_at) FROM reading x WHERE x.meter_id = m.id) "
    "LEFT JOIN read_job j ON j.id = (SELECT max(y.id) FROM read_job y WHERE y.target = "
    "CAST(m.id AS TEXT) AND y.kind IN ('valve_open', 'valve_close'))";

Conditions valve_filter(const Call& call) {
  Conditions c;
  c.add("m.protocol = ?", {SqlValue{std::int64_t{1}}});  // CJ/T 188: the meters with valves
  c.integer(call, "station_id", kMeterInStation);
  if (const auto v = call.integer("community_id", 1, INT64_MAX)) c.add(kMeterInCommunity, {*v, *v});
  c.integer(call, "building_id", "m.building_id = ?");
  c.integer(call, "concentrator_id", "m.concentrator_id = ?");
  if (const auto v = call.text("q")) {
    auto [low, high] = prefix_range(*v);
    c.add(address_prefix(call.db, "m.secondary_address"), {std::move(low), std::move(high)});
  }
  return c;
}

Json valve_json(const SqlRow& row) {
  const auto read_at = as_optional_integer(row[4]);
  Json command;
  if (!std::holds_alternative<std::monostate>(row[6])) {
    const auto finished = as_optional_integer(row[9]);
    command = Json{{"action", as_text(row[6]) == "valve_open" ? "open" : "close"},
                   {"status", as_text(row[7])},
                   {"requested_at", as_integer(row[8])},
                   {"finished_at", finished ? Json(*finished) : Json()}};
  }
  return Json{{"meter_id", as_integer(row[0])},
              {"secondary_address", as_text(row[1])},
              {"concentrator", {{"id", as_integer(row[2])}, {"name", as_text(row[3])}}},
              {"state", read_at ? valve_state_of(as_integer(row[5])) : "unknown"},
              {"state_at", read_at ? Json(*read_at) : Json()},
              {"last_command", command}};
}

Response valves(Call& call) {
  return json_response(meter_page(call, "meter m", valve_filter(call), kValveColumns, valve_json));
}

Response export_valves(Call& call) {
  const Conditions filter = valve_filter(call);
  std::vector<SqlValue> params = filter.params();
  params.push_back(std::int64_t{1'000'000});
  const auto rows = checked(call.db.query(
      std::string(kValveColumns) + filter.where() + " ORDER BY m.id LIMIT ?", params));
  Table table;
  table.header = {"meter_id", "secondary_address", "concentrator",       "state",
                  "state_at", "last_command",      "last_command_status"};
  for (const auto& row : rows.rows) {
    const Json v = valve_json(row);
    const Json& command = v["last_command"];
    auto text = [](const Json& j) {
      return Cell{j.is_string() ? j.get<std::string>()
                  : j.is_null() ? ""
                                : j.dump(),
                  j.is_number() ? std::optional<double>(j.get<double>()) : std::nullopt};
    };
    table.rows.push_back({text(v["meter_id"]), text(v["secondary_address"]),
                          text(v["concentrator"]["name"]), text(v["state"]), text(v["state_at"]),
                          text(command.is_null() ? Json() : command["action"]),
                          text(command.is_null() ? Json() : command["status"])});
  }
  return table_download(call, table, "valves");
}

}  // namespace

void add_valve_routes(Router& router) {
  router.add("GET", "/api/v1/valves", "base.view", valves);
  router.add("GET", "/api/v1/valves/export", "base.view", export_valves);
}

}  // namespace heatlink::master::api
