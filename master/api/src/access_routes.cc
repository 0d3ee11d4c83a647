// 系统设置 Users, roles and their permissions: the administrator makes roles of any
// permissions and gives users roles (the seed: "the highest authority sets permissions").
#include "auth.h"
#include "record_changes.h"
#include "router.h"

namespace heatlink::master::api {

namespace {

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
          checked(call.db.query("DELETE FROM api_token WHERE user_id = ?", {id}));
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

}  // namespace

void add_access_routes(Router& router) {
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
}

}  // namespace heatlink::master::api
