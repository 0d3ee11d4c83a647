#include "auth.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace heatlink::master::api {

namespace {

constexpr PermissionInfo kPermissions[] = {
    {"monitor.view", "real-time monitoring of meters"},
    {"stats.view", "history, consumption, roll-ups, failure rates"},
    {"stats.export", "CSV and XLSX exports"},
    {"faults.view", "fault events and fault rules"},
    {"rules.edit", "create, change and delete fault rules"},
    {"reading.manual", "manual reads and their progress"},
    {"reading.reconcile", "reconciliation: gaps, building against households"},
    {"reading.settings", "reading schedules and retries"},
    {"base.view", "base information: stations to meters"},
    {"base.edit", "create, change and delete base information"},
    {"base.import", "import base information from CSV or XLSX"},
    {"valve.command", "open and close valves"},
    {"users.manage", "users, roles and permissions"},
    {"system.view", "system parameters, DTU and concentrator status"},
    {"system.edit", "change system parameters"},
    {"audit.view", "the audit log"},
};

}  // namespace

int sodium_init_once() {
  static const int ready = sodium_init();
  return ready;
}

std::span<const PermissionInfo> all_permissions() {
  return kPermissions;
}

bool is_permission(const std::string& name) {
  for (const auto& p : kPermissions)
    if (name == p.name) return true;
  return false;
}

std::string hash_password(const std::string& password) {
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str(out.data(), password.data(), password.size(),
                        crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    refuse(503, "busy", "not enough memory to hash a password now; try again");
  return out.data();
}

bool password_matches(const std::string& hash, const std::string& password) {
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

void check_password_rules(const std::string& password, const std::string& field) {
  if (password.size() < 10 || password.size() > 128)
    invalid(field, "a password has 10 to 128 characters");
}

std::string random_token(std::size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string out(sodium_base64_ENCODED_LEN(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                    raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.find('\0'));
  return out;
}

std::string token_digest(const std::string& token) {
  std::array<unsigned char, 32> digest{};
  crypto_generichash(digest.data(), digest.size(),
                     reinterpret_cast<const unsigned char*>(token.data()), token.size(), nullptr,
                     0);
  std::array<char, 65> hex{};
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  return hex.data();
}

std::optional<std::string> cookie(const Request& request, const std::string& name) {
  const auto header = request.headers.find("cookie");
  if (header == request.headers.end()) return std::nullopt;
  const std::string& text = header->second;
  std::size_t at = 0;
  while (at < text.size()) {
    while (at < text.size() && (text[at] == ' ' || text[at] == ';')) ++at;
    const std::size_t end = std::min(text.find(';', at), text.size());
    const std::size_t eq = text.find('=', at);
    if (eq < end && text.compare(at, eq - at, name) == 0 && eq - at == name.size())
      return text.substr(eq + 1, end - eq - 1);
    at = end;
  }
  return std::nullopt;
}

std::set<std::string> permissions_of(SqlDatabase& db, std::int64_t user_id) {
  const auto rows =
      checked(db.query("SELECT DISTINCT rp.permission FROM user_role ur JOIN role_permission rp "
                       "ON rp.role_id = ur.role_id WHERE ur.user_id = ?",
                       {user_id}));
  std::set<std::string> out;
  for (const auto& row : rows.rows) out.insert(as_text(row[0]));
  return out;
}

namespace {

bool changes_something(const std::string& method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

std::optional<Caller> by_token(const std::string& token, SqlDatabase& db, EpochSeconds now) {
  const auto rows = checked(
      db.query("SELECT t.id, u.id, u.name FROM api_token t JOIN app_user u ON u.id = t.user_id "
               "WHERE t.token_hash = ? AND u.enabled = 1 AND (t.expires_at IS NULL OR "
               "t.expires_at > ?)",
               {token_digest(token), now}));
  if (rows.rows.empty()) return std::nullopt;
  const auto& row = rows.rows.front();
  checked(
      db.query("UPDATE api_token SET last_used_at = ? WHERE id = ?", {now, as_integer(row[0])}));
  Caller caller;
  caller.principal.user_id = as_integer(row[1]);
  caller.principal.name = as_text(row[2]);
  caller.principal.by_token = true;
  return caller;
}

std::optional<Caller> by_session(const Request& request, const std::string& session,
                                 SqlDatabase& db, EpochSeconds now) {
  const auto rows = checked(db.query(
      "SELECT u.id, u.name, s.csrf_token FROM api_session s JOIN app_user u ON u.id = s.user_id "
      "WHERE s.token_hash = ? AND s.expires_at > ? AND u.enabled = 1",
      {token_digest(session), now}));
  if (rows.rows.empty()) return std::nullopt;
  const auto& row = rows.rows.front();
  Caller caller;
  caller.principal.user_id = as_integer(row[0]);
  caller.principal.name = as_text(row[1]);
  if (changes_something(request.method)) {
    const auto header = request.headers.find(kCsrfHeader);
    const std::string expected = as_text(row[2]);
    caller.csrf_ok = header != request.headers.end() && header->second.size() == expected.size() &&
                     sodium_memcmp(header->second.data(), expected.data(), expected.size()) == 0;
  }
  return caller;
}

}  // namespace

std::optional<Caller> authenticate(const Request& request, SqlDatabase& db, EpochSeconds now) {
  std::optional<Caller> caller;
  const auto authorization = request.headers.find("authorization");
  if (authorization != request.headers.end()) {
    const std::string& value = authorization->second;
    if (!value.starts_with("Bearer ")) return std::nullopt;
    caller = by_token(value.substr(7), db, now);
  } else if (const auto session = cookie(request, kSessionCookie)) {
    caller = by_session(request, *session, db, now);
  }
  if (caller) caller->principal.permissions = permissions_of(db, caller->principal.user_id);
  return caller;
}

std::size_t LoginThrottle::recent(const std::string& key, EpochSeconds now) {
  const auto found = failures_.find(key);
  if (found == failures_.end()) return 0;
  Failures& times = found->second;
  while (!times.empty() && times.front() + window_s_ <= now) times.pop_front();
  if (times.empty()) {
    failures_.erase(found);
    return 0;
  }
  return times.size();
}

bool LoginThrottle::trusted(const std::string& name, const std::string& peer) const {
  const auto addresses = trusted_.find(name);
  return addresses != trusted_.end() &&
         std::find(addresses->second.begin(), addresses->second.end(), peer) !=
             addresses->second.end();
}

EpochSeconds LoginThrottle::wait(const std::string& name, const std::string& peer, EpochSeconds now,
                                 bool known) {
  std::lock_guard lock(mutex_);
  EpochSeconds wait = 0;
  if (recent("peer:" + peer, now) >= allowed_)
    wait = failures_["peer:" + peer].front() + window_s_ - now;
  if (known || trusted(name, peer)) return std::max<EpochSeconds>(wait, 0);
  if (const std::size_t n = recent("user:" + name, now); n >= allowed_) {
    const std::size_t beyond = std::min<std::size_t>(n - allowed_, 20);
    const EpochSeconds backoff = std::min<EpochSeconds>(EpochSeconds{1} << beyond, window_s_);
    wait = std::max(wait, failures_["user:" + name].back() + backoff - now);
  }
  return std::max<EpochSeconds>(wait, 0);
}

bool LoginThrottle::begin_check(const std::string& name, const std::string& peer, bool known) {
  bool owner = known;
  if (!owner) {
    std::lock_guard lock(mutex_);
    owner = trusted(name, peer);
  }
  const unsigned places = concurrent_ + (owner ? 1 : 0);
  unsigned busy = checking_.load();
  do {
    if (busy >= places) return false;
  } while (!checking_.compare_exchange_weak(busy, busy + 1));
  return true;
}

void LoginThrottle::end_check() {
  --checking_;
}

void LoginThrottle::failed(const std::string& name, const std::string& peer, EpochSeconds now) {
  std::lock_guard lock(mutex_);
  // Bounded: an attacker cycling names or addresses fills at most this many entries.
  if (failures_.size() > 100'000) failures_.clear();
  failures_["user:" + name].push_back(now);
  failures_["peer:" + peer].push_back(now);
}

void LoginThrottle::succeeded(const std::string& name, const std::string& peer) {
  std::lock_guard lock(mutex_);
  // The name's failures stay: they may be a spray that goes on (they age out of the window).
  if (trusted_.size() > 100'000) trusted_.clear();
  auto& trusted = trusted_[name];
  if (std::find(trusted.begin(), trusted.end(), peer) != trusted.end()) return;
  trusted.push_back(peer);
  if (trusted.size() > 16) trusted.pop_front();  // the addresses of late
}

}  // namespace heatlink::master::api
