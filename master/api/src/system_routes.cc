// 系统设置 System settings: custom fault rules, system parameters, DTU and concentrator status
// from the gateway, and the audit log (access_routes.cc: users, roles and permissions).
#include "auth.h"
#include "conditions.h"
#include "heatlink/master/analysis/fault_rules.h"
#include "record_changes.h"
#include "router.h"

namespace heatlink::master::api {

namespace {

// ---- fault rules

Json rule_json(const SqlRow& row) {
  return Json{{"id", as_integer(row[0])},
              {"name", as_text(row[1])},
              {"field", as_text(row[2])},
              {"op", as_text(row[3])},
              {"threshold", *as_optional_real(row[4])},
              {"persistence_s", as_integer(row[5])},
              {"severity", as_integer(row[6])},
              {"enabled", as_integer(row[7]) != 0}};
}

constexpr const char* kRuleColumns =
    "id, name, field, op, threshold, persistence_s, severity, enabled";

Json one_rule(Call& call, std::int64_t id) {
  const auto rows = checked(
      call.db.query(std::string("SELECT ") + kRuleColumns + " FROM fault_rule WHERE id = ?", {id}));
  if (rows.rows.empty()) not_found("fault rule " + std::to_string(id));
  return rule_json(rows.rows.front());
}

// A rule from a body, over `base` (an update keeps what the body leaves out).
Json checked_rule(const Json& body, Json base) {
  for (const auto& [key, v] : body.items()) {
    if (key != "name" && key != "field" && key != "op" && key != "threshold" &&
        key != "persistence_s" && key != "severity" && key != "enabled")
      invalid(key, "not a field of a fault rule");
  }
  if (const auto v = optional_text(body, "name", 60)) base["name"] = *v;
  if (const auto v = optional_text(body, "field", 40)) base["field"] = *v;
  if (const auto v = optional_text(body, "op", 2)) base["op"] = *v;
  if (const auto v = optional_number(body, "threshold")) base["threshold"] = *v;
  if (const auto v = optional_integer(body, "persistence_s")) base["persistence_s"] = *v;
  if (const auto v = optional_integer(body, "severity")) base["severity"] = *v;
  if (const auto v = optional_flag(body, "enabled")) base["enabled"] = *v;
  for (const char* required : {"name", "field", "op", "threshold"})
    if (!base.contains(required)) invalid(required, "required");
  CustomRule rule{base["name"], base["field"], base["op"], base["threshold"].get<double>(),
                  base.value("persistence_s", EpochSeconds{0})};
  if (const std::string problem = rule.problem(); !problem.empty()) {
    const std::string field = problem.substr(0, problem.find(':'));
    refuse(400, "invalid", problem,
           field == "field" || field == "op" || field == "threshold" || field == "name" ||
                   field == "persistence_s"
               ? field
               : "");
  }
  const auto severity = base.value("severity", std::int64_t{2});
  if (severity < 1 || severity > 3) invalid("severity", "expected 1 (info) to 3 (alarm)");
  if (base.value("persistence_s", EpochSeconds{0}) < 0)
    invalid("persistence_s", "expected 0 or more seconds");
  return base;
}

std::vector<SqlValue> rule_params(const Json& r) {
  return {r["name"].get<std::string>(),
          r["field"].get<std::string>(),
          r["op"].get<std::string>(),
          r["threshold"].get<double>(),
          r.value("persistence_s", std::int64_t{0}),
          r.value("severity", std::int64_t{2}),
          r.value("enabled", true)};
}

Response list_rules(Call& call) {
  const auto rows = checked(
      call.db.query(std::string("SELECT ") + kRuleColumns + " FROM fault_rule ORDER BY id", {}));
  Json items = Json::array();
  for (const auto& row : rows.rows) items.push_back(rule_json(row));
  return json_response(Json{{"items", items}});
}

Response create_rule(Call& call) {
  const Json rule = checked_rule(call.body(), Json::object());
  const std::int64_t id = unique_write(
      call.db.insert_id("INSERT INTO fault_rule (name, field, op, threshold, persistence_s, "
                        "severity, enabled) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        rule_params(rule)),
      "a fault rule named " + rule["name"].get<std::string>());
  return json_response(one_rule(call, id), 201);
}

Response update_rule(Call& call) {
  const Json before = one_rule(call, call.id());
  const Json rule = checked_rule(call.body(), before);
  auto params = rule_params(rule);
  params.push_back(call.id());
  unique_write(call.db.query("UPDATE fault_rule SET name = ?, field = ?, op = ?, threshold = ?, "
                             "persistence_s = ?, severity = ?, enabled = ? WHERE id = ?",
                             params),
               "a fault rule named " + rule["name"].get<std::string>());
  return changed(call, before, one_rule(call, call.id()));
}

Response delete_rule(Call& call) {
  return deleted(call, "fault_rule", one_rule(call, call.id()));
}

// ---- system parameters

struct ParameterInfo {
  const char* name;
  const char* fallback;
  std::vector<std::string> allowed;  // empty: any text up to 200 characters
};

const std::vector<ParameterInfo>& parameters() {
  static const std::vector<ParameterInfo> all = {
      {"company_name", "", {}},
      {"energy_unit", "kWh", {"kWh", "MWh", "GJ"}},
      {"language", "zh-CN", {"zh-CN", "en"}},
      {"heating_season_start", "11-15", {}},
      {"heating_season_end", "03-15", {}},
  };
  return all;
}

Response get_parameters(Call& call) {
  const auto rows = checked(call.db.query("SELECT name, value FROM system_parameter", {}));
  Json out = Json::object();
  for (const auto& p : parameters()) out[p.name] = p.fallback;
  for (const auto& row : rows.rows)
    if (out.contains(as_text(row[0]))) out[as_text(row[0])] = as_text(row[1]);
  return json_response(out);
}

bool month_day(const std::string& text) {
  if (text.size() != 5 || text[2] != '-') return false;
  const int month = (text[0] - '0') * 10 + (text[1] - '0');
  const int day = (text[3] - '0') * 10 + (text[4] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

Response put_parameters(Call& call) {
  const Json& body = call.body();
  std::vector<std::pair<std::string, std::string>> changes;
  for (const auto& [key, v] : body.items()) {
    const ParameterInfo* info = nullptr;
    for (const auto& p : parameters())
      if (key == p.name) info = &p;
    if (info == nullptr) invalid(key, "not a system parameter");
    const std::string value = required_text(body, key, 200);
    if (!info->allowed.empty() &&
        std::find(info->allowed.begin(), info->allowed.end(), value) == info->allowed.end())
      invalid(key, "not one of the allowed values");
    if (key.starts_with("heating_season_") && !month_day(value)) invalid(key, "expected MM-DD");
    changes.emplace_back(key, value);
  }
  if (auto e = call.db.in_transaction([&]() -> std::optional<StorageError> {
        for (const auto& [name, value] : changes) {
          checked(call.db.query("DELETE FROM system_parameter WHERE name = ?", {name}));
          checked(call.db.query("INSERT INTO system_parameter (name, value) VALUES (?, ?)",
                                {name, value}));
        }
        return std::nullopt;
      }))
    storage_failed(*e);
  return get_parameters(call);
}

// ---- status and audit

std::int64_t epoch_of(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// The DTUs the gateway knows and those the base information names, a page at a time (a city
// has ten thousand): `q` (the start of the ID), `status` (online, offline, conflict, parked),
// and the counts of each over all of them.
Response dtus(Call& call) {
  const std::string q = call.text("q").value_or("");
  const std::string status = call.text("status").value_or("");
  if (!status.empty() && status != "online" && status != "offline" && status != "conflict" &&
      status != "parked")
    invalid("status", "expected online, offline, conflict or parked, got '" + status + "'");
  const Page page = page_of(call);
  std::map<std::string, DtuState> live;
  if (call.env.dtus)
    for (auto& d : call.env.dtus()) live[d.id] = std::move(d);
  const auto concentrators = checked(call.db.query(
      "SELECT dtu_id, count(*) FROM concentrator WHERE dtu_id <> '' GROUP BY dtu_id", {}));
  std::map<std::string, std::int64_t> served;
  for (const auto& row : concentrators.rows) served[as_text(row[0])] = as_integer(row[1]);
  for (const auto& [id, count] : served)
    if (!live.contains(id)) live[id].id = id;
  std::int64_t online = 0, conflict = 0, parked = 0;
  Json items = Json::array();
  std::int64_t total = 0;
  for (const auto& [id, d] : live) {
    online += d.online;
    conflict += d.conflict;
    parked += d.parked;
    const bool wanted = status.empty() || (status == "online" && d.online) ||
                        (status == "offline" && !d.online) ||
                        (status == "conflict" && d.conflict) || (status == "parked" && d.parked);
    if (!wanted || !id.starts_with(q)) continue;
    if (total++ < page.offset() || total > page.offset() + page.size) continue;
    items.push_back(
        Json{{"dtu_id", id},
             {"model", d.model},
             {"online", d.online},
             {"parked", d.parked},
             {"remote", d.remote},
             {"connected_at", d.online ? Json(epoch_of(d.connected_at)) : Json()},
             {"last_seen",
              d.last_seen.time_since_epoch().count() == 0 ? Json() : Json(epoch_of(d.last_seen))},
             {"bytes_in", d.bytes_in},
             {"bytes_out", d.bytes_out},
             {"registrations", d.registrations},
             {"heartbeats", d.heartbeats},
             {"last_drop", d.last_drop},
             {"contested_claims", d.contested_claims},
             {"conflict", d.conflict},
             {"conflict_detail", d.conflict_detail},
             {"contenders", d.contenders},
             {"refused_claims", d.refused_claims},
             {"last_refused", d.last_refused},
             {"concentrators", served.contains(id) ? served[id] : 0}});
  }
  Json answer = paged(std::move(items), page, total);
  answer["counts"] = {{"online", online},
                      {"offline", static_cast<std::int64_t>(live.size()) - online},
                      {"conflict", conflict},
                      {"parked", parked}};
  return json_response(answer);
}

// Two devices claim a DTU ID: the session holding it keeps it, the others are closed
// (docs/gateway.md).
Response resolve_conflict(Call& call) {
  const std::string id = call.path_text("dtu_id");
  if (!call.env.resolve_dtu_conflict || !call.env.resolve_dtu_conflict(id))
    not_found("conflict of DTU " + id);
  call.audit_detail = Json{{"dtu_id", id}};
  return json_response(Json{{"dtu_id", id}, {"resolved", true}});
}

Response concentrators(Call& call) {
  std::map<std::string, bool> online;
  if (call.env.dtus)
    for (const auto& d : call.env.dtus()) online[d.id] = d.online;
  const auto rows = checked(call.db.query(
      "SELECT c.id, c.name, c.dtu_id, c.mode, (SELECT count(*) FROM meter m WHERE "
      "m.concentrator_id = c.id), k.finished_at, k.read, k.failed, k.master, k.missed FROM "
      "concentrator c "
      "LEFT JOIN cycle_claim k ON k.concentrator_id = c.id AND k.slot = (SELECT max(slot) FROM "
      "cycle_claim WHERE concentrator_id = c.id AND finished_at IS NOT NULL) ORDER BY c.id",
      {}));
  Json items = Json::array();
  for (const auto& row : rows.rows) {
    const std::string dtu = as_text(row[2]);
    Json last = Json();
    if (!std::holds_alternative<std::monostate>(row[5]))
      last = Json{{"finished_at", as_integer(row[5])},
                  {"read", as_integer(row[6])},
                  {"failed", as_integer(row[7])},
                  {"master", as_text(row[8])},
                  {"missed", as_integer(row[9]) != 0}};
    items.push_back(Json{{"id", as_integer(row[0])},
                         {"name", as_text(row[1])},
                         {"dtu_id", dtu},
                         {"mode", as_integer(row[3]) == 1 ? "collect" : "transparent"},
                         {"meters", as_integer(row[4])},
                         {"dtu_online", online.contains(dtu) && online[dtu]},
                         {"last_cycle", last}});
  }
  return json_response(Json{{"items", items}});
}

Response audit_log(Call& call) {
  Conditions c;
  c.text(call, "actor", "actor = ?");
  c.integer(call, "from", "at >= ?", 0);
  c.integer(call, "to", "at < ?", 0);
  return json_response(page_of_rows(call, "id, at, actor, action, detail", "audit_log", c,
                                    "id DESC", [](const SqlRow& row) {
                                      Json detail = Json::parse(as_text(row[4]), nullptr, false);
                                      if (detail.is_discarded()) detail = as_text(row[4]);
                                      return Json{{"id", as_integer(row[0])},
                                                  {"at", as_integer(row[1])},
                                                  {"actor", as_text(row[2])},
                                                  {"action", as_text(row[3])},
                                                  {"detail", detail}};
                                    }));
}

}  // namespace

void add_system_routes(Router& router) {
  router.add("GET", "/api/v1/fault-rules", "faults.view", list_rules);
  router.add("POST", "/api/v1/fault-rules", "rules.edit", create_rule);
  router.add("GET", "/api/v1/fault-rules/{id}", "faults.view",
             [](Call& c) { return json_response(one_rule(c, c.id())); });
  router.add("PUT", "/api/v1/fault-rules/{id}", "rules.edit", update_rule);
  router.add("DELETE", "/api/v1/fault-rules/{id}", "rules.edit", delete_rule);
  router.add("GET", "/api/v1/system/parameters", "system.view", get_parameters);
  router.add("PUT", "/api/v1/system/parameters", "system.edit", put_parameters);
  router.add("GET", "/api/v1/system/dtus", "system.view", dtus);
  router.add("POST", "/api/v1/system/dtus/{dtu_id}/resolve-conflict", "system.edit",
             resolve_conflict);
  router.add("GET", "/api/v1/system/concentrators", "system.view", concentrators);
  router.add("GET", "/api/v1/system/audit", "audit.view", audit_log);
}

}  // namespace heatlink::master::api
