// 系统设置 System settings: custom fault rules, users, roles and their permissions, system
// parameters, DTU and concentrator status from the gateway, and the audit log.
#include "auth.h"
#include "conditions.h"
#include "heatlink/master/fault_rules.h"
#include "router.h"

namespace heatlink::master::api {

namespace {

// Deletes the record `before` shows from `table` (the call's id); the audit log keeps it.
Response deleted(Call& call, const std::string& table, Json before) {
  checked(call.db.query("DELETE FROM " + table + " WHERE id = ?", {call.id()}));
  call.audit_detail = Json{{"deleted", std::move(before)}};
  return json_response(Json{{"deleted", call.id()}});
}

// A record changed: the audit log keeps both sides.
Response changed(Call& call, Json before, const Json& after) {
  call.audit_detail = Json{{"before", std::move(before)}, {"after", after}};
  return json_response(after);
}

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

template <class T>
T unique_write(StorageResult<T> result, const std::string& what) {
  if (auto* e = std::get_if<StorageError>(&result)) {
    if (e->message.find("UNIQUE") != std::string::npos ||
        e->message.find("duplicate key") != std::string::npos)
      refuse(409, "conflict", what + " exists already", "name");
    storage_failed(*e);
  }
  return std::move(std::get<T>(result));
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

// ---- roles and users

Json role_json(Call& call, const SqlRow& row) {
  const auto permissions = checked(
      call.db.query("SELECT permission FROM role_permission WHERE role_id = ? ORDER BY permission",
                    {as_integer(row[0])}));
  Json list = Json::array();
  for (const auto& p : permissions.rows) list.push_back(as_text(p[0]));
  return Json{{"id", as_integer(row[0])},
              {"name", as_text(row[1])},
              {"description", as_text(row[2])},
              {"permissions", list}};
}

Json one_role(Call& call, std::int64_t id) {
  const auto rows =
      checked(call.db.query("SELECT id, name, description FROM role WHERE id = ?", {id}));
  if (rows.rows.empty()) not_found("role " + std::to_string(id));
  return role_json(call, rows.rows.front());
}

std::vector<std::string> permission_list(const Json& body) {
  const auto found = body.find("permissions");
  if (found == body.end() || !found->is_array()) invalid("permissions", "expected a list");
  std::vector<std::string> out;
  for (const auto& p : *found) {
    if (!p.is_string() || !is_permission(p.get<std::string>()))
      invalid("permissions", "not a permission: " + p.dump() + " (see GET /api/v1/permissions)");
    out.push_back(p.get<std::string>());
  }
  return out;
}

void set_permissions(Call& call, std::int64_t role, const std::vector<std::string>& permissions) {
  checked(call.db.query("DELETE FROM role_permission WHERE role_id = ?", {role}));
  for (const auto& p : permissions)
    checked(call.db.query("INSERT INTO role_permission (role_id, permission) VALUES (?, ?)",
                          {role, p}));
}

Response list_roles(Call& call) {
  const auto rows =
      checked(call.db.query("SELECT id, name, description FROM role ORDER BY id", {}));
  Json items = Json::array();
  for (const auto& row : rows.rows) items.push_back(role_json(call, row));
  return json_response(Json{{"items", items}});
}

Response create_role(Call& call) {
  const Json& body = call.body();
  const std::string name = required_text(body, "name", 60);
  const std::string description = optional_text(body, "description", 200).value_or("");
  const auto permissions = permission_list(body);
  std::int64_t id = 0;
  if (auto e = call.db.in_transaction([&]() -> std::optional<StorageError> {
        id = unique_write(call.db.insert_id("INSERT INTO role (name, description) VALUES (?, ?)",
                                            {name, description}),
                          "a role named " + name);
        set_permissions(call, id, permissions);
        return std::nullopt;
      }))
    storage_failed(*e);
  return json_response(one_role(call, id), 201);
}

Response update_role(Call& call) {
  const std::int64_t id = call.id();
  const Json before = one_role(call, id);
  const Json& body = call.body();
  const std::string name = optional_text(body, "name", 60).value_or(before["name"]);
  const std::string description =
      optional_text(body, "description", 200).value_or(before["description"]);
  const bool new_permissions = body.contains("permissions");
  const auto permissions = new_permissions ? permission_list(body) : std::vector<std::string>{};
  if (auto e = call.db.in_transaction([&]() -> std::optional<StorageError> {
        unique_write(call.db.query("UPDATE role SET name = ?, description = ? WHERE id = ?",
                                   {name, description, id}),
                     "a role named " + name);
        if (new_permissions) set_permissions(call, id, permissions);
        return std::nullopt;
      }))
    storage_failed(*e);
  return changed(call, before, one_role(call, id));
}

Response delete_role(Call& call) {
  return deleted(call, "role", one_role(call, call.id()));
}

Json user_json(Call& call, const SqlRow& row) {
  const auto roles = checked(
      call.db.query("SELECT r.id, r.name FROM user_role ur JOIN role r ON r.id = ur.role_id "
                    "WHERE ur.user_id = ? ORDER BY r.id",
                    {as_integer(row[0])}));
  Json list = Json::array();
  for (const auto& r : roles.rows)
    list.push_back(Json{{"id", as_integer(r[0])}, {"name", as_text(r[1])}});
  return Json{{"id", as_integer(row[0])},         {"name", as_text(row[1])},
              {"display_name", as_text(row[2])},  {"enabled", as_integer(row[3]) != 0},
              {"created_at", as_integer(row[4])}, {"roles", list}};
}

constexpr const char* kUserColumns = "id, name, display_name, enabled, created_at";

Json one_user(Call& call, std::int64_t id) {
  const auto rows = checked(
      call.db.query(std::string("SELECT ") + kUserColumns + " FROM app_user WHERE id = ?", {id}));
  if (rows.rows.empty()) not_found("user " + std::to_string(id));
  return user_json(call, rows.rows.front());
}

std::vector<std::int64_t> role_ids(Call& call, const Json& body) {
  const auto found = body.find("roles");
  if (found == body.end() || !found->is_array()) invalid("roles", "expected a list of role ids");
  std::vector<std::int64_t> out;
  for (const auto& r : *found) {
    if (!r.is_number_integer()) invalid("roles", "expected role ids");
    const auto exists =
        checked(call.db.query("SELECT 1 FROM role WHERE id = ?", {r.get<std::int64_t>()}));
    if (exists.rows.empty()) invalid("roles", "no role with id " + r.dump());
    out.push_back(r.get<std::int64_t>());
  }
  return out;
}

void set_roles(Call& call, std::int64_t user, const std::vector<std::int64_t>& roles) {
  checked(call.db.query("DELETE FROM user_role WHERE user_id = ?", {user}));
  for (const auto role : roles)
    checked(call.db.query("INSERT INTO user_role (user_id, role_id) VALUES (?, ?)", {user, role}));
}

Response list_users(Call& call) {
  const auto rows = checked(
      call.db.query(std::string("SELECT ") + kUserColumns + " FROM app_user ORDER BY id", {}));
  Json items = Json::array();
  for (const auto& row : rows.rows) items.push_back(user_json(call, row));
  return json_response(Json{{"items", items}});
}

Response create_user(Call& call) {
  const Json& body = call.body();
  const std::string name = required_text(body, "name", 64);
  const std::string password = required_text(body, "password", 128);
  check_password_rules(password, "password");
  const std::string display = optional_text(body, "display_name", 100).value_or("");
  const bool enabled = optional_flag(body, "enabled").value_or(true);
  const auto roles = body.contains("roles") ? role_ids(call, body) : std::vector<std::int64_t>{};
  const std::string hash = hash_password(password);
  std::int64_t id = 0;
  if (auto e = call.db.in_transaction([&]() -> std::optional<StorageError> {
        id = unique_write(
            call.db.insert_id("INSERT INTO app_user (name, display_name, "
                              "password_hash, enabled, created_at) VALUES "
                              "(?, ?, ?, ?, ?)",
                              {name, display, hash, std::int64_t{enabled ? 1 : 0}, call.now()}),
            "a user named " + name);
        set_roles(call, id, roles);
        return std::nullopt;
      }))
    storage_failed(*e);
  return json_response(one_user(call, id), 201);
}

Response update_user(Call& call) {
  const std::int64_t id = call.id();
  const Json before = one_user(call, id);
  const Json& body = call.body();
  for (const auto& [key, v] : body.items())
    if (key != "display_name" && key != "enabled" && key != "roles" && key != "password")
      invalid(key, "not a field a user's update changes");
  const std::string display =
      optional_text(body, "display_name", 100).value_or(before["display_name"]);
  const bool enabled = optional_flag(body, "enabled").value_or(before["enabled"].get<bool>());
  if (id == call.user.user_id && !enabled) invalid("enabled", "you cannot disable yourself");
  const bool new_roles = body.contains("roles");
  const auto roles = new_roles ? role_ids(call, body) : std::vector<std::int64_t>{};
  std::optional<std::string> hash;
  if (const auto password = optional_text(body, "password", 128)) {
    check_password_rules(*password, "password");
    hash = hash_password(*password);
  }
  if (auto e = call.db.in_transaction([&]() -> std::optional<StorageError> {
        checked(call.db.query("UPDATE app_user SET display_name = ?, enabled = ? WHERE id = ?",
                              {display, std::int64_t{enabled ? 1 : 0}, id}));
        if (hash) {
          checked(call.db.query("UPDATE app_user SET password_hash = ? WHERE id = ?", {*hash, id}));
          checked(call.db.query("DELETE FROM api_session WHERE user_id = ?", {id}));
        }
        if (!enabled) checked(call.db.query("DELETE FROM api_session WHERE user_id = ?", {id}));
        if (new_roles) set_roles(call, id, roles);
        return std::nullopt;
      }))
    storage_failed(*e);
  const Json after = one_user(call, id);
  call.audit_detail =
      Json{{"before", before}, {"after", after}, {"password_changed", hash.has_value()}};
  return json_response(after);
}

Response delete_user(Call& call) {
  const std::int64_t id = call.id();
  if (id == call.user.user_id) refuse(409, "conflict", "you cannot delete yourself");
  return deleted(call, "app_user", one_user(call, id));
}

Response list_permissions(Call&) {
  Json items = Json::array();
  for (const auto& p : all_permissions())
    items.push_back(Json{{"name", p.name}, {"allows", p.allows}});
  return json_response(Json{{"items", items}});
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

Response dtus(Call& call) {
  Json items = Json::array();
  std::map<std::string, DtuState> live;
  if (call.env.dtus)
    for (auto& d : call.env.dtus()) live[d.id] = d;
  const auto concentrators = checked(call.db.query(
      "SELECT dtu_id, count(*) FROM concentrator WHERE dtu_id <> '' GROUP BY dtu_id", {}));
  std::map<std::string, std::int64_t> served;
  for (const auto& row : concentrators.rows) served[as_text(row[0])] = as_integer(row[1]);
  for (const auto& [id, count] : served)
    if (!live.contains(id)) live[id].id = id;
  for (const auto& [id, d] : live) {
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
             {"concentrators", served.contains(id) ? served[id] : 0}});
  }
  return json_response(Json{{"items", items}});
}

Response concentrators(Call& call) {
  std::map<std::string, bool> online;
  if (call.env.dtus)
    for (const auto& d : call.env.dtus()) online[d.id] = d.online;
  const auto rows = checked(call.db.query(
      "SELECT c.id, c.name, c.dtu_id, c.mode, (SELECT count(*) FROM meter m WHERE "
      "m.concentrator_id = c.id), k.finished_at, k.read, k.failed, k.master FROM concentrator c "
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
                  {"master", as_text(row[8])}};
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
  router.add("GET", "/api/v1/roles", "users.manage", list_roles);
  router.add("POST", "/api/v1/roles", "users.manage", create_role);
  router.add("GET", "/api/v1/roles/{id}", "users.manage",
             [](Call& c) { return json_response(one_role(c, c.id())); });
  router.add("PUT", "/api/v1/roles/{id}", "users.manage", update_role);
  router.add("DELETE", "/api/v1/roles/{id}", "users.manage", delete_role);
  router.add("GET", "/api/v1/users", "users.manage", list_users);
  router.add("POST", "/api/v1/users", "users.manage", create_user);
  router.add("GET", "/api/v1/users/{id}", "users.manage",
             [](Call& c) { return json_response(one_user(c, c.id())); });
  router.add("PUT", "/api/v1/users/{id}", "users.manage", update_user);
  router.add("DELETE", "/api/v1/users/{id}", "users.manage", delete_user);
  router.add("GET", "/api/v1/permissions", "users.manage", list_permissions);
  router.add("GET", "/api/v1/system/parameters", "system.view", get_parameters);
  router.add("PUT", "/api/v1/system/parameters", "system.edit", put_parameters);
  router.add("GET", "/api/v1/system/dtus", "system.view", dtus);
  router.add("GET", "/api/v1/system/concentrators", "system.view", concentrators);
  router.add("GET", "/api/v1/system/audit", "audit.view", audit_log);
}

}  // namespace heatlink::master::api
