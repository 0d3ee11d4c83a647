#include "call.h"

#include <utf8cpp/utf8.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <iostream>

namespace heatlink::master::api {

void refuse(int status, std::string code, std::string message, std::string field) {
  throw Problem{status, std::move(code), std::move(message), std::move(field)};
}

void invalid(const std::string& field, const std::string& message) {
  refuse(400, "invalid", field + ": " + message, field);
}

void not_found(const std::string& what) {
  refuse(404, "not_found", what + " not found");
}

void storage_failed(const StorageError& e) {
  // The database's words name tables, statements and files: the log gets them, not the caller.
  std::cerr << "heatlink master: API: the database failed: " << e.message << '\n';
  refuse(500, "storage", "the database could not do this now; the master's log says why");
}

EpochSeconds Call::now() const {
  if (env.now) return env.now();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

std::optional<std::int64_t> parse_integer(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::string quoted(const std::string& text) {
  return "'" + (text.size() > 40 ? text.substr(0, 40) + "..." : text) + "'";
}

}  // namespace

std::int64_t Call::id(const std::string& name) const {
  const auto found = path_.find(name);
  const auto value = found == path_.end() ? std::nullopt : parse_integer(found->second);
  if (!value || *value <= 0) refuse(404, "not_found", "no such " + name + " in the path");
  return *value;
}

std::string Call::path_text(const std::string& name) const {
  const auto found = path_.find(name);
  if (found == path_.end() || found->second.empty()) refuse(404, "not_found", "no " + name);
  return found->second;
}

std::optional<std::string> Call::text(const std::string& name) const {
  const auto found = query_.find(name);
  if (found == query_.end() || found->second.empty()) return std::nullopt;
  if (found->second.size() > 200) invalid(name, "longer than 200 characters");
  return found->second;
}

std::optional<std::int64_t> Call::integer(const std::string& name, std::int64_t min,
                                          std::int64_t max) const {
  const auto raw = text(name);
  if (!raw) return std::nullopt;
  const auto value = parse_integer(*raw);
  if (!value || *value < min || *value > max)
    invalid(name, "expected a whole number from " + std::to_string(min) + " to " +
                      std::to_string(max) + ", got " + quoted(*raw));
  return value;
}

std::optional<bool> Call::flag(const std::string& name) const {
  const auto raw = text(name);
  if (!raw) return std::nullopt;
  if (*raw == "true" || *raw == "1") return true;
  if (*raw == "false" || *raw == "0") return false;
  invalid(name, "expected true or false, got " + quoted(*raw));
}

std::optional<std::string> Call::choice(const std::string& name,
                                        std::initializer_list<const char*> allowed) const {
  const auto raw = text(name);
  if (!raw) return std::nullopt;
  std::string list;
  for (const char* a : allowed) {
    if (*raw == a) return raw;
    list += list.empty() ? a : std::string(", ") + a;
  }
  invalid(name, "expected one of " + list + ", got " + quoted(*raw));
}

const Json& Call::body() {
  if (body_) return *body_;
  Json parsed = Json::parse(request.body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object())
    refuse(400, "invalid", "the body is not a JSON object");
  body_ = std::move(parsed);
  return *body_;
}

Response json_response(const Json& body, int status) {
  Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return r;
}

Json sql_json(const SqlValue& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  return Json();
}

void check_text(const std::string& field, std::string_view text) {
  if (utf8::find_invalid(text.begin(), text.end()) != text.end()) invalid(field, "not UTF-8");
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
      char code[8];
      std::snprintf(code, sizeof code, "U+%04X", c);
      invalid(field, std::string("a control character (") + code + ") is no text");
    }
  }
}

std::optional<std::string> optional_text(const Json& body, const std::string& field,
                                         std::size_t max_size) {
  const auto found = body.find(field);
  if (found == body.end() || found->is_null()) return std::nullopt;
  if (!found->is_string()) invalid(field, "expected text");
  const auto& value = found->get_ref<const std::string&>();
  if (value.size() > max_size)
    invalid(field, "longer than " + std::to_string(max_size) + " characters");
  check_text(field, value);
  return value;
}

std::string required_text(const Json& body, const std::string& field, std::size_t max_size) {
  auto value = optional_text(body, field, max_size);
  if (!value || value->empty()) invalid(field, "required");
  return *value;
}

std::optional<std::int64_t> optional_integer(const Json& body, const std::string& field) {
  const auto found = body.find(field);
  if (found == body.end() || found->is_null()) return std::nullopt;
  if (!found->is_number_integer()) invalid(field, "expected a whole number");
  return found->get<std::int64_t>();
}

std::optional<double> optional_number(const Json& body, const std::string& field) {
  const auto found = body.find(field);
  if (found == body.end() || found->is_null()) return std::nullopt;
  if (!found->is_number()) invalid(field, "expected a number");
  return found->get<double>();
}

std::optional<bool> optional_flag(const Json& body, const std::string& field) {
  const auto found = body.find(field);
  if (found == body.end() || found->is_null()) return std::nullopt;
  if (!found->is_boolean()) invalid(field, "expected true or false");
  return found->get<bool>();
}

Page page_of(const Call& call) {
  Page page;
  page.number = call.integer("page", 1, 1'000'000).value_or(1);
  page.size = call.integer("page_size", 1, 500).value_or(50);
  return page;
}

Json paged(Json items, const Page& page, std::int64_t total) {
  return Json{{"items", std::move(items)},
              {"page", page.number},
              {"page_size", page.size},
              {"total", total}};
}

}  // namespace heatlink::master::api
