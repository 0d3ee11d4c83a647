// Meter replacements (换表) as base information: listed per meter, filed one at a time (the API,
// the reconciliation dialog) or many from a CSV/XLSX file. Filing one settles the
// concentrator's days since the swap again, so that every figure across it is continuous.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <set>

#include "exports.h"
#include "heatlink/master/analysis/settlement.h"
#include "read_jobs.h"
#include "replacements.h"
#include "router.h"

namespace heatlink::master::api {

namespace {

bool hex_digits(const std::string& text, std::size_t size, const char* allowed) {
  return text.size() == size && text.find_first_not_of(allowed) == std::string::npos;
}

}  // namespace

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

namespace {

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

}  // namespace

// 换表: the meter of a household swapped for another. The old meter's final register and the
// new one's first are what the fitter wrote down; the moment lies between the last reading of
// the old meter and the first of the new. The same identity again is a meter reprogrammed
// with the old one's number, or its register cleared by a service tool: a reset filed alike.
ReplacementRecord checked_replacement(Call& call, const MeterRecord& meter, const Json& body) {
  for (const auto& [key, v] : body.items()) {
    if (key != "new_identity" && key != "replaced_at" && key != "old_final_kwh" &&
        key != "new_start_kwh" && key != "old_final_m3" && key != "new_start_m3")
      invalid(key, "not a field of a meter replacement");
  }
  ReplacementRecord r;
  r.meter_id = meter.id;
  r.old_identity = meter.secondary_address;
  r.new_identity = identity_field(body, "new_identity", meter.protocol);
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
  return r;
}

namespace {

// Files a checked replacement and settles the concentrator's days since it again.
Json file_checked(Call& call, ReplacementRecord& r, std::int64_t concentrator_id) {
  r.id = checked(call.storage.file_replacement(r));
  const std::size_t days = checked(
      resettle(call.storage, concentrator_id, r.replaced_at, call.now(), call.env.consumption));
  Json out = replacement_json(r);
  out["days_settled_again"] = days;
  return out;
}

Response file_replacement(Call& call) {
  const MeterRecord meter = existing_meter(call, call.id(), "");
  ReplacementRecord r = checked_replacement(call, meter, call.body());
  Json out = file_checked(call, r, meter.concentrator_id);
  call.audit_detail = out;
  return json_response(out, 201);
}

// A moment as a field team's sheet writes it: epoch seconds, "YYYY-MM-DD HH:MM[:SS]" (a T
// between allowed) in the heat company's local time, or a spreadsheet's date serial (days since
// 1899-12-30, local).
std::optional<EpochSeconds> moment(const std::string& text, int utc_offset_s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  char sep = 0;
  int used = 0;
  const int fields = std::sscanf(text.c_str(), "%4d-%2d-%2d%c%2d:%2d%n:%2d%n", &y, &mo, &d, &sep,
                                 &h, &mi, &used, &sec, &used);
  if (fields >= 6 && (sep == ' ' || sep == 'T') && static_cast<std::size_t>(used) == text.size()) {
    const std::chrono::year_month_day day{std::chrono::year{y},
                                          std::chrono::month(static_cast<unsigned>(mo)),
                                          std::chrono::day(static_cast<unsigned>(d))};
    if (!day.ok() || h > 23 || mi > 59 || sec > 59) return std::nullopt;
    return std::chrono::sys_days{day}.time_since_epoch().count() * 86400LL + h * 3600 + mi * 60 +
           sec - utc_offset_s;
  }
  char* end = nullptr;
  const double number = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(number) || number <= 0)
    return std::nullopt;
  if (number >= 1e9 && number < 1e11) return static_cast<EpochSeconds>(number);
  if (number < 1e6)  // 1899-12-30 is 25,569 days before 1970-01-01
    return std::llround((number - 25'569) * 86400) - utc_offset_s;
  return std::nullopt;
}

// One row of an imported sheet as the body a filing through the API would have.
Json row_body(const Table& table, const std::vector<Cell>& row, int utc_offset_s) {
  Json body = Json::object();
  for (std::size_t c = 0; c < table.header.size(); ++c) {
    const std::string& name = table.header[c];
    const std::string& text = row[c].text;
    if (name == "meter_id" || name == "meter_identity" || text.empty()) continue;
    if (name == "new_identity") {
      body[name] = text;
    } else if (name == "replaced_at") {
      const auto at = moment(text, utc_offset_s);
      if (!at) invalid(name, "expected epoch seconds or YYYY-MM-DD HH:MM[:SS], got '" + text + "'");
      body[name] = *at;
    } else {
      char* end = nullptr;
      const double v = std::strtod(text.c_str(), &end);
      if (end != text.c_str() + text.size() || !std::isfinite(v))
        invalid(name, "expected a number, got '" + text + "'");
      body[name] = v;
    }
  }
  return body;
}

// The meter a row names: by meter_id, or by the identity on file (meter_identity).
MeterRecord row_meter(Call& call, const Table& table, const std::vector<Cell>& row) {
  for (std::size_t c = 0; c < table.header.size(); ++c) {
    const std::string& text = row[c].text;
    if (text.empty()) continue;
    if (table.header[c] == "meter_id") {
      char* end = nullptr;
      const long long id = std::strtoll(text.c_str(), &end, 10);
      if (end != text.c_str() + text.size() || id <= 0)
        invalid("meter_id", "expected a meter's id, got '" + text + "'");
      return existing_meter(call, id, "meter_id");
    }
    if (table.header[c] == "meter_identity") {
      std::string upper = text;
      for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      const auto found = checked(
          call.db.query("SELECT id FROM meter WHERE upper(secondary_address) = ?", {upper}));
      if (found.rows.size() != 1)
        invalid("meter_identity", found.rows.empty()
                                      ? "no meter has identity " + upper
                                      : "several meters have identity " + upper + ": use meter_id");
      return existing_meter(call, as_integer(found.rows[0][0]), "meter_identity");
    }
  }
  invalid("meter_id", "required: meter_id or meter_identity");
}

// A field team's sheet of replacements: every row checked before any is filed (the report names
// row and field), then filed, and each concentrator's days since its earliest swap settled again
// once.
Response import_replacements(Call& call) {
  const Table table = uploaded_table(call);
  for (const std::string& name : table.header) {
    if (name != "meter_id" && name != "meter_identity" && name != "new_identity" &&
        name != "replaced_at" && name != "old_final_kwh" && name != "new_start_kwh" &&
        name != "old_final_m3" && name != "new_start_m3")
      invalid(name, "not a column of a replacement import");
  }
  Json errors = Json::array();
  std::vector<std::pair<ReplacementRecord, std::int64_t>> filings;  // with the concentrator
  std::set<std::int64_t> meters;
  for (std::size_t r = 0; r < table.rows.size() && errors.size() < 100; ++r) {
    try {
      if (table.rows[r].size() != table.header.size())
        refuse(400, "invalid",
               "expected " + std::to_string(table.header.size()) + " cells, found " +
                   std::to_string(table.rows[r].size()));
      const MeterRecord meter = row_meter(call, table, table.rows[r]);
      if (!meters.insert(meter.id).second)
        invalid("meter_id", "meter " + std::to_string(meter.id) +
                                " is in an earlier row: one replacement of a meter per file");
      filings.emplace_back(
          checked_replacement(call, meter,
                              row_body(table, table.rows[r], call.env.consumption.utc_offset_s)),
          meter.concentrator_id);
    } catch (const Problem& p) {
      Json error{{"row", r + 2}, {"message", p.message}};  // the header is line 1
      if (!p.field.empty()) error["field"] = p.field;
      errors.push_back(std::move(error));
    }
  }
  if (!errors.empty()) {
    return json_response(Json{{"error",
                               {{"code", "import_rejected"},
                                {"message", std::to_string(errors.size()) +
                                                " row(s) have errors; nothing was filed"}}},
                              {"rows", errors}},
                         400);
  }
  std::map<std::int64_t, EpochSeconds> since;  // by concentrator: its earliest swap
  for (auto& [filing, concentrator] : filings) {
    filing.id = checked(call.storage.file_replacement(filing));
    auto [it, fresh] = since.try_emplace(concentrator, filing.replaced_at);
    if (!fresh) it->second = std::min(it->second, filing.replaced_at);
  }
  std::size_t days = 0;
  for (const auto& [concentrator, from] : since)
    days += checked(resettle(call.storage, concentrator, from, call.now(), call.env.consumption));
  call.audit_detail = Json{{"filed", filings.size()}};
  return json_response(Json{{"filed", filings.size()}, {"days_settled_again", days}});
}

}  // namespace

void add_replacement_routes(Router& router) {
  router.add("GET", "/api/v1/meters/{id}/replacements", "base.view", replacements);
  router.add("POST", "/api/v1/meters/{id}/replacements", "base.edit", file_replacement);
  router.add("POST", "/api/v1/replacements/import", "base.import", import_replacements);
}

}  // namespace heatlink::master::api
