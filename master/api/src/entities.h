// The base information as the API edits it: each kind of record (heat stations down to meters
// and valves) described once - table, fields, types, references - and served by one set of
// generic handlers (list, get, create, update, delete, import, export).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "call.h"
#include "table_file.h"

namespace heatlink::master::api {

enum class FieldType : std::uint8_t { text, integer, number };

struct Field {
  const char* name = "";
  FieldType type = FieldType::text;
  bool required = false;
  const char* references = nullptr;  // the table an id points into
  std::int64_t min = 0, max = 0;     // integers; both 0: any
  std::vector<std::string> allowed;  // texts from a closed set; empty: any
  std::size_t max_size = 200;
  bool filter = false;  // usable as ?name=value on the list
};

// A filter of a list by where its records are (?station_id=3 on the meters), beyond the
// entity's own reference fields: `condition` takes the value `uses` times.
struct Scope {
  const char* name;
  const char* condition;
  int uses = 1;
};

struct Entity {
  const char* path;   // "stations": /api/v1/stations
  const char* table;  // "station"
  const char* label;  // "station": in messages
  std::vector<Field> fields;
  std::vector<const char*> read_only;  // columns shown but not written ("state")
  const char* search = nullptr;        // the text column ?q= searches ...
  bool search_prefix = false;          // ... for its start (an index range), else anywhere
  std::vector<Scope> scopes = {};
  // Checks a whole record (fields that depend on each other): 400 naming the field.
  void (*check)(const Json& record) = nullptr;
};

std::span<const Entity> base_entities();
// Whether anyone signed in may choose records of `entity` by name (/api/v1/lookups/...): the
// places - stations, communities, buildings, units, concentrators - not people.
bool has_lookup(const Entity& entity);
const Entity* entity_named(const std::string& path);

// A record's field values as SQL parameters, checked against the entity: 400 naming the field.
// `partial`: an update, where absent fields keep their values.
struct FieldValues {
  std::vector<std::string> columns;
  std::vector<SqlValue> values;
};
FieldValues field_values(const Entity& entity, const Json& body, bool partial);
// A text cell (an import) as a JSON value of the field's type; 400 naming the field.
Json cell_value(const Field& field, const std::string& text);
// Every reference points to an existing record: else 400 naming the field.
void check_references(SqlDatabase& db, const Entity& entity, const FieldValues& values);

// A row as JSON: id, fields, read-only columns.
Json record_json(const Entity& entity, const SqlRow& row);
std::string select_columns(const Entity& entity);

// The entity's records under `where` (" WHERE ...", its `params`) as a table to export (the
// import's columns).
Table export_table(SqlDatabase& db, const Entity& entity, const std::string& where = "",
                   const std::vector<SqlValue>& params = {});
// The record `values` describe, over `base` (an update: the record as it is).
Json record_of(const FieldValues& values, Json base = Json::object());

}  // namespace heatlink::master::api
