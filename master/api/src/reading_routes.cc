// 抄表管理 Meter reading: manual reads of a meter, a concentrator or a community with their
// progress, valve commands, and the reading settings (reconciliation_routes.cc: 对账).
#include "conditions.h"
#include "read_jobs.h"
#include "router.h"

namespace heatlink::master::api {

namespace {

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
  router.add("GET", "/api/v1/reading-settings", "reading.settings", settings);
}

}  // namespace heatlink::master::api
