// How the routes record a change: a duplicate name is a conflict, and the audit log
// keeps what was deleted or both sides of an update.
#pragma once

#include "call.h"

namespace heatlink::master::api {

// Deletes the record `before` shows from `table` (the call's id); the audit log keeps it.
inline Response deleted(Call& call, const std::string& table, Json before) {
  checked(call.db.query("DELETE FROM " + table + " WHERE id = ?", {call.id()}));
  call.audit_detail = Json{{"deleted", std::move(before)}};
  return json_response(Json{{"deleted", call.id()}});
}

// A record changed: the audit log keeps both sides.
inline Response changed(Call& call, Json before, const Json& after) {
  call.audit_detail = Json{{"before", std::move(before)}, {"after", after}};
  return json_response(after);
}

// Which constraint a write broke, from the backend's words (SQLite, PostgreSQL).
inline bool is_duplicate(const StorageError& e) {
  return e.message.find("UNIQUE") != std::string::npos ||
         e.message.find("duplicate key") != std::string::npos;
}
inline bool is_dangling_reference(const StorageError& e) {
  return e.message.find("FOREIGN KEY") != std::string::npos ||
         e.message.find("foreign key") != std::string::npos;
}

// A write whose unique name is taken: 409 naming `what` and the field `name`.
template <class T>
T unique_write(StorageResult<T> result, const std::string& what) {
  if (auto* e = std::get_if<StorageError>(&result)) {
    if (is_duplicate(*e)) refuse(409, "conflict", what + " exists already", "name");
    storage_failed(*e);
  }
  return std::move(std::get<T>(result));
}

}  // namespace heatlink::master::api
