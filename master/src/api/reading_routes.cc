// 抄表管理 Meter reading: manual reads of a meter, a concentrator or a community with their
// progress, valve commands, reconciliation (gaps in the stored readings, building meters
// against their households), manual entries, and the reading settings.
#include "conditions.h"
#include "router.h"

namespace heatlink::master::api {

namespace {

// A manual entry's readings carry this status bit, so they are never taken for the meter's own.
constexpr std::uint32_t kManualEntryBit = 0x8000'0000u;

Json job_json(const ReadJob& job) {
  Json detail = job.detail.empty() ? Json() : Json::parse(job.detail, nullptr, false);
  if (detail.is_discarded()) detail = job.detail;
  auto optional = [](const std::optional<EpochSeconds>& t) { return t ? Json(*t) : Json(); };
  return Json{{"id", job.id},
              {"kind", job.kind},
              {"target", job.target},
              {"status", job.status},
              {"requested_at", job.requested_at},
              {"started_at", optional(job.started_at)},
              {"finished_at", optional(job.finished_at)},
              {"claimed_by", job.claimed_by},
              {"detail", detail}};
}

std::int64_t queue(Call& call, const std::string& kind, const std::string& target) {
  ReadJob job;
  job.kind = kind;
  job.target = target;
  job.requested_at = call.now();
  return checked(call.storage.queue_read_job(job));
}

MeterRecord existing_meter(Call& call, std::int64_t id, const std::string& field) {
  const auto meter = checked(call.storage.meter(id));
  if (!meter) {
    if (field.empty()) not_found("meter " + std::to_string(id));
    invalid(field, "no meter with id " + std::to_string(id));
  }
  return *meter;
}

Response create_job(Call& call) {
  const Json& body = call.body();
  const std::string kind = required_text(body, "kind", 20);
  std::string target;
  if (kind == "meter") {
    const auto id = optional_integer(body, "meter_id");
    if (!id) invalid("meter_id", "required for a meter read");
    target = std::to_string(existing_meter(call, *id, "meter_id").id);
  } else if (kind == "concentrator" || kind == "community") {
    target = required_text(body, "name", 200);
    const auto found = checked(call.db.query(
        std::string("SELECT 1 FROM ") + (kind == "concentrator" ? "concentrator" : "community") +
            " WHERE name = ?",
        {target}));
    if (found.rows.empty()) invalid("name", "no " + kind + " named '" + target + "'");
  } else {
    invalid("kind", "expected meter, concentrator or community");
  }
  const std::int64_t id = queue(call, kind, target);
  call.audit_detail = Json{{"job", id}, {"kind", kind}, {"target", target}};
  return json_response(job_json(*checked(call.storage.read_job(id))), 202);
}

// A job and how far it got: for a running concentrator or community read, the meters read
// since it started against the meters to read.
Response get_job(Call& call) {
  const auto job = checked(call.storage.read_job(call.id()));
  if (!job) not_found("read job " + std::to_string(call.id()));
  Json out = job_json(*job);
  if (job->kind == "concentrator" || job->kind == "community") {
    const std::string scope = job->kind == "concentrator" ? "c.name = ?" : "co.name = ?";
    const auto counts = checked(call.db.query(
        "SELECT count(*), count(CASE WHEN EXISTS (SELECT 1 FROM reading r WHERE r.meter_id = m.id "
        "AND r.received_at >= ?) THEN 1 END) FROM meter m JOIN concentrator c ON "
        "c.id = m.concentrator_id LEFT JOIN community co ON co.id = c.community_id WHERE " +
            scope,
        {job->started_at.value_or(job->requested_at), job->target}));
    out["progress"] = Json{{"meters", as_integer(counts.rows.at(0)[0])},
                           {"read", job->started_at ? as_integer(counts.rows.at(0)[1]) : 0}};
  }
  return json_response(out);
}

Response list_jobs(Call& call) {
  Conditions c;
  if (const auto status = call.choice("status", {"queued", "running", "done", "failed"}))
    c.add("status = ?", {*status});
  return json_response(
      page_of_rows(call, "id", "read_job", c, "id DESC", [&call](const SqlRow& row) {
        const auto job = checked(call.storage.read_job(as_integer(row[0])));
        return job ? job_json(*job) : Json();
      }));
}

Response valve(Call& call) {
  const MeterRecord meter = existing_meter(call, call.id(), "");
  const std::string action = required_text(call.body(), "action", 10);
  if (action != "open" && action != "close") invalid("action", "expected open or close");
  if (meter.protocol != MeterProtocol::cjt188)
    refuse(409, "no_valve",
           "meter " + std::to_string(meter.id) +
               " has no valve the master can drive (not a CJ/T 188 meter)");
  const std::int64_t id = queue(call, "valve_" + action, std::to_string(meter.id));
  call.audit_detail = Json{{"job", id}, {"meter_id", meter.id}, {"action", action}};
  return json_response(job_json(*checked(call.storage.read_job(id))), 202);
}

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

Response settings(Call& call) {
  if (!call.env.reading_settings) return json_response(Json::object());
  return json_response(Json::parse(call.env.reading_settings()));
}

}  // namespace

void add_reading_routes(Router& router) {
  router.add("POST", "/api/v1/read-jobs", "reading.manual", create_job);
  router.add("GET", "/api/v1/read-jobs", "reading.manual", list_jobs);
  router.add("GET", "/api/v1/read-jobs/{id}", "reading.manual", get_job);
  router.add("POST", "/api/v1/meters/{id}/valve", "valve.command", valve);
  router.add("GET", "/api/v1/reconciliation/gaps", "reading.reconcile", gaps);
  router.add("POST", "/api/v1/reconciliation/reread", "reading.reconcile", reread);
  router.add("GET", "/api/v1/reconciliation/buildings", "reading.reconcile", buildings);
  router.add("POST", "/api/v1/readings/manual", "reading.reconcile", manual_entry);
  router.add("GET", "/api/v1/reading-settings", "reading.settings", settings);
}

}  // namespace heatlink::master::api
