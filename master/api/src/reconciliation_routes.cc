// 对账 Reconciliation: gaps in the stored readings (and re-reads of them), building meters
// against their households, manual entries, and a concentrator's archive and a scan of its
// bus against the base information.
#include <set>

#include "conditions.h"
#include "read_jobs.h"
#include "router.h"

namespace heatlink::master::api {

namespace {

// A manual entry's readings carry this status bit, so they are never taken for the meter's own.
constexpr std::uint32_t kManualEntryBit = 0x8000'0000u;

// Meters in a scope with fewer stored readings than slots of `every_s` in [from, to).
Response gaps(Call& call) {
  const EpochSeconds every = call.integer("every_s", 60, 31 * 86400).value_or(86400);
  const EpochSeconds to = call.integer("to", 0, INT64_MAX / 2).value_or(call.now());
  const EpochSeconds from = call.integer("from", 0, INT64_MAX / 2).value_or(to - 7 * 86400);
  if (from >= to) invalid("from", "must be before `to`");
  if ((to - from) / every > 5000) invalid("every_s", "more than 5000 slots in the span");
  Conditions scope;
  scope.integer(call, "concentrator_id", "m.concentrator_id = ?");
  scope.integer(call, "station_id", "c.station_id = ?");
  scope.integer(call, "community_id", "c.community_id = ?");
  const std::int64_t expected = (to - from + every - 1) / every;
  const Page page = page_of(call);
  std::vector<SqlValue> params{from, every, from, to};
  params.insert(params.end(), scope.params().begin(), scope.params().end());
  for (SqlValue v : std::vector<SqlValue>{from, every, expected, page.size, page.offset()})
    params.push_back(std::move(v));
  const std::string& where = scope.where();
  // A reading's slot: (read_at - from) / every_s.
  const auto rows = checked(call.db.query(
      "SELECT m.id, m.secondary_address, c.name, count(DISTINCT (r.read_at - ?) / ?), "
      "max(r.read_at) FROM meter m JOIN concentrator c ON c.id = m.concentrator_id "
      "LEFT JOIN reading r ON r.meter_id = m.id AND r.read_at >= ? AND r.read_at < ?" +
          where +
          " GROUP BY m.id, m.secondary_address, c.name HAVING count(DISTINCT (r.read_at - ?) / ?) "
          "< ? ORDER BY m.id LIMIT ? OFFSET ?",
      params));
  Json items = Json::array();
  for (const auto& row : rows.rows) {
    const auto slots = as_integer(row[3]);
    const auto last = as_optional_integer(row[4]);
    items.push_back(Json{{"meter_id", as_integer(row[0])},
                         {"secondary_address", as_text(row[1])},
                         {"concentrator", as_text(row[2])},
                         {"slots_read", slots},
                         {"slots_missing", expected - slots},
                         {"last_read_at", last ? Json(*last) : Json()}});
  }
  return json_response(
      Json{{"from", from}, {"to", to}, {"every_s", every}, {"slots", expected}, {"items", items}});
}

Response reread(Call& call) {
  const Json& body = call.body();
  const auto found = body.find("meter_ids");
  if (found == body.end() || !found->is_array() || found->empty() || found->size() > 500)
    invalid("meter_ids", "expected a list of 1 to 500 meter ids");
  Json jobs = Json::array();
  std::vector<std::int64_t> ids;
  for (const auto& v : *found) {
    if (!v.is_number_integer()) invalid("meter_ids", "expected whole numbers");
    ids.push_back(existing_meter(call, v.get<std::int64_t>(), "meter_ids").id);
  }
  for (const std::int64_t id : ids) jobs.push_back(queue(call, "meter", std::to_string(id)));
  call.audit_detail = Json{{"meter_ids", ids}, {"jobs", jobs}};
  return json_response(Json{{"jobs", jobs}}, 202);
}

// A reading typed in by staff (a meter read by hand): stored flagged, never over a real one.
Response manual_entry(Call& call) {
  const Json& body = call.body();
  const auto meter_id = optional_integer(body, "meter_id");
  if (!meter_id) invalid("meter_id", "required");
  existing_meter(call, *meter_id, "meter_id");
  const auto read_at = optional_integer(body, "read_at");
  if (!read_at || *read_at <= 0) invalid("read_at", "required: epoch seconds");
  if (*read_at > call.now() + 300) invalid("read_at", "lies in the future");
  Reading r;
  r.meter_id = *meter_id;
  r.read_at = *read_at;
  r.received_at = call.now();
  r.energy_kwh = optional_number(body, "energy_kwh");
  r.volume_m3 = optional_number(body, "volume_m3");
  if (!r.energy_kwh && !r.volume_m3) invalid("energy_kwh", "energy_kwh or volume_m3 is required");
  for (const auto& [key, v] : body.items())
    if (key != "meter_id" && key != "read_at" && key != "energy_kwh" && key != "volume_m3")
      invalid(key, "not a field of a manual entry");
  r.status_bits = kManualEntryBit;
  const std::size_t stored = checked(call.storage.store_readings(std::span(&r, 1)));
  if (stored == 0)
    refuse(409, "conflict", "meter " + std::to_string(*meter_id) + " has a reading at that time");
  return json_response(Json{{"stored", true}, {"manual", true}}, 201);
}

// Per building: its own (building) meters' consumption against the sum of its households'.
Response buildings(Call& call) {
  const std::string period =
      call.choice("period", {"day", "month", "quarter", "year", "heating_season"}).value_or("day");
  const auto start = call.integer("period_start", 0, INT64_MAX / 2);
  if (!start) invalid("period_start", "required: the period's first second (epoch)");
  std::string where = "";
  std::vector<SqlValue> params{period, *start};
  if (const auto v = call.integer("community_id", 1, INT64_MAX)) {
    where = " WHERE b.community_id = ?";
    params.push_back(*v);
  }
  const auto rows = checked(call.db.query(
      "SELECT b.id, b.name, sum(CASE WHEN m.kind = 'building' THEN a.energy_kwh END), "
      "sum(CASE WHEN m.kind = 'household' THEN a.energy_kwh END), "
      "count(CASE WHEN m.kind = 'household' THEN 1 END), "
      "count(CASE WHEN m.kind = 'household' THEN a.energy_kwh END) FROM building b "
      "JOIN meter m ON m.building_id = b.id LEFT JOIN aggregate a ON a.meter_id = m.id AND "
      "a.period = ? AND a.period_start = ?" +
          where + " GROUP BY b.id, b.name ORDER BY b.id",
      params));
  Json items = Json::array();
  for (const auto& row : rows.rows) {
    const auto building = as_optional_real(row[2]);
    const auto households = as_optional_real(row[3]);
    Json item{{"building_id", as_integer(row[0])},
              {"name", as_text(row[1])},
              {"building_kwh", building ? Json(*building) : Json()},
              {"households_kwh", households ? Json(*households) : Json()},
              {"households", as_integer(row[4])},
              {"households_with_data", as_integer(row[5])}};
    if (building && households && *building > 0)
      item["difference_ratio"] = (*building - *households) / *building;
    items.push_back(std::move(item));
  }
  return json_response(Json{{"period", period}, {"period_start", *start}, {"items", items}});
}

// Asks a master for a job on one concentrator (the body's concentrator_id) of `kind`.
Response concentrator_job(Call& call, const char* kind) {
  const auto id = optional_integer(call.body(), "concentrator_id");
  if (!id) invalid("concentrator_id", "required");
  const auto rows = checked(call.db.query("SELECT name FROM concentrator WHERE id = ?", {*id}));
  if (rows.rows.empty())
    invalid("concentrator_id", "no concentrator with id " + std::to_string(*id));
  const std::int64_t job = queue(call, kind, as_text(rows.rows[0][0]));
  call.audit_detail = Json{{"job", job}, {"concentrator_id", *id}};
  return json_response(job_json(*checked(call.storage.read_job(job))), 202);
}

// Asks a master to read a concentrator's HM-660 meter archive.
Response read_archive(Call& call) {
  return concentrator_job(call, "archive");
}

// Asks a master to write the concentrator's meters of the base information into its HM-660
// archive (commissioning, before collect mode): a background job in slices that leave the
// schedule its slots, read back and compared once written.
Response write_archive(Call& call) {
  return concentrator_job(call, "archive_write");
}

// Asks a master for a wildcard secondary scan of a concentrator's bus (commissioning): a
// background job in slices that leave the schedule its slots.
Response scan_bus(Call& call) {
  return concentrator_job(call, "scan");
}

std::string upper(std::string text) {
  for (char& c : text)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return text;
}

// The archive a job read against the concentrator's meters in the base information: meters
// the archive lacks, archived meters the base information lacks, and meters archived on
// another channel. A meter is found by its address, or - a primary-address entry - by channel
// and primary address.
Json compare_archive(Call& call, const std::string& concentrator, const Json& archive) {
  const auto meters = checked(call.db.query(
      "SELECT m.id, m.channel, m.protocol, m.primary_address, m.secondary_address FROM meter m "
      "JOIN concentrator c ON c.id = m.concentrator_id WHERE c.name = ? ORDER BY m.id",
      {concentrator}));
  std::vector<bool> used(archive.size(), false);
  Json missing = Json::array(), moved = Json::array();
  std::size_t matched = 0;
  for (const auto& row : meters.rows) {
    const std::int64_t channel = as_integer(row[1]);
    const std::string address = upper(as_text(row[4]));
    const bool cjt = as_integer(row[2]) == 1;
    std::optional<std::size_t> found;
    for (std::size_t i = 0; i < archive.size() && !found; ++i) {
      const Json& e = archive[i];
      const std::string kind = e.value("protocol", "");
      if (used[i]) continue;
      if (!address.empty() && kind == (cjt ? "cjt188" : "mbus_secondary") &&
          upper(e.value("address", "")) == address)
        found = i;
      else if (!cjt && kind == "mbus_primary" && e.value("channel", -1) == channel &&
               e.value("primary", -1) == as_integer(row[3]))
        found = i;
    }
    const Json meter{{"meter_id", as_integer(row[0])}, {"channel", channel}, {"address", address}};
    if (!found) {
      missing.push_back(meter);
      continue;
    }
    used[*found] = true;
    ++matched;
    if (archive[*found].value("channel", -1) != channel)
      moved.push_back(Json{{"meter_id", as_integer(row[0])},
                           {"channel", channel},
                           {"archived_channel", archive[*found]["channel"]}});
  }
  Json unknown = Json::array();
  for (std::size_t i = 0; i < archive.size(); ++i)
    if (!used[i]) unknown.push_back(archive[i]);
  return Json{{"archived", archive.size()},
              {"meters", meters.rows.size()},
              {"matched", matched},
              {"missing_from_archive", missing},
              {"unknown_to_base_information", unknown},
              {"channel_differs", moved}};
}

// A scan's result against the base information: the concentrator's M-Bus meters with a
// secondary address the scan found, those it did not, and the addresses it found that no meter
// of the base information has.
Json compare_scan(Call& call, const std::string& concentrator, const Json& found) {
  const auto meters = checked(call.db.query(
      "SELECT m.id, m.secondary_address FROM meter m JOIN concentrator c ON c.id = "
      "m.concentrator_id WHERE c.name = ? AND m.protocol = 0 AND m.secondary_address <> '' "
      "ORDER BY m.id",
      {concentrator}));
  std::set<std::string> seen;
  for (const Json& a : found)
    if (a.is_string()) seen.insert(upper(a.get<std::string>()));
  Json missing = Json::array(), unknown = Json::array();
  std::set<std::string> on_file;
  for (const auto& row : meters.rows) {
    const std::string address = upper(as_text(row[1]));
    on_file.insert(address);
    if (seen.count(address) == 0)
      missing.push_back(Json{{"meter_id", as_integer(row[0])}, {"address", address}});
  }
  for (const std::string& a : seen)
    if (on_file.count(a) == 0) unknown.push_back(a);
  return Json{{"found", seen.size()},
              {"meters", meters.rows.size()},
              {"matched", meters.rows.size() - missing.size()},
              {"not_found", missing},
              {"unknown_to_base_information", unknown}};
}

// A concentrator job of `kind` (its `name` in a 404) and, once done, the list its detail holds
// under `key` held against the base information by `compare`.
Response job_result(Call& call, const char* kind, const char* name, const char* key,
                    Json (*compare)(Call&, const std::string&, const Json&)) {
  const auto job = checked(call.storage.read_job(call.id()));
  if (!job || job->kind != kind) not_found(std::string(name) + " " + std::to_string(call.id()));
  Json out = job_json(*job);
  if (job->status == "done") {
    const Json detail = Json::parse(job->detail, nullptr, false);
    const Json list = detail.is_object() && detail.contains(key) ? detail[key] : Json::array();
    out["comparison"] = compare(call, job->target, list);
  }
  return json_response(out);
}

Response scan_result(Call& call) {
  return job_result(call, "scan", "scan", "found", compare_scan);
}

Response archive_result(Call& call) {
  return job_result(call, "archive", "archive read", "archive", compare_archive);
}

// An archive write: its progress while it runs; once done, the archive it read back held
// against the base information as an archive read's is.
Response archive_write_result(Call& call) {
  return job_result(call, "archive_write", "archive write", "archive", compare_archive);
}

}  // namespace

void add_reconciliation_routes(Router& router) {
  router.add("POST", "/api/v1/reconciliation/archive", "reading.reconcile", read_archive);
  router.add("GET", "/api/v1/reconciliation/archive/{id}", "reading.reconcile", archive_result);
  router.add("POST", "/api/v1/reconciliation/archive/write", "base.edit", write_archive);
  router.add("GET", "/api/v1/reconciliation/archive/write/{id}", "reading.reconcile",
             archive_write_result);
  router.add("POST", "/api/v1/reconciliation/scan", "reading.reconcile", scan_bus);
  router.add("GET", "/api/v1/reconciliation/scan/{id}", "reading.reconcile", scan_result);
  router.add("GET", "/api/v1/reconciliation/gaps", "reading.reconcile", gaps);
  router.add("POST", "/api/v1/reconciliation/reread", "reading.reconcile", reread);
  router.add("GET", "/api/v1/reconciliation/buildings", "reading.reconcile", buildings);
  router.add("POST", "/api/v1/readings/manual", "reading.reconcile", manual_entry);
}

}  // namespace heatlink::master::api
