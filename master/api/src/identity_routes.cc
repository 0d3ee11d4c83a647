// Meter identity: the telegrams kept aside because another meter answered at a meter's address
// (档案核对), and meter replacements (换表) filed as base information. Filing a replacement
// settles the concentrator's days since the swap again, so that every figure across it is
// continuous.
#include <algorithm>

#include "heatlink/master/analysis/settlement.h"
#include "read_jobs.h"
#include "router.h"

namespace heatlink::master::api {

namespace {

bool hex_digits(const std::string& text, std::size_t size, const char* allowed) {
  return text.size() == size && text.find_first_not_of(allowed) == std::string::npos;
}

// An identity as the base information writes it: 16 hex digits (M-Bus), 14 digits (CJ/T 188).
std::string identity_field(const Json& body, const std::string& field, MeterProtocol protocol) {
  std::string text = required_text(body, field, 16);
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (protocol == MeterProtocol::cjt188 ? !hex_digits(text, 14, "0123456789ABCDEF")
                                        : !hex_digits(text, 16, "0123456789ABCDEF"))
    invalid(field, protocol == MeterProtocol::cjt188
                       ? "expected the CJ/T 188 meter's 14-digit address"
                       : "expected 16 hex digits: ID, manufacturer, version, medium");
  return text;
}

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

Json replacement_json(const ReplacementRecord& r) {
  return Json{{"id", r.id},
              {"meter_id", r.meter_id},
              {"replaced_at", r.replaced_at},
              {"old_identity", r.old_identity},
              {"new_identity", r.new_identity},
              {"old_final_kwh", r.old_final_kwh},
              {"new_start_kwh", r.new_start_kwh},
              {"old_final_m3", r.old_final_m3 ? Json(*r.old_final_m3) : Json()},
              {"new_start_m3", r.new_start_m3 ? Json(*r.new_start_m3) : Json()},
              {"filed_at", r.filed_at},
              {"filed_by", r.filed_by}};
}

Response replacements(Call& call) {
  const MeterRecord meter = existing_meter(call, call.id(), "");
  Json items = Json::array();
  for (const ReplacementRecord& r : checked(call.storage.replacements_on(meter.concentrator_id)))
    if (r.meter_id == meter.id) items.push_back(replacement_json(r));
  return json_response(Json{{"meter_id", meter.id}, {"items", items}});
}

double register_field(const Json& body, const std::string& field) {
  const auto v = optional_number(body, field);
  if (!v) invalid(field, "required: the register in kWh");
  if (*v < 0 || *v > 1e10) invalid(field, "expected a register from 0 to 1e10");
  return *v;
}

// 换表: the meter of a household swapped for another. The old meter's final register and the
// new one's first are what the fitter wrote down; the moment lies between the last reading of
// the old meter and the first of the new.
Response file_replacement(Call& call) {
  const MeterRecord meter = existing_meter(call, call.id(), "");
  const Json& body = call.body();
  for (const auto& [key, v] : body.items()) {
    if (key != "new_identity" && key != "replaced_at" && key != "old_final_kwh" &&
        key != "new_start_kwh" && key != "old_final_m3" && key != "new_start_m3")
      invalid(key, "not a field of a meter replacement");
  }
  ReplacementRecord r;
  r.meter_id = meter.id;
  r.old_identity = meter.secondary_address;
  r.new_identity = identity_field(body, "new_identity", meter.protocol);
  if (r.new_identity == r.old_identity)
    invalid("new_identity", "is the meter's identity already: nothing was replaced");
  const auto at = optional_integer(body, "replaced_at");
  if (!at || *at <= 0) invalid("replaced_at", "required: epoch seconds");
  if (*at > call.now() + 300) invalid("replaced_at", "lies in the future");
  r.replaced_at = *at;
  r.old_final_kwh = register_field(body, "old_final_kwh");
  r.new_start_kwh = register_field(body, "new_start_kwh");
  r.old_final_m3 = optional_number(body, "old_final_m3");
  r.new_start_m3 = optional_number(body, "new_start_m3");
  r.filed_at = call.now();
  r.filed_by = call.user.name;
  EpochSeconds last_swap = 0;  // the old meter's readings are those since
  for (const ReplacementRecord& before :
       checked(call.storage.replacements_on(meter.concentrator_id))) {
    if (before.meter_id != meter.id) continue;
    last_swap = std::max(last_swap, before.replaced_at);
    if (before.replaced_at >= r.replaced_at)
      refuse(409, "conflict",
             "meter " + std::to_string(meter.id) + " has a replacement filed at or after that time",
             "replaced_at");
  }
  const auto taken = checked(call.db.query(
      "SELECT id FROM meter WHERE concentrator_id = ? AND upper(secondary_address) = ? AND id <> ?",
      {meter.concentrator_id, r.new_identity, meter.id}));
  if (!taken.rows.empty())
    refuse(
        409, "conflict",
        "meter " + std::to_string(as_integer(taken.rows[0][0])) + " has identity " + r.new_identity,
        "new_identity");
  // The old meter's readings contradict a final register below one of them before the swap
  // (the register is wrong) or after it (the swap was later).
  const auto above = checked(call.db.query(
      "SELECT count(CASE WHEN read_at < ? THEN 1 END), count(CASE WHEN read_at >= ? THEN 1 END) "
      "FROM reading WHERE meter_id = ? AND read_at > ? AND energy_kwh > ?",
      {r.replaced_at, r.replaced_at, meter.id, last_swap, r.old_final_kwh}));
  if (as_integer(above.rows[0][0]) > 0)
    invalid("old_final_kwh", "the old meter read more than that before the swap");
  if (as_integer(above.rows[0][1]) > 0)
    invalid("replaced_at", "the old meter read more than its final register after that time");
  r.id = checked(call.storage.file_replacement(r));
  const std::size_t days = checked(resettle(call.storage, meter.concentrator_id, r.replaced_at,
                                            call.now(), call.env.consumption));
  Json out = replacement_json(r);
  out["days_settled_again"] = days;
  call.audit_detail = out;
  return json_response(out, 201);
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
  router.add("GET", "/api/v1/meters/{id}/replacements", "base.view", replacements);
  router.add("POST", "/api/v1/meters/{id}/replacements", "base.edit", file_replacement);
}

}  // namespace heatlink::master::api
