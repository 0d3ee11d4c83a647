// 统计分析 Statistics: a meter's raw readings and consumption per period, roll-ups per
// building, community and station, fault events, failure rates; each table also as CSV/XLSX.
#include "conditions.h"
#include "exports.h"
#include "meter_scope.h"
#include "router.h"

namespace heatlink::master::api {

namespace {

constexpr EpochSeconds kMaxSpan = 400 * 86400;  // a query covers at most this much time

// [from, to): to defaults to now, from to a day (raw) or a year (periods) before it.
std::pair<EpochSeconds, EpochSeconds> span_of(const Call& call, EpochSeconds default_span) {
  const EpochSeconds to = call.integer("to", 0, INT64_MAX / 2).value_or(call.now() + 1);
  const EpochSeconds from = call.integer("from", 0, INT64_MAX / 2).value_or(to - default_span);
  if (from >= to) invalid("from", "must be before `to`");
  if (to - from > kMaxSpan) invalid("from", "a query covers at most 400 days");
  return {from, to};
}

// A result as JSON rows and as a table, named by its columns.
struct Rows {
  std::vector<std::string> columns;
  std::vector<SqlRow> rows;
};

// A row as an item: each column's value under its name.
Json row_json(const std::vector<std::string>& columns, const SqlRow& row) {
  Json item = Json::object();
  for (std::size_t c = 0; c < columns.size(); ++c) item[columns[c]] = sql_json(row[c]);
  return item;
}

Json rows_json(const Rows& r) {
  Json items = Json::array();
  for (const auto& row : r.rows) items.push_back(row_json(r.columns, row));
  return items;
}

Table rows_table(const Rows& r) {
  Table t;
  t.header = r.columns;
  for (const auto& row : r.rows) {
    std::vector<Cell> cells;
    for (const SqlValue& v : row) {
      if (const auto d = as_optional_real(v)) {
        std::ostringstream text;
        text.precision(12);
        text << *d;
        cells.push_back({text.str(), *d});
      } else {
        cells.push_back({as_text(v), std::nullopt});
      }
    }
    t.rows.push_back(std::move(cells));
  }
  return t;
}

void require_meter(Call& call, std::int64_t id) {
  if (!checked(call.storage.meter(id))) not_found("meter " + std::to_string(id));
}

Rows readings(Call& call) {
  const std::int64_t meter = call.id();
  require_meter(call, meter);
  const auto [from, to] = span_of(call, 86400);
  Rows r{{"read_at", "received_at", "energy_kwh", "volume_m3", "power_kw", "flow_m3h", "supply_c",
          "return_c", "delta_t_k", "operating_hours", "status_bits", "error_bits"},
         {}};
  r.rows = checked(call.db.query(
                       "SELECT read_at, received_at, energy_kwh, volume_m3, power_kw, flow_m3h, "
                       "supply_c, return_c, delta_t_k, operating_hours, status_bits, error_bits "
                       "FROM reading WHERE meter_id = ? AND read_at >= ? AND read_at < ? "
                       "ORDER BY read_at LIMIT 100000",
                       {meter, from, to}))
               .rows;
  return r;
}

std::string period_of(const Call& call) {
  return call.choice("period", {"day", "month", "quarter", "year", "heating_season"})
      .value_or("day");
}

Rows consumption(Call& call) {
  const std::int64_t meter = call.id();
  require_meter(call, meter);
  const std::string period = period_of(call);
  const auto [from, to] = span_of(call, 366 * 86400);
  Rows r{{"period_start", "energy_kwh", "volume_m3", "interpolated", "suspect"}, {}};
  r.rows =
      checked(call.db.query("SELECT period_start, energy_kwh, volume_m3, interpolated, suspect "
                            "FROM aggregate "
                            "WHERE meter_id = ? AND period = ? AND period_start >= ? AND "
                            "period_start < ? ORDER BY period_start",
                            {meter, period, from, to}))
          .rows;
  return r;
}

Rows rollups(Call& call) {
  const std::string scope =
      call.choice("scope", {"building", "community", "station"}).value_or("community");
  const std::string period = period_of(call);
  const auto [from, to] = span_of(call, 366 * 86400);
  const std::string names = scope == "building"    ? "building"
                            : scope == "community" ? "community"
                                                   : "station";
  std::string where =
      " WHERE a.scope = ? AND a.period = ? AND a.period_start >= ? AND "
      "a.period_start < ?";
  std::vector<SqlValue> params{scope, period, from, to};
  if (const auto id = call.integer("scope_id", 1, INT64_MAX)) {
    where += " AND a.scope_id = ?";
    params.push_back(*id);
  }
  Rows r{{"scope_id", "name", "period_start", "energy_kwh", "volume_m3", "meters", "complete",
          "interpolated", "suspect"},
         {}};
  r.rows = checked(call.db.query("SELECT a.scope_id, n.name, a.period_start, a.energy_kwh, "
                                 "a.volume_m3, a.meters, a.complete, a.interpolated, a.suspect "
                                 "FROM aggregate_rollup a LEFT JOIN " +
                                     names + " n ON n.id = a.scope_id" + where +
                                     " ORDER BY a.scope_id, a.period_start LIMIT 100000",
                                 params))
               .rows;
  return r;
}

// Every meter's consumption in one period, for a station, community, building or
// concentrator: the period's report (a community's month, say).
Rows report(Call& call) {
  const std::string period = period_of(call);
  const auto start = call.integer("period_start", 0, INT64_MAX / 2);
  if (!start) invalid("period_start", "required: the period's first second (epoch)");
  Conditions scope;
  scope.integer(call, "station_id", kMeterInStation);
  if (const auto v = call.integer("community_id", 1, INT64_MAX))
    scope.add(kMeterInCommunity, {*v, *v});
  scope.integer(call, "building_id", "m.building_id = ?");
  scope.integer(call, "concentrator_id", "m.concentrator_id = ?");
  if (scope.empty())
    invalid("community_id", "name a station_id, community_id, building_id or concentrator_id");
  std::vector<SqlValue> params{period, *start};
  params.insert(params.end(), scope.params().begin(), scope.params().end());
  Rows r{{"meter_id", "secondary_address", "vendor", "building", "concentrator", "energy_kwh",
          "volume_m3", "interpolated", "suspect"},
         {}};
  r.rows = checked(call.db.query(
                       "SELECT m.id, m.secondary_address, m.vendor, b.name, c.name, a.energy_kwh, "
                       "a.volume_m3, a.interpolated, a.suspect FROM meter m JOIN concentrator c ON "
                       "c.id = m.concentrator_id LEFT JOIN building b ON b.id = m.building_id "
                       "LEFT JOIN aggregate a ON a.meter_id = m.id AND a.period = ? AND "
                       "a.period_start = ?" +
                           scope.where() + " ORDER BY m.id LIMIT 1000000",
                       params))
               .rows;
  return r;
}

// The fault events of ?from/?to (30 days), ?open, ?meter_id, ?concentrator_id, ?code, with the
// names an operator knows them by (the concentrator's, the meter's address).
Conditions fault_filter(const Call& call) {
  const auto [from, to] = span_of(call, 30 * 86400);
  Conditions c;
  c.add("f.raised_at >= ? AND f.raised_at < ?", {from, to});
  if (const auto open = call.flag("open"))
    c.add(*open ? "f.cleared_at IS NULL" : "f.cleared_at IS NOT NULL");
  c.integer(call, "meter_id", "f.meter_id = ?");
  c.integer(call, "concentrator_id", "f.concentrator_id = ?");
  c.text(call, "code", "f.code = ?");
  return c;
}

constexpr const char* kFaultColumns =
    "f.id, f.meter_id, m.secondary_address, f.concentrator_id, c.name, f.code, f.severity, "
    "f.raised_at, f.cleared_at, f.detail";
constexpr const char* kFaultFrom =
    "fault_event f LEFT JOIN meter m ON m.id = f.meter_id "
    "LEFT JOIN concentrator c ON c.id = f.concentrator_id";
const std::vector<std::string> kFaultKeys = {
    "id",   "meter_id", "secondary_address", "concentrator_id", "concentrator",
    "code", "severity", "raised_at",         "cleared_at",      "detail"};

Response faults(Call& call) {
  return json_response(page_of_rows(call, kFaultColumns, kFaultFrom, fault_filter(call),
                                    "f.raised_at DESC, f.id DESC",
                                    [](const SqlRow& row) { return row_json(kFaultKeys, row); }));
}

Rows fault_rows(Call& call) {
  const Conditions c = fault_filter(call);
  std::vector<SqlValue> params = c.params();
  params.emplace_back(std::int64_t{100'000});
  return Rows{kFaultKeys,
              checked(call.db.query(std::string("SELECT ") + kFaultColumns + " FROM " + kFaultFrom +
                                        c.where() + " ORDER BY f.raised_at DESC, f.id DESC LIMIT ?",
                                    params))
                  .rows};
}

// Per concentrator: meters tried and failed in the cycles finished in [from, to), and the slots
// among them that ended without their cycle (missed); per segment
// (channel): meters with an open no_data fault against all meters on it.
Response failure_rates(Call& call) {
  const auto [from, to] = span_of(call, 7 * 86400);
  const auto cycles = checked(call.db.query(
      "SELECT c.id, c.name, count(k.slot), coalesce(sum(k.read), 0), coalesce(sum(k.failed), 0), "
      "coalesce(sum(k.missed), 0) "
      "FROM concentrator c LEFT JOIN cycle_claim k ON k.concentrator_id = c.id AND "
      "k.finished_at >= ? AND k.finished_at < ? GROUP BY c.id, c.name ORDER BY c.id",
      {from, to}));
  Json concentrators = Json::array();
  for (const auto& row : cycles.rows) {
    const auto read = as_integer(row[3]), failed = as_integer(row[4]);
    concentrators.push_back(
        Json{{"concentrator_id", as_integer(row[0])},
             {"name", as_text(row[1])},
             {"cycles", as_integer(row[2])},
             {"missed_slots", as_integer(row[5])},
             {"read", read},
             {"failed", failed},
             {"failure_rate", read + failed == 0 ? Json()
                                                 : Json(static_cast<double>(failed) /
                                                        static_cast<double>(read + failed))}});
  }
  const auto segments = checked(call.db.query(
      "SELECT m.concentrator_id, m.channel, count(*), sum(CASE WHEN EXISTS (SELECT 1 FROM "
      "fault_event f WHERE f.meter_id = m.id AND f.cleared_at IS NULL AND f.code = 'no_data') "
      "THEN 1 ELSE 0 END) FROM meter m GROUP BY m.concentrator_id, m.channel "
      "ORDER BY m.concentrator_id, m.channel",
      {}));
  Json by_segment = Json::array();
  for (const auto& row : segments.rows) {
    const auto meters = as_integer(row[2]), failing = as_integer(row[3]);
    by_segment.push_back(Json{
        {"concentrator_id", as_integer(row[0])},
        {"channel", as_integer(row[1])},
        {"meters", meters},
        {"failing", failing},
        {"failure_rate",
         static_cast<double>(failing) / static_cast<double>(std::max<std::int64_t>(meters, 1))}});
  }
  return json_response(
      Json{{"from", from}, {"to", to}, {"concentrators", concentrators}, {"segments", by_segment}});
}

void add_table(Router& router, const std::string& path, const std::string& name,
               Rows (*query)(Call&)) {
  router.add("GET", path, "stats.view", [query](Call& c) {
    return json_response(Json{{"items", rows_json(query(c))}});
  });
  router.add("GET", path + "/export", "stats.export",
             [query, name](Call& c) { return table_download(c, rows_table(query(c)), name); });
}

}  // namespace

void add_statistics_routes(Router& router) {
  add_table(router, "/api/v1/statistics/meters/{id}/readings", "readings", readings);
  add_table(router, "/api/v1/statistics/meters/{id}/consumption", "consumption", consumption);
  add_table(router, "/api/v1/statistics/rollups", "rollups", rollups);
  add_table(router, "/api/v1/statistics/report", "report", report);
  router.add("GET", "/api/v1/statistics/faults", "faults.view", faults);
  router.add("GET", "/api/v1/statistics/faults/export", "stats.export",
             [](Call& c) { return table_download(c, rows_table(fault_rows(c)), "faults"); });
  router.add("GET", "/api/v1/statistics/failure-rates", "stats.view", failure_rates);
}

}  // namespace heatlink::master::api
