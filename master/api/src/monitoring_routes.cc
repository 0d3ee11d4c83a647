// 实时监测 Real-time monitoring: every meter's latest values and read status, filtered by heat
// station, community, building, concentrator, meter kind, vendor and status; summary counts and
// totals for the same filter; the meters that changed since a time (live updates); export.
#include "conditions.h"
#include "exports.h"
#include "meter_scope.h"
#include "router.h"
#include "valve_state.h"

namespace heatlink::master::api {

namespace {

// A meter's latest reading is its reading with the newest read_at (the reading key).
constexpr const char* kLatest =
    " LEFT JOIN reading r ON r.meter_id = m.id AND r.read_at = "
    "(SELECT max(x.read_at) FROM reading x WHERE x.meter_id = m.id)";
constexpr const char* kFrom =
    " FROM meter m JOIN concentrator c ON c.id = m.concentrator_id "
    "JOIN station s ON s.id = c.station_id "
    "LEFT JOIN building b ON b.id = m.building_id "
    "LEFT JOIN community co ON co.id = coalesce(b.community_id, c.community_id) "
    "LEFT JOIN reading r ON r.meter_id = m.id AND r.read_at = "
    "(SELECT max(x.read_at) FROM reading x WHERE x.meter_id = m.id)";

constexpr const char* kColumns =
    "SELECT m.id, m.secondary_address, m.vendor, m.model, m.protocol, m.kind, m.channel, "
    "m.primary_address, c.id, c.name, s.id, s.name, co.id, co.name, b.id, b.name, r.read_at, "
    "r.received_at, r.energy_kwh, r.volume_m3, r.power_kw, r.flow_m3h, r.supply_c, r.return_c, "
    "r.delta_t_k, r.status_bits, r.error_bits, "
    "(SELECT count(*) FROM fault_event f WHERE f.meter_id = m.id AND f.cleared_at IS NULL), "
    "(SELECT count(*) FROM fault_event f WHERE f.meter_id = m.id AND f.cleared_at IS NULL "
    "AND f.code = 'no_data'), "
    "(SELECT min(f.code) FROM fault_event f WHERE f.meter_id = m.id AND f.cleared_at IS NULL "
    "AND f.code <> 'no_data'), "
    "(SELECT h.name FROM household h WHERE h.id = m.household_id), "
    "(SELECT min(cu.name) FROM customer cu WHERE cu.household_id = m.household_id)";

constexpr const char* kOpenFault =
    "EXISTS (SELECT 1 FROM fault_event f WHERE f.meter_id = m.id AND f.cleared_at IS NULL";

// Each meter is in one state, as read_status() says: no reading yet (no_data) whatever its
// faults; read, and silent since (failed: an open no_data fault); read, with another open
// fault (fault); read, no open fault (ok). The four add up to the meters.
const std::string kSilent = std::string(kOpenFault) + " AND f.code = 'no_data')";
const std::string kStatusFailed = "r.meter_id IS NOT NULL AND " + kSilent;
const std::string kStatusFault = "r.meter_id IS NOT NULL AND NOT " + kSilent + " AND " +
                                 kOpenFault + " AND f.code <> 'no_data')";
const std::string kStatusOk = std::string("r.meter_id IS NOT NULL AND NOT ") + kOpenFault + ")";

// The filter of a monitoring query, from the query string.
struct Filter {
  Conditions conditions;
  bool needs_reading = false;  // the filter looks at the latest reading

  const std::string& where() const { return conditions.where(); }
  const std::vector<SqlValue>& params() const { return conditions.params(); }
  // The meters it selects: the latest reading joined only when the filter needs it.
  std::string meters() const { return std::string("meter m") + (needs_reading ? kLatest : ""); }
};

Filter filter_of(const Call& call) {
  Filter f;
  Conditions& c = f.conditions;
  c.integer(call, "station_id", kMeterInStation);
  if (const auto v = call.integer("community_id", 1, INT64_MAX)) c.add(kMeterInCommunity, {*v, *v});
  c.integer(call, "building_id", "m.building_id = ?");
  c.integer(call, "concentrator_id", "m.concentrator_id = ?");
  if (const auto v = call.choice("kind", {"household", "building"})) c.add("m.kind = ?", {*v});
  c.text(call, "vendor", "m.vendor = ?");
  if (const auto v = call.choice("protocol", {"mbus", "cjt188"}))
    c.add("m.protocol = ?", {std::int64_t{*v == "cjt188" ? 1 : 0}});
  if (const auto v = call.text("q")) {
    auto [low, high] = prefix_range(*v);
    c.add(address_prefix(call.db, "m.secondary_address"), {std::move(low), std::move(high)});
  }
  if (const auto status = call.choice("status", {"ok", "fault", "failed", "no_data"})) {
    f.needs_reading = true;
    if (*status == "no_data") c.add("r.meter_id IS NULL");
    if (*status == "failed") c.add(kStatusFailed);
    if (*status == "fault") c.add(kStatusFault);
    if (*status == "ok") c.add(kStatusOk);
  }
  return f;
}

Json optional_json(const SqlValue& v) {
  if (const auto d = as_optional_real(v)) return *d;
  return Json();
}

const char* read_status(const SqlRow& row) {
  if (std::holds_alternative<std::monostate>(row[16])) return "no_data";
  if (as_integer(row[28]) > 0) return "failed";
  if (as_integer(row[27]) > 0) return "fault";
  return "ok";
}

// CJ/T 188 meters report their valve in ST1; M-Bus heat meters have none.
const char* valve_state(const SqlRow& row) {
  if (as_integer(row[4]) != 1 || std::holds_alternative<std::monostate>(row[25])) return "none";
  return valve_state_of(as_integer(row[25]));
}

const char* heating_state(const SqlRow& row) {
  const auto flow = as_optional_real(row[21]);
  const auto dt = as_optional_real(row[24]);
  if (!flow) return "unknown";
  return *flow > 0.01 && dt.value_or(0) > 1.0 ? "heating" : "idle";
}

Json meter_json(const SqlRow& row) {
  auto named = [&row](std::size_t id, std::size_t name) {
    if (std::holds_alternative<std::monostate>(row[id])) return Json();
    return Json{{"id", as_integer(row[id])}, {"name", as_text(row[name])}};
  };
  const auto read_at = as_optional_integer(row[16]);
  return Json{
      {"meter_id", as_integer(row[0])},
      {"secondary_address", as_text(row[1])},
      {"vendor", as_text(row[2])},
      {"model", as_text(row[3])},
      {"protocol", as_integer(row[4]) == 1 ? "cjt188" : "mbus"},
      {"kind", as_text(row[5])},
      {"channel", as_integer(row[6])},
      {"primary_address", as_integer(row[7])},
      {"concentrator", named(8, 9)},
      {"station", named(10, 11)},
      {"community", named(12, 13)},
      {"building", named(14, 15)},
      {"read_at", read_at ? Json(*read_at) : Json()},
      {"energy_kwh", optional_json(row[18])},
      {"volume_m3", optional_json(row[19])},
      {"power_kw", optional_json(row[20])},
      {"flow_m3h", optional_json(row[21])},
      {"supply_c", optional_json(row[22])},
      {"return_c", optional_json(row[23])},
      {"delta_t_k", optional_json(row[24])},
      {"error_bits", as_integer(row[26])},
      {"open_faults", as_integer(row[27])},
      {"fault", std::holds_alternative<std::monostate>(row[29]) ? Json() : Json(as_text(row[29]))},
      {"household",
       std::holds_alternative<std::monostate>(row[30]) ? Json() : Json(as_text(row[30]))},
      {"customer",
       std::holds_alternative<std::monostate>(row[31]) ? Json() : Json(as_text(row[31]))},
      {"read_status", read_status(row)},
      {"heating", heating_state(row)},
      {"valve", valve_state(row)}};
}

Response meters(Call& call) {
  const Filter filter = filter_of(call);
  return json_response(meter_page(call, filter.meters(), filter.conditions,
                                  std::string(kColumns) + kFrom, meter_json));
}

Response summary(Call& call) {
  const Filter filter = filter_of(call);
  const auto rows = checked(
      call.db.query("SELECT count(*), count(r.meter_id), sum(CASE WHEN " + kStatusOk +
                        " THEN 1 ELSE 0 END), sum(CASE WHEN " + kStatusFailed +
                        " THEN 1 ELSE 0 END), sum(CASE WHEN " + kStatusFault +
                        " THEN 1 ELSE 0 END), sum(r.energy_kwh), sum(r.volume_m3), "
                        "sum(r.power_kw), sum(r.flow_m3h), avg(r.supply_c), avg(r.return_c)" +
                        kFrom + filter.where(),
                    filter.params()));
  const SqlRow& row = rows.rows.at(0);
  const std::int64_t meters = as_integer(row[0]);
  return json_response(Json{{"meters", meters},
                            {"with_data", as_integer(row[1])},
                            {"ok", as_integer(row[2])},
                            {"failed", as_integer(row[3])},
                            {"fault", as_integer(row[4])},
                            {"no_data", meters - as_integer(row[1])},
                            {"energy_kwh", optional_json(row[5])},
                            {"volume_m3", optional_json(row[6])},
                            {"power_kw", optional_json(row[7])},
                            {"flow_m3h", optional_json(row[8])},
                            {"supply_c_avg", optional_json(row[9])},
                            {"return_c_avg", optional_json(row[10])}});
}

// The meters whose values may have changed since `since`: those this master stored readings
// of since (as they are stored), those of concentrators with a cycle finished since (another
// master's), and the targets of manual reads finished since. At most 2,000.
Response changes(Call& call) {
  const EpochSeconds now = call.now();
  const auto since = call.integer("since", 0, INT64_MAX);
  if (!since) invalid("since", "required: the `now` of the previous answer");
  Filter filter = filter_of(call);
  std::string stored;
  std::vector<SqlValue> values{*since, *since};
  if (call.env.counters != nullptr) {
    if (const auto meters = call.env.counters->recently_stored.since(*since)) {
      for (std::size_t i = 0; i < meters->size() && i < 2000; ++i) {
        stored += stored.empty() ? "?" : ", ?";
        values.emplace_back((*meters)[i]);
      }
    }
  }
  filter.conditions.add(
      "(m.concentrator_id IN (SELECT concentrator_id FROM cycle_claim WHERE finished_at >= ?) "
      "OR CAST(m.id AS TEXT) IN (SELECT target FROM read_job "
      "WHERE finished_at >= ? AND kind IN ('meter', 'valve_open', 'valve_close'))" +
          (stored.empty() ? std::string() : " OR m.id IN (" + stored + ")") + ")",
      std::move(values));
  std::vector<SqlValue> params = filter.params();
  params.push_back(std::int64_t{2000});
  const auto rows = checked(call.db.query(
      std::string(kColumns) + kFrom + filter.where() + " ORDER BY m.id LIMIT ?", params));
  Json items = Json::array();
  for (const auto& row : rows.rows) items.push_back(meter_json(row));
  return json_response(Json{{"now", now}, {"items", std::move(items)}});
}

Response export_meters(Call& call) {
  const Filter filter = filter_of(call);
  std::vector<SqlValue> params = filter.params();
  params.push_back(std::int64_t{1'000'000});
  const auto rows = checked(call.db.query(
      std::string(kColumns) + kFrom + filter.where() + " ORDER BY m.id LIMIT ?", params));
  Table table;
  table.header = {"meter_id",   "secondary_address", "vendor",      "station",      "community",
                  "building",   "household",         "customer",    "concentrator", "read_at",
                  "energy_kwh", "volume_m3",         "power_kw",    "flow_m3h",     "supply_c",
                  "return_c",   "delta_t_k",         "read_status", "code",         "heating",
                  "valve"};
  for (const auto& row : rows.rows) {
    const Json m = meter_json(row);
    std::vector<Cell> cells;
    for (const auto& column : table.header) {
      Json v = m[column == "code" ? "fault" : column];
      if (v.is_object()) v = v["name"];
      if (v.is_number()) {
        cells.push_back({v.dump(), v.get<double>()});
      } else {
        cells.push_back({v.is_string() ? v.get<std::string>() : "", std::nullopt});
      }
    }
    table.rows.push_back(std::move(cells));
  }
  return table_download(call, table, "monitoring");
}

}  // namespace

void add_monitoring_routes(Router& router) {
  router.add("GET", "/api/v1/monitoring/meters", "monitor.view", meters);
  router.add("GET", "/api/v1/monitoring/summary", "monitor.view", summary);
  router.add("GET", "/api/v1/monitoring/changes", "monitor.view", changes);
  router.add("GET", "/api/v1/monitoring/export", "stats.export", export_meters);
  // Served as server-sent events by ApiServer once this answers 200 (signed in, permitted).
  router.add("GET", "/api/v1/monitoring/stream", "monitor.view", [](Call&) {
    return json_response(Json{{"stream", "text/event-stream"}});
  });
}

}  // namespace heatlink::master::api
