// Who is calling: passwords (argon2id, libsodium), browser sessions with a CSRF token, API
// tokens for scripts, login throttling, and the closed set of permissions.
#pragma once

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include "call.h"

namespace heatlink::master::api {

// sodium_init(), once per process: 0 or 1 when ready, -1 when libsodium cannot start.
int sodium_init_once();

// Every permission a role can hold, with what it allows.
struct PermissionInfo {
  const char* name;
  const char* allows;
};
std::span<const PermissionInfo> all_permissions();
bool is_permission(const std::string& name);

// An argon2id hash in libsodium's string form ("$argon2id$v=19$m=65536,t=2,p=1$...").
std::string hash_password(const std::string& password);
bool password_matches(const std::string& hash, const std::string& password);
// 400 naming `field` unless the password is 10 to 128 characters.
void check_password_rules(const std::string& password, const std::string& field);

// `bytes` random bytes as URL-safe base64: session ids, CSRF and API tokens, passwords.
std::string random_token(std::size_t bytes);
// What is stored of a session id or API token: its BLAKE2b digest in hex.
std::string token_digest(const std::string& token);

inline constexpr const char* kSessionCookie = "heatlink_session";
inline constexpr const char* kCsrfCookie = "heatlink_csrf";
inline constexpr const char* kCsrfHeader = "x-csrf-token";
inline constexpr const char* kTokenPrefix = "hl_";
// An API token lasts this many days unless made for fewer (or more, up to the longest).
inline constexpr std::int64_t kTokenDays = 90;
inline constexpr std::int64_t kLongestTokenDays = 365;

// The caller of a request: from `Authorization: Bearer hl_...` or the session cookie. A
// cookie-authenticated request that changes something must carry the session's CSRF token in
// X-CSRF-Token; `csrf_ok` says whether it did (always true for tokens and reads).
struct Caller {
  Principal principal;
  bool csrf_ok = true;
};
std::optional<Caller> authenticate(const Request& request, SqlDatabase& db, EpochSeconds now);

std::set<std::string> permissions_of(SqlDatabase& db, std::int64_t user_id);

// A value of the Cookie header.
std::optional<std::string> cookie(const Request& request, const std::string& name);

// Failed logins per user name and per client address in a sliding window.
class LoginThrottle {
 public:
  LoginThrottle(unsigned allowed, EpochSeconds window_s, unsigned concurrent = 2)
      : allowed_(allowed), window_s_(window_s), concurrent_(std::max(1u, concurrent)) {}
  // Seconds to wait before trying again; 0: go ahead. An address that failed `allowed` times
  // in the window waits until the window has passed. A user name that failed that often waits
  // too, but only from addresses it never signed in from - with a backoff that doubles from a
  // second per failure beyond `allowed`, up to the window - so a spray from many addresses
  // slows the sprayers and never locks the owner out.
  // `known`: the caller holds a live session of the name (signing in again): it waits only
  // as its address does.
  EpochSeconds wait(const std::string& name, const std::string& peer, EpochSeconds now,
                    bool known = false);
  void failed(const std::string& name, const std::string& peer, EpochSeconds now);
  // The owner signed in from `peer`: the address is trusted for the name from now on.
  void succeeded(const std::string& name, const std::string& peer);
  // A password check costs tens of milliseconds of a core by design: at most `concurrent` run
  // at once, so that a flood of logins leaves the API's other threads to everyone else
  // (/health answered in seconds under a spray before). False: busy, answer 503. The owner -
  // from an address the name signed in from, or with a live session (`known`) - has a place
  // of its own beyond them, which a spray from elsewhere never takes.
  bool begin_check(const std::string& name, const std::string& peer, bool known = false);
  void end_check();

 private:
  using Failures = std::deque<EpochSeconds>;
  std::size_t recent(const std::string& key, EpochSeconds now);
  unsigned allowed_;
  EpochSeconds window_s_;
  unsigned concurrent_;
  std::atomic<unsigned> checking_{0};
  std::mutex mutex_;
  std::map<std::string, Failures> failures_;                // "user:NAME", "peer:ADDR"
  std::map<std::string, std::deque<std::string>> trusted_;  // name -> addresses signed in from
  bool trusted(const std::string& name, const std::string& peer) const;  // mutex_ held
};

}  // namespace heatlink::master::api
