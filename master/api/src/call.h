// What a handler gets: the request with its path parameters and query, the signed-in user, the
// database, and the master. Handlers are plain functions of a Call (DESIGN.md rule 5).
//
// Invalid input is reported by throwing Problem from the parsing helpers below; Api::handle()
// turns it into the response, so no exception leaves the API module (STYLE.md rule 4).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "heatlink/master/api/api.h"
#include "heatlink/master/storage/sql_database.h"

namespace heatlink::master::api {

using Json = nlohmann::ordered_json;

// A request the API refuses: the status, a code from a closed set, words, and the field.
struct Problem {
  int status = 400;
  std::string code;     // "invalid", "not_found", "conflict", "forbidden", ...
  std::string message;  // "page_size: expected a number from 1 to 500, got 'x'"
  std::string field;    // the body or query field at fault; empty: none
};

[[noreturn]] void refuse(int status, std::string code, std::string message, std::string field = "");
[[noreturn]] void invalid(const std::string& field, const std::string& message);
[[noreturn]] void not_found(const std::string& what);
// The database failed: 500 with its words (they name no user data).
[[noreturn]] void storage_failed(const StorageError& e);

template <class T>
T checked(StorageResult<T> result) {
  if (auto* e = std::get_if<StorageError>(&result)) storage_failed(*e);
  return std::move(std::get<T>(result));
}

struct Principal {
  std::int64_t user_id = 0;
  std::string name;
  std::set<std::string> permissions;
  bool by_token = false;  // an API token rather than a browser session
};

class Call {
 public:
  Call(const Request& the_request, std::map<std::string, std::string> path,
       std::map<std::string, std::string> query, Storage& the_storage,
       const Environment& environment)
      : request(the_request),
        storage(the_storage),
        db(the_storage.database()),
        env(environment),
        path_(std::move(path)),
        query_(std::move(query)) {}

  const Request& request;
  Principal user;
  Storage& storage;
  SqlDatabase& db;
  const Environment& env;
  // Set by handlers that change something: the audit log's detail for this call.
  std::optional<Json> audit_detail;

  EpochSeconds now() const;

  // A path parameter ({id}) as a positive integer, else 404.
  std::int64_t id(const std::string& name = "id") const;
  // A path parameter as text (a DTU ID), else 404.
  std::string path_text(const std::string& name) const;
  // Query parameters: empty when absent, 400 naming the parameter when malformed.
  std::optional<std::string> text(const std::string& name) const;
  std::optional<std::int64_t> integer(const std::string& name, std::int64_t min,
                                      std::int64_t max) const;
  std::optional<bool> flag(const std::string& name) const;
  // One of `allowed`; 400 listing them.
  std::optional<std::string> choice(const std::string& name,
                                    std::initializer_list<const char*> allowed) const;
  // The JSON body, which must be an object (400 otherwise).
  const Json& body();

 private:
  std::map<std::string, std::string> path_;
  std::map<std::string, std::string> query_;
  std::optional<Json> body_;
};

// A JSON response.
Response json_response(const Json& body, int status = 200);
// A column value as JSON: numbers, text, null.
Json sql_json(const SqlValue& v);

// Text a person gave (a name, a note, a cell of an imported table) is UTF-8 without control
// characters but tab and line breaks: a NUL cut "admin\0evil" to "admin" in SQLite, and the
// audit log then showed another actor. 400 naming the field otherwise.
void check_text(const std::string& field, std::string_view text);

// Body fields: required or optional, typed, 400 naming the field.
std::string required_text(const Json& body, const std::string& field, std::size_t max_size = 200);
std::optional<std::string> optional_text(const Json& body, const std::string& field,
                                         std::size_t max_size = 200);
std::optional<std::int64_t> optional_integer(const Json& body, const std::string& field);
std::optional<double> optional_number(const Json& body, const std::string& field);
std::optional<bool> optional_flag(const Json& body, const std::string& field);

// Pages of a list: ?page=1&page_size=50 (at most 500).
struct Page {
  std::int64_t number = 1;
  std::int64_t size = 50;
  std::int64_t offset() const { return (number - 1) * size; }
};
Page page_of(const Call& call);
Json paged(Json items, const Page& page, std::int64_t total);

}  // namespace heatlink::master::api
