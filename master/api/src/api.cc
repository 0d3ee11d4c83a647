#include "heatlink/master/api/api.h"

#include <algorithm>
#include <iostream>
#include <mutex>

#include "auth.h"
#include "documents.h"
#include "router.h"

namespace heatlink::master::api {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX and '+' decoded; a broken escape stays as it is.
std::string url_decoded(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::map<std::string, std::string> query_of(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    const std::size_t end = std::min(query.find('&'), query.size());
    const std::string_view pair = query.substr(0, end);
    const std::size_t eq = pair.find('=');
    if (!pair.empty()) {
      out[url_decoded(pair.substr(0, eq))] =
          eq == std::string_view::npos ? "" : url_decoded(pair.substr(eq + 1));
    }
    query.remove_prefix(std::min(end + 1, query.size()));
  }
  return out;
}

Response problem_response(const Problem& p) {
  Json error{{"code", p.code}, {"message", p.message}};
  if (!p.field.empty()) error["field"] = p.field;
  return json_response(Json{{"error", error}}, p.status);
}

// What the audit log keeps of a body: everything but secrets.
Json audit_body(const std::string& body) {
  Json parsed = Json::parse(body, nullptr, false);
  if (parsed.is_discarded())
    return body.empty() ? Json() : Json("(" + std::to_string(body.size()) + " bytes)");
  if (parsed.is_object()) {
    for (const char* secret : {"password", "new_password", "old_password", "token"})
      if (parsed.contains(secret)) parsed[secret] = "***";
  }
  return parsed;
}

void add_security_headers(Response& r) {
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; frame-ancestors 'none'; base-uri 'none'");
  r.headers.emplace_back("Cache-Control", "no-store");
}

// Up and storing: the database answers, and the readings the meters gave were stored since
// the last time the database refused them (a full disk answers reads and refuses writes).
// Down or failing is 503 with the same body, which a load balancer and a person both read.
Response health(Call& call) {
  Json body{{"status", "ok"}, {"version", call.env.version}};
  bool failing = false;
  if (const MasterCounters* c = call.env.counters) {
    const EpochSeconds stored = c->last_stored_at, failed = c->last_store_failed_at;
    body["storage"] = {{"last_stored_at", stored == 0 ? Json() : Json(stored)},
                       {"last_store_failed_at", failed == 0 ? Json() : Json(failed)},
                       {"readings_unstored", c->readings_unstored.load()}};
    failing = failed != 0 && failed >= stored;
  }
  const auto answered = call.storage.schema_version();
  if (const auto* e = std::get_if<StorageError>(&answered)) {
    std::cerr << "heatlink master: API: health: the database failed: " << e->message << '\n';
    body["status"] = "storage_down";
    return json_response(body, 503);
  }
  if (failing) {
    body["status"] = "storage_failing";
    return json_response(body, 503);
  }
  return json_response(body);
}

}  // namespace

void RecentlyStored::add(EpochSeconds at, std::span<const std::int64_t> meters) {
  std::lock_guard lock(mutex_);
  for (const std::int64_t m : meters) entries_.emplace_back(at, m);
  while (entries_.size() > limit_) {
    forgotten_up_to_ = std::max(forgotten_up_to_, entries_.front().first);
    entries_.pop_front();
  }
}

std::optional<std::vector<std::int64_t>> RecentlyStored::since(EpochSeconds since) const {
  std::lock_guard lock(mutex_);
  if (since <= forgotten_up_to_) return std::nullopt;
  std::vector<std::int64_t> meters;
  for (auto e = entries_.rbegin(); e != entries_.rend() && e->first >= since; ++e)
    meters.push_back(e->second);
  std::sort(meters.begin(), meters.end());
  meters.erase(std::unique(meters.begin(), meters.end()), meters.end());
  return meters;
}

struct Api::Impl {
  explicit Impl(Environment e)
      : env(std::move(e)),
        throttle(env.login_failures_allowed, env.login_window_s, env.login_concurrency) {
    add_auth_routes(router, throttle);
    add_monitoring_routes(router);
    add_statistics_routes(router);
    add_reading_routes(router);
    add_reconciliation_routes(router);
    add_identity_routes(router);
    add_replacement_routes(router);
    add_base_routes(router);
    add_system_routes(router);
    add_access_routes(router);
    add_valve_routes(router);
    router.add("GET", "/api/openapi.json", kPublic,
               [](Call&) { return json_response(openapi_document()); });
    router.add("GET", "/api/v1/health", kPublic, [](Call& call) { return health(call); });
    router.add("GET", "/metrics", kPublic, [](Call& call) {
      Response r;
      r.content_type = "text/plain; version=0.0.4";
      r.body = metrics_text(call);
      return r;
    });
  }

  Response dispatch(const Request& request, Storage& storage) {
    const std::string_view target = request.target;
    const std::size_t question = target.find('?');
    const std::string path = url_decoded(target.substr(0, question));
    auto query = query_of(question == std::string_view::npos ? std::string_view()
                                                             : target.substr(question + 1));
    const auto match = router.match(request.method, path);
    if (match.route == nullptr) {
      if (match.other_method) return problem_response({405, "method", "method not allowed", ""});
      return problem_response({404, "not_found", "no such endpoint: " + path, ""});
    }
    const Route& route = *match.route;
    Call call(request, match.path, std::move(query), storage, env);
    if (route.permission != kPublic) {
      const auto caller = authenticate(request, call.db, call.now());
      if (!caller) return problem_response({401, "unauthenticated", "sign in first", ""});
      if (!caller->csrf_ok)
        return problem_response(
            {403, "csrf", "the X-CSRF-Token header is missing or does not match the session", ""});
      if (!route.permission.empty() && !caller->principal.permissions.contains(route.permission))
        return problem_response(
            {403, "forbidden", "this needs the permission " + route.permission, ""});
      call.user = caller->principal;
    }
    Response response = route.handler(call);
    if (response.status < 400 && route.permission != kPublic && request.method != "GET")
      audit(call, request.method + " " + path);
    return response;
  }

  void audit(Call& call, const std::string& action) {
    Json detail = call.audit_detail ? *call.audit_detail : audit_body(call.request.body);
    checked(call.db.query(
        "INSERT INTO audit_log (at, actor, action, detail) VALUES (?, ?, ?, ?)",
        {call.now(), call.user.name, action, detail.is_null() ? std::string() : detail.dump()}));
  }

  Environment env;
  LoginThrottle throttle;
  Router router;
};

Api::Api(Environment environment) {
  if (sodium_init_once() < 0) throw std::runtime_error("libsodium cannot start");
  impl_ = std::make_unique<Impl>(std::move(environment));
}

Api::~Api() = default;

Response Api::handle(const Request& request, Storage& storage) {
  Response response;
  try {
    response = impl_->dispatch(request, storage);
  } catch (const Problem& p) {
    response = problem_response(p);
  } catch (const std::exception& e) {
    std::cerr << "heatlink master: API: " << request.method << ' ' << request.target.substr(0, 200)
              << ": " << e.what() << '\n';
    response =
        problem_response({500, "internal", "an internal error; the master's log says why", ""});
  }
  add_security_headers(response);
  return response;
}

std::vector<std::pair<std::string, std::string>> Api::routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Route& r : impl_->router.routes())
    out.emplace_back(r.method + " " + r.pattern, r.permission);
  return out;
}

}  // namespace heatlink::master::api
