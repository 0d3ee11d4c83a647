#include "auth.h"

namespace heatlink::master::api {

StorageResult<std::optional<std::string>> ensure_administrator(Storage& storage, EpochSeconds now) {
  if (sodium_init_once() < 0) return StorageError{"libsodium cannot start"};
  SqlDatabase& db = storage.database();
  std::optional<std::string> password;
  auto e = db.in_transaction([&]() -> std::optional<StorageError> {
    auto users = db.query("SELECT count(*) FROM app_user", {});
    if (auto* failed = std::get_if<StorageError>(&users)) return *failed;
    if (as_integer(std::get<SqlResult>(users).rows.at(0).at(0)) > 0) return std::nullopt;
    auto role = db.insert_id("INSERT INTO role (name, description) VALUES (?, ?)",
                             {std::string("administrator"), std::string("every permission")});
    if (auto* failed = std::get_if<StorageError>(&role)) return *failed;
    for (const auto& p : all_permissions()) {
      auto granted = db.query("INSERT INTO role_permission (role_id, permission) VALUES (?, ?)",
                              {std::get<std::int64_t>(role), std::string(p.name)});
      if (auto* failed = std::get_if<StorageError>(&granted)) return *failed;
    }
    password = random_token(12);
    auto user = db.insert_id(
        "INSERT INTO app_user (name, display_name, password_hash, enabled, created_at) "
        "VALUES (?, ?, ?, 1, ?)",
        {std::string("admin"), std::string("Administrator"), hash_password(*password), now});
    if (auto* failed = std::get_if<StorageError>(&user)) return *failed;
    auto member = db.query("INSERT INTO user_role (user_id, role_id) VALUES (?, ?)",
                           {std::get<std::int64_t>(user), std::get<std::int64_t>(role)});
    if (auto* failed = std::get_if<StorageError>(&member)) return *failed;
    return std::nullopt;
  });
  if (e) return *e;
  return password;
}

StorageResult<std::string> issue_token(Storage& storage, const std::string& user,
                                       const std::string& token_name, EpochSeconds now) {
  if (sodium_init_once() < 0) return StorageError{"libsodium cannot start"};
  SqlDatabase& db = storage.database();
  auto found = db.query("SELECT id FROM app_user WHERE name = ? AND enabled = 1", {user});
  if (auto* failed = std::get_if<StorageError>(&found)) return *failed;
  const auto& rows = std::get<SqlResult>(found).rows;
  if (rows.empty()) return StorageError{"no enabled user '" + user + "'"};
  const std::string token = kTokenPrefix + random_token(32);
  auto made = db.insert_id(
      "INSERT INTO api_token (user_id, name, token_hash, created_at, expires_at) "
      "VALUES (?, ?, ?, ?, ?)",
      {as_integer(rows[0][0]), token_name, token_digest(token), now, now + kTokenDays * 86400});
  if (auto* failed = std::get_if<StorageError>(&made)) return *failed;
  return token;
}

}  // namespace heatlink::master::api
