// Who may call the management API, on both storage backends, without sockets: credentials on
// every route, every route against every permission, the first administrator, password
// hashes, CSRF, session cookies, login throttling, hostile text, secrets kept out of the audit
// log, security headers.
#include <set>

#include "api_fixture.h"

namespace heatlink::test {
namespace {

class ApiAccessTest : public ApiTest {};

// A route's pattern with its {id} filled in: an id that exists nowhere, so that a permitted
// call finds nothing rather than changing something.
std::string target_of(const std::string& pattern) {
  std::string t = pattern;
  if (const auto at = t.find("{id}"); at != std::string::npos) t.replace(at, 4, "999999");
  return t;
}

std::pair<std::string, std::string> split(const std::string& route) {
  const auto space = route.find(' ');
  return {route.substr(0, space), route.substr(space + 1)};
}
TEST_P(ApiAccessTest, EveryRouteButThePublicOnesNeedsCredentials) {
  for (const auto& [route, permission] : api_->routes()) {
    const auto [method, pattern] = split(route);
    const Answer a = call(method, target_of(pattern), Json::object());
    if (permission == "public") {
      EXPECT_NE(a.status, 401) << route;
    } else {
      EXPECT_EQ(a.status, 401) << route;
      EXPECT_EQ(a.body["error"]["code"], "unauthenticated") << route;
    }
  }
  Credentials forged;
  forged.token = "hl_forged";
  EXPECT_EQ(call("GET", "/api/v1/auth/me", nullptr, forged).status, 401);
  forged = {};
  forged.session = "not-a-session";
  EXPECT_EQ(call("GET", "/api/v1/auth/me", nullptr, forged).status, 401);
}

// Each permission on its own, against every route: 403 exactly where the route needs another.
TEST_P(ApiAccessTest, EachPermissionOpensExactlyItsRoutes) {
  const Answer permissions = admin("GET", "/api/v1/permissions");
  ASSERT_EQ(permissions.status, 200);
  ASSERT_GE(permissions.body["items"].size(), 16u);
  for (const auto& p : permissions.body["items"]) {
    const std::string name = p["name"];
    std::string user = "u_" + name;
    for (char& c : user) c = c == '.' ? '_' : c;
    const Credentials who = user_with(user, {name});
    for (const auto& [route, needed] : api_->routes()) {
      if (needed == "public") continue;
      const auto [method, pattern] = split(route);
      if (pattern == "/api/v1/auth/logout") continue;  // signing out: the CSRF test's
      const Answer a = call(method, target_of(pattern), Json::object(), who);
      if (needed.empty() || needed == name) {
        EXPECT_NE(a.status, 403) << name << " -> " << route << ": " << a.raw.body;
        EXPECT_NE(a.status, 401) << name << " -> " << route;
      } else {
        EXPECT_EQ(a.status, 403) << name << " -> " << route << ": " << a.raw.body;
      }
    }
  }
}

TEST_P(ApiAccessTest, TheFirstStartCreatesAnAdministratorOnceAndThereIsNoDefaultPassword) {
  EXPECT_FALSE(ok(master::api::ensure_administrator(*storage_, kNow)).has_value());
  EXPECT_GE(admin_password_.size(), 16u);
  for (const char* guess : {"admin", "password", "123456", "heatlink"})
    EXPECT_EQ(
        call("POST", "/api/v1/auth/login", Json{{"name", "admin"}, {"password", guess}}).status,
        401);
  const Answer me = admin("GET", "/api/v1/auth/me");
  EXPECT_EQ(me.body["name"], "admin");
  EXPECT_EQ(me.body["permissions"].size(), 16u);
}

TEST_P(ApiAccessTest, APasswordIsStoredAsAnArgon2idHash) {
  const auto rows =
      ok(storage_->database().query("SELECT password_hash FROM app_user WHERE name = 'admin'", {}));
  const std::string hash = master::as_text(rows.rows.at(0).at(0));
  EXPECT_TRUE(hash.starts_with("$argon2id$")) << hash;
  EXPECT_EQ(hash.find(admin_password_), std::string::npos);
}

TEST_P(ApiAccessTest, ABrowserSessionMustCarryItsCsrfTokenToChangeAnything) {
  Credentials session = sign_in("admin", admin_password_);
  EXPECT_EQ(call("GET", "/api/v1/stations", nullptr, session).status, 200);
  Credentials without = session;
  without.csrf.clear();
  const Answer refused = call("POST", "/api/v1/stations", Json{{"name", "S2"}}, without);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.body["error"]["code"], "csrf");
  without.csrf = "wrong-token-of-the-same-length-xx";
  EXPECT_EQ(call("POST", "/api/v1/stations", Json{{"name", "S2"}}, without).status, 403);
  EXPECT_EQ(call("POST", "/api/v1/stations", Json{{"name", "S2"}}, session).status, 201);
  // Signing out ends the session.
  EXPECT_EQ(call("POST", "/api/v1/auth/logout", nullptr, session).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/stations", nullptr, session).status, 401);
}

// Whoever knew the old password is out once it changes: the user's other sessions end and
// their tokens are revoked (before, both kept working); the session that changed it stays.
TEST_P(ApiAccessTest, APasswordChangeEndsTheOtherSessionsAndRevokesTheTokens) {
  const std::string password = "pw-clerk-0123456789";
  const Answer user =
      admin("POST", "/api/v1/users", Json{{"name", "clerk"}, {"password", password}});
  ASSERT_EQ(user.status, 201) << user.raw.body;
  const Credentials here = sign_in("clerk", password);
  const Credentials elsewhere = sign_in("clerk", password);
  Credentials token;
  token.token = call("POST", "/api/v1/auth/tokens", Json{{"name", "script"}}, here).body["token"];
  ASSERT_EQ(call("GET", "/api/v1/auth/me", nullptr, token).status, 200);

  const Answer changed =
      call("POST", "/api/v1/auth/password",
           Json{{"old_password", password}, {"new_password", "a new password 42"}}, here);
  ASSERT_EQ(changed.status, 200) << changed.raw.body;
  EXPECT_EQ(changed.body["sessions_ended"], 1);
  EXPECT_EQ(changed.body["tokens_revoked"], 1);
  EXPECT_EQ(call("GET", "/api/v1/auth/me", nullptr, here).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/auth/me", nullptr, elsewhere).status, 401);
  EXPECT_EQ(call("GET", "/api/v1/auth/me", nullptr, token).status, 401);

  // An administrator setting the password does the same.
  Credentials again;
  again.token = call("POST", "/api/v1/auth/tokens", Json{{"name", "s2"}}, here).body["token"];
  const std::string id = std::to_string(user.body["id"].get<std::int64_t>());
  ASSERT_EQ(admin("PUT", "/api/v1/users/" + id, Json{{"password", "set by the admin 7"}}).status,
            200);
  EXPECT_EQ(call("GET", "/api/v1/auth/me", nullptr, again).status, 401);
  EXPECT_EQ(call("GET", "/api/v1/auth/me", nullptr, here).status, 401);
}

// A token ends: 90 days by default, as asked up to a year, and is then refused.
TEST_P(ApiAccessTest, AnApiTokenExpires) {
  const Credentials session = sign_in("admin", admin_password_);
  const Answer made =
      call("POST", "/api/v1/auth/tokens", Json{{"name", "week"}, {"expires_in_days", 7}}, session);
  ASSERT_EQ(made.status, 201) << made.raw.body;
  EXPECT_EQ(made.body["expires_at"], now_ + 7 * 86400);
  Credentials week;
  week.token = made.body["token"];
  EXPECT_EQ(call("GET", "/api/v1/auth/me", nullptr, week).status, 200);
  EXPECT_EQ(
      call("POST", "/api/v1/auth/tokens", Json{{"name", "x"}, {"expires_in_days", 400}}, session)
          .status,
      400);
  now_ += 7 * 86400;
  EXPECT_EQ(call("GET", "/api/v1/auth/me", nullptr, week).status, 401);
  EXPECT_EQ(admin("GET", "/api/v1/auth/me").status, 200) << "the fixture's 90-day token";
  now_ += 83 * 86400;
  EXPECT_EQ(admin("GET", "/api/v1/auth/me").status, 401);
}

TEST_P(ApiAccessTest, TheSessionCookieIsHttpOnlyAndStrict) {
  const Answer a =
      call("POST", "/api/v1/auth/login", Json{{"name", "admin"}, {"password", admin_password_}});
  ASSERT_EQ(a.status, 200);
  bool found = false;
  for (const auto& [name, value] : a.raw.headers) {
    if (name != "Set-Cookie" || !value.starts_with("heatlink_session=")) continue;
    found = true;
    EXPECT_NE(value.find("HttpOnly"), std::string::npos);
    EXPECT_NE(value.find("SameSite=Strict"), std::string::npos);
  }
  EXPECT_TRUE(found);
}

TEST_P(ApiAccessTest, LoginsAreThrottledPerUserAndAudited) {
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(
        call("POST", "/api/v1/auth/login", Json{{"name", "admin"}, {"password", "wrong"}}).status,
        401);
  // Now even the right password waits.
  const Answer throttled =
      call("POST", "/api/v1/auth/login", Json{{"name", "admin"}, {"password", admin_password_}});
  EXPECT_EQ(throttled.status, 429);
  EXPECT_FALSE(throttled.header("Retry-After").empty());
  // From another address too: the user name is throttled, not only the address.
  EXPECT_EQ(
      call("POST", "/api/v1/auth/login", Json{{"name", "admin"}, {"password", admin_password_}},
           std::nullopt, "", "198.51.100.7")
          .status,
      429);
  now_ += 901;
  EXPECT_EQ(
      call("POST", "/api/v1/auth/login", Json{{"name", "admin"}, {"password", admin_password_}})
          .status,
      200);
  const Answer audit = admin("GET", "/api/v1/system/audit?actor=admin&page_size=500");
  std::size_t failed = 0, refused = 0;
  for (const auto& entry : audit.body["items"]) {
    if (entry["action"] == "login failed") ++failed;
    if (entry["action"] == "login refused") ++refused;
  }
  EXPECT_EQ(failed, 5u);
  EXPECT_EQ(refused, 2u);
}

// A spray - the admin's name tried from 400 addresses - slows the sprayers and does not lock
// the owner out: the right password works from the address the owner signed in from (before,
// anyone could lock any user out for 15 minutes), and from a new address after a backoff.
TEST_P(ApiAccessTest, ASprayFromManyAddressesSlowsTheSprayersAndNeverLocksTheOwnerOut) {
  const Json wrong{{"name", "admin"}, {"password", "wrong password"}};
  std::size_t refused = 0;
  for (int i = 0; i < 400; ++i) {
    const std::string peer = "198.18." + std::to_string(i / 200) + "." + std::to_string(i % 200);
    const int status = call("POST", "/api/v1/auth/login", wrong, std::nullopt, "", peer).status;
    EXPECT_TRUE(status == 401 || status == 429) << status;
    if (status == 429) ++refused;
  }
  EXPECT_GT(refused, 390u) << "the account is slowed for strangers";
  const Json right{{"name", "admin"}, {"password", admin_password_}};
  // The fixture signed in from 192.0.2.1, the owner's address.
  EXPECT_EQ(call("POST", "/api/v1/auth/login", right).status, 200);
  // The owner with a live session, signing in again from an address of the day: let in.
  const Credentials session = sign_in("admin", admin_password_);
  EXPECT_EQ(call("POST", "/api/v1/auth/login", right, Credentials{"", session.session, ""}, "",
                 "203.0.113.10")
                .status,
            200);
  const Answer stranger =
      call("POST", "/api/v1/auth/login", right, std::nullopt, "", "203.0.113.9");
  EXPECT_EQ(stranger.status, 429);
  const int wait = std::stoi(stranger.header("Retry-After"));
  EXPECT_GT(wait, 0);
  EXPECT_LE(wait, 900) << "slowed, never longer than the window";
  EXPECT_EQ(call("GET", "/api/v1/health").status, 200);
}

TEST_P(ApiAccessTest, HostileTextIsOnlyEverData) {
  const std::string hostile = "x'); DROP TABLE meter; --";
  const Answer created = admin("POST", "/api/v1/stations", Json{{"name", hostile}});
  ASSERT_EQ(created.status, 201);
  EXPECT_EQ(created.body["name"], hostile);
  for (const std::string query :
       {"q=%25'%20OR%201%3D1%20--", "vendor=KAM'%20OR%20'1'%3D'1", "q=_", "q=%25"}) {
    const Answer a = admin("GET", "/api/v1/monitoring/meters?" + query);
    EXPECT_EQ(a.status, 200) << query;
    EXPECT_EQ(a.body["total"], 0) << query;
  }
  const Answer stations = admin("GET", "/api/v1/stations?q=DROP%20TABLE");
  EXPECT_EQ(stations.body["total"], 1);
  EXPECT_EQ(ok(storage_->count_meters()), 3);
}

TEST_P(ApiAccessTest, SecretsNeverReachTheAuditLog) {
  ASSERT_EQ(admin("POST", "/api/v1/users",
                  Json{{"name", "operator"}, {"password", "a-secret-password-1"}})
                .status,
            201);
  const Answer audit = admin("GET", "/api/v1/system/audit");
  EXPECT_EQ(audit.raw.body.find("a-secret-password-1"), std::string::npos);
  EXPECT_EQ(audit.raw.body.find(admin_.token), std::string::npos);
}

TEST_P(ApiAccessTest, EveryAnswerCarriesTheSecurityHeaders) {
  for (const auto* target : {"/api/v1/stations", "/api/v1/nothing", "/metrics"}) {
    const Answer a = admin("GET", target);
    EXPECT_EQ(a.header("X-Content-Type-Options"), "nosniff") << target;
    EXPECT_EQ(a.header("X-Frame-Options"), "DENY") << target;
    EXPECT_NE(a.header("Content-Security-Policy").find("frame-ancestors 'none'"),
              std::string::npos);
    EXPECT_EQ(a.header("Cache-Control"), "no-store");
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiAccessTest, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace heatlink::test
