// Signing in and out, the signed-in user, their password and API tokens.
#include "auth.h"
#include "router.h"

namespace heatlink::master::api {

namespace {

// Verified against when the user name is unknown, so that a wrong name takes as long as a
// wrong password.
const std::string& decoy_hash() {
  static const std::string hash = hash_password(random_token(16));
  return hash;
}

void audit_login(Call& call, const std::string& name, const std::string& action,
                 const std::string& why) {
  Json detail{{"peer", call.request.peer}};
  if (!why.empty()) detail["why"] = why;
  checked(call.db.query("INSERT INTO audit_log (at, actor, action, detail) VALUES (?, ?, ?, ?)",
                        {call.now(), name, action, detail.dump()}));
}

std::string cookie_header(const Call& call, const std::string& name, const std::string& value,
                          EpochSeconds max_age, bool http_only) {
  std::string header =
      name + "=" + value + "; Path=/; SameSite=Strict; Max-Age=" + std::to_string(max_age);
  if (http_only) header += "; HttpOnly";
  if (call.env.secure_cookies) header += "; Secure";
  return header;
}

Json me(Call& call, const Principal& who) {
  const auto rows =
      checked(call.db.query("SELECT display_name FROM app_user WHERE id = ?", {who.user_id}));
  Json permissions = Json::array();
  for (const auto& p : who.permissions) permissions.push_back(p);
  return Json{{"id", who.user_id},
              {"name", who.name},
              {"display_name", rows.rows.empty() ? "" : as_text(rows.rows[0][0])},
              {"permissions", permissions}};
}

Response login(Call& call, LoginThrottle& throttle) {
  const Json& body = call.body();
  const std::string name = required_text(body, "name", 64);
  const std::string password = required_text(body, "password", 128);
  const EpochSeconds now = call.now();
  // Signing in again with a live session of the name: the owner, whatever its address.
  const auto signed_in = authenticate(call.request, call.db, now);
  const bool owner = signed_in && signed_in->principal.name == name;
  if (const EpochSeconds wait = throttle.wait(name, call.request.peer, now, owner); wait > 0) {
    audit_login(call, name, "login refused", "throttled");
    Response r = json_response(Json{{"error",
                                     {{"code", "throttled"},
                                      {"message", "too many failed logins; try again in " +
                                                      std::to_string(wait) + " s"}}}},
                               429);
    r.headers.emplace_back("Retry-After", std::to_string(wait));
    return r;
  }
  if (!throttle.begin_check(name, call.request.peer, owner)) {
    Response r = json_response(
        Json{{"error", {{"code", "busy"}, {"message", "too many logins at once; try again"}}}},
        503);
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }
  struct Checked {
    LoginThrottle& t;
    ~Checked() { t.end_check(); }
  } checking{throttle};
  const auto rows = checked(
      call.db.query("SELECT id, password_hash, enabled FROM app_user WHERE name = ?", {name}));
  const bool known = !rows.rows.empty();
  const bool matches = password_matches(known ? as_text(rows.rows[0][1]) : decoy_hash(), password);
  if (!known || !matches || as_integer(rows.rows[0][2]) == 0) {
    throttle.failed(name, call.request.peer, now);
    audit_login(call, name, "login failed",
                !known ? "unknown user" : (!matches ? "wrong password" : "disabled"));
    refuse(401, "login_failed", "wrong user name or password");
  }
  throttle.succeeded(name, call.request.peer);
  Principal who;
  who.user_id = as_integer(rows.rows[0][0]);
  who.name = name;
  who.permissions = permissions_of(call.db, who.user_id);
  const std::string session = random_token(32);
  const std::string csrf = random_token(24);
  const EpochSeconds lifetime = call.env.session_lifetime_s;
  checked(call.db.query("DELETE FROM api_session WHERE expires_at <= ?", {now}));
  checked(call.db.query(
      "INSERT INTO api_session (token_hash, user_id, csrf_token, created_at, expires_at) "
      "VALUES (?, ?, ?, ?, ?)",
      {token_digest(session), who.user_id, csrf, now, now + lifetime}));
  audit_login(call, name, "login", "");
  Json out = me(call, who);
  out["csrf_token"] = csrf;
  out["expires_at"] = now + lifetime;
  Response r = json_response(out);
  r.headers.emplace_back("Set-Cookie",
                         cookie_header(call, kSessionCookie, session, lifetime, true));
  r.headers.emplace_back("Set-Cookie", cookie_header(call, kCsrfCookie, csrf, lifetime, false));
  return r;
}

Response logout(Call& call) {
  if (const auto session = cookie(call.request, kSessionCookie))
    checked(
        call.db.query("DELETE FROM api_session WHERE token_hash = ?", {token_digest(*session)}));
  Response r = json_response(Json{{"signed_out", true}});
  r.headers.emplace_back("Set-Cookie", cookie_header(call, kSessionCookie, "", 0, true));
  r.headers.emplace_back("Set-Cookie", cookie_header(call, kCsrfCookie, "", 0, false));
  return r;
}

Response change_password(Call& call) {
  const Json& body = call.body();
  const std::string old_password = required_text(body, "old_password", 128);
  const std::string new_password = required_text(body, "new_password", 128);
  check_password_rules(new_password, "new_password");
  const auto rows = checked(
      call.db.query("SELECT password_hash FROM app_user WHERE id = ?", {call.user.user_id}));
  if (rows.rows.empty() || !password_matches(as_text(rows.rows[0][0]), old_password))
    invalid("old_password", "does not match the current password");
  // Whoever knew the old password may hold a session or a token: they end, all but the
  // session this change came from.
  const auto current = cookie(call.request, kSessionCookie);
  const std::string keep = current && !call.user.by_token ? token_digest(*current) : "";
  std::int64_t sessions = 0, tokens = 0;
  if (auto e = call.db.in_transaction([&]() -> std::optional<StorageError> {
        checked(call.db.query("UPDATE app_user SET password_hash = ? WHERE id = ?",
                              {hash_password(new_password), call.user.user_id}));
        sessions =
            checked(call.db.query("DELETE FROM api_session WHERE user_id = ? AND token_hash <> ?",
                                  {call.user.user_id, keep}))
                .affected;
        tokens =
            checked(call.db.query("DELETE FROM api_token WHERE user_id = ?", {call.user.user_id}))
                .affected;
        return std::nullopt;
      }))
    storage_failed(*e);
  call.audit_detail = Json{{"sessions_ended", sessions}, {"tokens_revoked", tokens}};
  return json_response(
      Json{{"changed", true}, {"sessions_ended", sessions}, {"tokens_revoked", tokens}});
}

Response list_tokens(Call& call) {
  const auto rows = checked(call.db.query(
      "SELECT id, name, created_at, last_used_at, expires_at FROM api_token WHERE user_id = ? "
      "ORDER BY id",
      {call.user.user_id}));
  Json items = Json::array();
  for (const auto& row : rows.rows) {
    const auto used = as_optional_integer(row[3]);
    const auto expires = as_optional_integer(row[4]);
    items.push_back(Json{{"id", as_integer(row[0])},
                         {"name", as_text(row[1])},
                         {"created_at", as_integer(row[2])},
                         {"last_used_at", used ? Json(*used) : Json()},
                         {"expires_at", expires ? Json(*expires) : Json()},
                         {"expired", expires && *expires <= call.now()}});
  }
  return json_response(Json{{"items", items}});
}

Response create_token(Call& call) {
  const std::string name = required_text(call.body(), "name", 100);
  const auto days = optional_integer(call.body(), "expires_in_days").value_or(kTokenDays);
  if (days < 1 || days > kLongestTokenDays)
    invalid("expires_in_days", "expected 1 to " + std::to_string(kLongestTokenDays));
  const std::string token = kTokenPrefix + random_token(32);
  const EpochSeconds expires = call.now() + days * 86400;
  const std::int64_t id = checked(
      call.db.insert_id("INSERT INTO api_token (user_id, name, token_hash, created_at, expires_at) "
                        "VALUES (?, ?, ?, ?, ?)",
                        {call.user.user_id, name, token_digest(token), call.now(), expires}));
  call.audit_detail = Json{{"token_id", id}, {"name", name}, {"expires_at", expires}};
  return json_response(Json{{"id", id}, {"name", name}, {"token", token}, {"expires_at", expires}},
                       201);
}

Response delete_token(Call& call) {
  const auto done = checked(call.db.query("DELETE FROM api_token WHERE id = ? AND user_id = ?",
                                          {call.id(), call.user.user_id}));
  if (done.affected == 0) not_found("token " + std::to_string(call.id()));
  return json_response(Json{{"deleted", call.id()}});
}

}  // namespace

void add_auth_routes(Router& router, LoginThrottle& throttle) {
  router.add("POST", "/api/v1/auth/login", kPublic,
             [&throttle](Call& call) { return login(call, throttle); });
  router.add("POST", "/api/v1/auth/logout", kSignedIn, logout);
  router.add("GET", "/api/v1/auth/me", kSignedIn,
             [](Call& call) { return json_response(me(call, call.user)); });
  router.add("POST", "/api/v1/auth/password", kSignedIn, change_password);
  router.add("GET", "/api/v1/auth/tokens", kSignedIn, list_tokens);
  router.add("POST", "/api/v1/auth/tokens", kSignedIn, create_token);
  router.add("DELETE", "/api/v1/auth/tokens/{id}", kSignedIn, delete_token);
}

}  // namespace heatlink::master::api
