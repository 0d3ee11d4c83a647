// The management system's REST API (docs/api.md): JSON under /api/v1, the OpenAPI document at
// /api/openapi.json, Prometheus text at /metrics. Every function of the browser UI is here
// (DESIGN.md rule 5).
//
// Api::handle() is the whole API as one plain function of a request - route table,
// authentication, the route's permission, the handler, the audit log, security headers - so
// tests call it without sockets; ApiServer (api_server.h) puts it on HTTP.
//
// Thread-safe: handle() may run on several threads at once, each with its own Storage.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "heatlink/master/analysis/consumption.h"
#include "heatlink/master/gateway/dtu_registry.h"
#include "heatlink/master/storage/storage.h"

namespace heatlink::master::api {

struct Request {
  std::string method;                          // "GET", "POST", ...
  std::string target;                          // path and query: "/api/v1/monitoring/meters?page=2"
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string peer;  // the client's address: login throttling, the audit log
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // beyond the content type
};

// The meters whose readings this master stored lately, so that an open monitoring page
// updates as readings are stored, not when a whole cycle ends. Bounded: the newest `limit`.
class RecentlyStored {
 public:
  explicit RecentlyStored(std::size_t limit = 100'000) : limit_(limit) {}
  void add(EpochSeconds at, std::span<const std::int64_t> meters);
  // The meters stored at or after `since` (each once); none when the list no longer reaches
  // back that far (the caller looks elsewhere).
  std::optional<std::vector<std::int64_t>> since(EpochSeconds since) const;

 private:
  std::size_t limit_;
  mutable std::mutex mutex_;
  std::deque<std::pair<EpochSeconds, std::int64_t>> entries_;
  EpochSeconds forgotten_up_to_ = 0;  // entries up to this time were dropped
};

// What the master counts for /metrics, updated by the dispatcher's thread.
struct MasterCounters {
  std::atomic<std::uint64_t> cycles{0};
  std::atomic<std::uint64_t> meters_read{0};
  std::atomic<std::uint64_t> cycle_overruns{0};         // scheduled cycles past their slot
  std::atomic<std::uint64_t> cycle_overrun_seconds{0};  // by how much, added up
  std::atomic<std::uint64_t> slots_missed{0};           // slots that ended without their cycle
  std::atomic<std::uint64_t> meters_read_late{0};       // read after their cycle's slot ended
  std::atomic<std::uint64_t> read_failures{0};
  std::atomic<std::uint64_t> readings_stored{0};
  // The database refusing the readings meters gave (a full disk): /health says so.
  std::atomic<std::uint64_t> readings_unstored{0};
  std::atomic<EpochSeconds> last_stored_at{0};        // 0: nothing stored since the start
  std::atomic<EpochSeconds> last_store_failed_at{0};  // 0: no store failed since the start
  RecentlyStored recently_stored;
};

// The running master as the API sees it; members may be left empty (tests, a database-only
// API). All of them are called from the API's threads.
struct Environment {
  std::function<EpochSeconds()> now;            // the master's clock; empty: wall
  std::function<std::vector<DtuState>()> dtus;  // the gateway's DTUs
  // An operator's answer to a DTU ID two devices claim: false when it is not in conflict.
  std::function<bool(const std::string& dtu_id)> resolve_dtu_conflict;
  std::function<std::string()> reading_settings;  // schedules and retries, as JSON
  const MasterCounters* counters = nullptr;
  std::string version = "dev";
  EpochSeconds session_lifetime_s = 12 * 3600;
  unsigned login_failures_allowed = 5;    // per user name and per address ...
  EpochSeconds login_window_s = 15 * 60;  // ... in this window, then 429 until it passes
  unsigned login_concurrency = 2;         // password checks at once (each costs a core a while)
  bool secure_cookies = false;            // add `Secure` (the master is behind HTTPS)
  ConsumptionOptions consumption;         // how figures are settled again after a replacement
};

class Api {
 public:
  explicit Api(Environment environment);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  // Answers one request with `storage` (the calling thread's). Never throws.
  Response handle(const Request& request, Storage& storage);

  // Every route: "GET /api/v1/meters/{id}" -> its permission ("" any signed-in user,
  // "public" nobody signed in). The OpenAPI test compares this with the document.
  std::vector<std::pair<std::string, std::string>> routes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The first start: when the database has no user, creates `admin` with every permission and
// a generated password, returned to be shown once. Empty when users exist.
StorageResult<std::optional<std::string>> ensure_administrator(Storage& storage, EpochSeconds now);

// An API token of the user `user` named `token_name`, for a tool on the master's machine
// that acts through the API as that user (the bench's timeline): the token, shown this once.
StorageResult<std::string> issue_token(Storage& storage, const std::string& user,
                                       const std::string& token_name, EpochSeconds now);

}  // namespace heatlink::master::api
