// Meter identity: the telegrams kept aside because another meter answered at a meter's address
// (档案核对), and what an operator makes of them: a new meter, or nothing. Filing them as a
// replacement is in replacement_routes.cc.
#include "read_jobs.h"
#include "replacements.h"
#include "router.h"

namespace heatlink::master::api {

namespace {

// Per meter address and identity: what answered there, how often, since when.
Response unassigned(Call& call) {
  const std::string status =
      call.choice("status", {"open", "replacement", "new_meter", "dismissed"}).value_or("open");
  std::string where = " WHERE u.status = ?";
  std::vector<SqlValue> params{status};
  if (const auto c = call.integer("concentrator_id", 1, INT64_MAX)) {
    where += " AND u.concentrator_id = ?";
    params.push_back(*c);
  }
  const Page page = page_of(call);
  params.push_back(page.size);
  params.push_back(page.offset());
  const auto rows = checked(call.db.query(
      "SELECT u.meter_id, u.identity, u.concentrator_id, c.name, u.channel, u.primary_address, "
      "u.expected_identity, count(*), min(u.read_at), max(u.read_at), "
      "min(u.energy_kwh), max(u.energy_kwh) FROM unassigned_reading u "
      "JOIN concentrator c ON c.id = u.concentrator_id" +
          where +
          " GROUP BY u.meter_id, u.identity, u.concentrator_id, c.name, u.channel, "
          "u.primary_address, u.expected_identity ORDER BY max(u.read_at) DESC LIMIT ? OFFSET ?",
      params));
  Json items = Json::array();
  for (const auto& row : rows.rows) {
    const auto meter = as_optional_integer(row[0]);
    Json item{{"meter_id", meter ? Json(*meter) : Json()},
              {"identity", as_text(row[1])},
              {"concentrator_id", as_integer(row[2])},
              {"concentrator", as_text(row[3])},
              {"channel", as_integer(row[4])},
              {"primary_address", as_integer(row[5])},
              {"expected_identity", as_text(row[6])},
              {"readings", as_integer(row[7])},
              {"first_read_at", as_integer(row[8])},
              {"last_read_at", as_integer(row[9])},
              {"first_energy_kwh", sql_json(row[10])},
              {"last_energy_kwh", sql_json(row[11])}};
    if (meter) {
      // What filing it as a replacement would take: the old meter's last register.
      const auto last = checked(call.db.query(
          "SELECT read_at, energy_kwh FROM reading WHERE meter_id = ? AND read_at < ? "
          "ORDER BY read_at DESC LIMIT 1",
          {*meter, as_integer(row[8])}));
      if (!last.rows.empty()) {
        item["old_last_read_at"] = as_integer(last.rows[0][0]);
        item["old_last_energy_kwh"] = sql_json(last.rows[0][1]);
      }
    }
    item["actions"] =
        status == "open" ? Json::array({"replacement", "new_meter", "dismiss"}) : Json::array();
    items.push_back(std::move(item));
  }
  return json_response(Json{{"status", status}, {"items", items}});
}

// The readings of an identity at a meter's address, put aside with their status (dismissed: a
// stray answer; new_meter: filed under another meter made for it).
Response dismiss(Call& call) {
  const Json& body = call.body();
  const auto meter_id = optional_integer(body, "meter_id");
  if (!meter_id) invalid("meter_id", "required");
  const MeterRecord meter = existing_meter(call, *meter_id, "meter_id");
  const std::string identity = identity_field(body, "identity", meter.protocol);
  const auto done = checked(call.db.query(
      "UPDATE unassigned_reading SET status = 'dismissed', resolved_at = ? WHERE meter_id = ? "
      "AND identity = ? AND status = 'open'",
      {call.now(), meter.id, identity}));
  if (done.affected == 0) not_found("open unassigned readings of " + identity);
  call.audit_detail = Json{{"meter_id", meter.id}, {"identity", identity}};
  return json_response(Json{{"dismissed", done.affected}});
}

// A meter the base information did not have: made from what answered (read by its identity
// from now on) and given the readings kept aside.
Response new_meter(Call& call) {
  const Json& body = call.body();
  const auto meter_id = optional_integer(body, "meter_id");
  if (!meter_id) invalid("meter_id", "required: the meter at whose address it answered");
  const MeterRecord at = existing_meter(call, *meter_id, "meter_id");
  const std::string identity = identity_field(body, "identity", at.protocol);
  const auto found = checked(call.db.query(
      "SELECT count(*) FROM unassigned_reading WHERE meter_id = ? AND identity = ? AND "
      "status = 'open'",
      {at.id, identity}));
  if (as_integer(found.rows[0][0]) == 0) not_found("open unassigned readings of " + identity);
  MeterRecord made;
  made.concentrator_id = at.concentrator_id;
  made.channel = at.channel;
  made.protocol = at.protocol;
  made.secondary_address = identity;
  made.vendor = optional_text(body, "vendor", 40).value_or(at.vendor);
  made.model = optional_text(body, "model", 80).value_or("");
  made.id = checked(call.storage.add_meter_of(made, at.id, identity, call.now()));
  Json out{
      {"meter_id", made.id}, {"identity", identity}, {"concentrator_id", made.concentrator_id}};
  call.audit_detail = out;
  return json_response(out, 201);
}

}  // namespace

void add_identity_routes(Router& router) {
  router.add("GET", "/api/v1/reconciliation/unassigned", "reading.reconcile", unassigned);
  router.add("POST", "/api/v1/reconciliation/unassigned/dismiss", "reading.reconcile", dismiss);
  router.add("POST", "/api/v1/reconciliation/unassigned/new-meter", "base.edit", new_meter);
}

}  // namespace heatlink::master::api
