#include "entities.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>

namespace heatlink::master::api {

namespace {

Field field_of(const char* name, FieldType type) {
  Field f;
  f.name = name;
  f.type = type;
  return f;
}

Field text(const char* name, bool required = false) {
  Field f = field_of(name, FieldType::text);
  f.required = required;
  return f;
}

Field reference(const char* name, const char* table, bool required) {
  Field f = field_of(name, FieldType::integer);
  f.required = required;
  f.references = table;
  f.min = 1;
  f.max = INT64_MAX;
  f.filter = true;
  return f;
}

Field integer(const char* name, std::int64_t min, std::int64_t max, bool required = false) {
  Field f = field_of(name, FieldType::integer);
  f.required = required;
  f.min = min;
  f.max = max;
  return f;
}

Field choice(const char* name, std::vector<std::string> allowed) {
  Field f = field_of(name, FieldType::text);
  f.allowed = std::move(allowed);
  f.filter = true;
  return f;
}

Field number(const char* name) {
  return field_of(name, FieldType::number);
}

// Where a meter is (as meter_scope.h says, without the table's alias): its building's
// community, or - a meter without a building - its concentrator's.
constexpr const char* kInStation =
    "concentrator_id IN (SELECT id FROM concentrator WHERE station_id = ?)";
constexpr const char* kInCommunity =
    "(building_id IN (SELECT id FROM building WHERE community_id = ?) OR (building_id IS NULL "
    "AND concentrator_id IN (SELECT id FROM concentrator WHERE community_id = ?)))";

bool hex_digits(const std::string& text, std::size_t count) {
  return text.size() == count && std::all_of(text.begin(), text.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) != 0;
         });
}

// A CJ/T 188 meter is read by its 14-digit address; an M-Bus meter by its 16-digit secondary
// address, or - without one - by a primary address from 1 to 250.
void check_meter(const Json& m) {
  auto field = [&m](const char* name) { return m.contains(name) ? m[name] : Json(); };
  const Json address = field("secondary_address"), protocol = field("protocol"),
             primary = field("primary_address");
  const std::string secondary = address.is_string() ? address.get<std::string>() : "";
  if (protocol.is_number_integer() && protocol.get<std::int64_t>() == 1) {
    if (!hex_digits(secondary, 14))
      invalid("secondary_address", "a CJ/T 188 meter needs its 14-digit address");
    return;
  }
  if (!secondary.empty()) {
    if (!hex_digits(secondary, 16))
      invalid("secondary_address", "16 hex digits, or empty for a meter read by primary address");
    return;
  }
  if (!primary.is_number_integer() || primary.get<std::int64_t>() < 1)
    invalid("primary_address",
            "1 to 250 for a meter without a secondary address (it is read by this one)");
}

const std::vector<Entity>& entities() {
  static const std::vector<Entity> all = [] {
    std::vector<Entity> e;
    e.push_back({"stations", "station", "station", {text("name", true)}, {}, "name"});
    e.push_back({"communities",
                 "community",
                 "community",
                 {reference("station_id", "station", true), text("name", true)},
                 {},
                 "name"});
    e.push_back(
        {"buildings",
         "building",
         "building",
         {reference("community_id", "community", true), text("name", true)},
         {},
         "name",
         false,
         {{"station_id", "community_id IN (SELECT id FROM community WHERE station_id = ?)"}}});
    e.push_back(
        {"units",
         "unit",
         "unit",
         {reference("building_id", "building", true), text("name", true)},
         {},
         "name",
         false,
         {{"community_id", "building_id IN (SELECT id FROM building WHERE community_id = ?)"}}});
    e.push_back({"households",
                 "household",
                 "household",
                 {reference("unit_id", "unit", false), text("name", true), number("area_m2")},
                 {},
                 "name",
                 false,
                 {{"building_id", "unit_id IN (SELECT id FROM unit WHERE building_id = ?)"},
                  {"community_id",
                   "unit_id IN (SELECT id FROM unit WHERE building_id IN "
                   "(SELECT id FROM building WHERE community_id = ?))"}}});
    e.push_back({"customers",
                 "customer",
                 "customer",
                 {reference("household_id", "household", false), text("name", true), text("phone")},
                 {},
                 "name"});
    // The model names one of gateway.yaml's DTU models (MD-109G, ...).
    e.push_back({"dtus", "dtu", "DTU", {text("dtu_id", true), text("model", true)}, {}, "dtu_id"});
    e.push_back({"concentrators",
                 "concentrator",
                 "concentrator",
                 {reference("station_id", "station", true), text("name", true), text("dtu_id"),
                  reference("community_id", "community", false), integer("mode", 0, 1)},
                 {},
                 "name"});
    // An M-Bus meter read by primary address has no secondary address.
    Field secondary = text("secondary_address");
    secondary.max_size = 16;
    e.push_back(
        {"meters",
         "meter",
         "meter",
         {reference("concentrator_id", "concentrator", true), integer("channel", 0, 255, true),
          text("vendor", true), text("model"), integer("protocol", 0, 1),
          integer("primary_address", 0, 250), secondary,
          reference("household_id", "household", false),
          reference("building_id", "building", false), choice("kind", {"household", "building"})},
         {},
         "secondary_address",
         true,
         {{"station_id", kInStation}, {"community_id", kInCommunity, 2}},
         check_meter});
    return e;
  }();
  return all;
}

std::string quoted(const std::string& text) {
  return "'" + (text.size() > 40 ? text.substr(0, 40) + "..." : text) + "'";
}

}  // namespace

std::span<const Entity> base_entities() {
  return entities();
}

bool has_lookup(const Entity& entity) {
  for (const char* path : {"stations", "communities", "buildings", "units", "concentrators"})
    if (std::string(entity.path) == path) return true;
  return false;
}

const Entity* entity_named(const std::string& path) {
  for (const Entity& e : entities())
    if (path == e.path) return &e;
  return nullptr;
}

namespace {

// An optional field left out of a new record.
SqlValue default_value(const Field& f) {
  switch (f.type) {
    case FieldType::text:
      return f.allowed.empty() ? std::string() : f.allowed.front();
    case FieldType::integer:
      if (f.references != nullptr) return std::monostate{};
      return f.min;
    case FieldType::number:
      return std::monostate{};
  }
  return std::monostate{};
}

SqlValue checked_value(const Field& field, const Json& value) {
  const std::string name = field.name;
  if (value.is_null()) {
    if (field.required) invalid(name, "required");
    return default_value(field);  // an empty cell or a cleared field
  }
  switch (field.type) {
    case FieldType::text: {
      if (!value.is_string()) invalid(name, "expected text");
      const auto& text = value.get_ref<const std::string&>();
      if (field.required && text.empty()) invalid(name, "required");
      if (text.size() > field.max_size)
        invalid(name, "longer than " + std::to_string(field.max_size) + " characters");
      check_text(name, text);
      if (!field.allowed.empty()) {
        std::string list;
        for (const auto& a : field.allowed) {
          if (a == text) return text;
          list += (list.empty() ? "" : ", ") + a;
        }
        invalid(name, "expected one of " + list + ", got " + quoted(text));
      }
      return text;
    }
    case FieldType::integer: {
      if (!value.is_number_integer()) invalid(name, "expected a whole number");
      const auto n = value.get<std::int64_t>();
      if ((field.min != 0 || field.max != 0) && (n < field.min || n > field.max))
        invalid(name, "expected " + std::to_string(field.min) + " to " + std::to_string(field.max) +
                          ", got " + std::to_string(n));
      return n;
    }
    case FieldType::number: {
      if (!value.is_number()) invalid(name, "expected a number");
      const double d = value.get<double>();
      if (!std::isfinite(d)) invalid(name, "expected a finite number");
      return d;
    }
  }
  return std::monostate{};
}

}  // namespace

FieldValues field_values(const Entity& entity, const Json& body, bool partial) {
  for (const auto& [key, value] : body.items()) {
    bool known = false;
    for (const Field& f : entity.fields) known = known || key == f.name;
    if (!known) invalid(key, std::string("not a field of a ") + entity.label);
  }
  FieldValues out;
  for (const Field& f : entity.fields) {
    const auto found = body.find(f.name);
    if (found == body.end()) {
      if (partial) continue;
      if (f.required) invalid(f.name, "required");
      out.columns.push_back(f.name);
      out.values.push_back(default_value(f));
      continue;
    }
    out.columns.push_back(f.name);
    out.values.push_back(checked_value(f, *found));
  }
  return out;
}

Json cell_value(const Field& field, const std::string& text) {
  if (text.empty()) return Json();
  if (field.type == FieldType::text) return text;
  try {
    std::size_t used = 0;
    if (field.type == FieldType::integer) {
      const long long n = std::stoll(text, &used);
      if (used == text.size()) return static_cast<std::int64_t>(n);
    } else {
      const double d = std::stod(text, &used);
      if (used == text.size()) return d;
    }
  } catch (const std::exception&) {
  }
  invalid(field.name, std::string("expected ") +
                          (field.type == FieldType::integer ? "a whole number" : "a number") +
                          ", got " + quoted(text));
}

void check_references(SqlDatabase& db, const Entity& entity, const FieldValues& values) {
  for (std::size_t i = 0; i < values.columns.size(); ++i) {
    const Field* field = nullptr;
    for (const Field& f : entity.fields)
      if (values.columns[i] == f.name) field = &f;
    if (field == nullptr || field->references == nullptr) continue;
    const auto* id = std::get_if<std::int64_t>(&values.values[i]);
    if (id == nullptr) continue;
    const auto found = checked(
        db.query(std::string("SELECT 1 FROM ") + field->references + " WHERE id = ?", {*id}));
    if (found.rows.empty())
      invalid(field->name,
              std::string("no ") + field->references + " with id " + std::to_string(*id));
  }
}

std::string select_columns(const Entity& entity) {
  std::string columns = "id";
  for (const Field& f : entity.fields) columns += std::string(", ") + f.name;
  for (const char* c : entity.read_only) columns += std::string(", ") + c;
  return columns;
}

Json record_json(const Entity& entity, const SqlRow& row) {
  Json out{{"id", as_integer(row[0])}};
  std::size_t c = 1;
  for (const Field& f : entity.fields) out[f.name] = sql_json(row.at(c++));
  for (const char* name : entity.read_only) out[name] = sql_json(row.at(c++));
  return out;
}

Json record_of(const FieldValues& values, Json base) {
  for (std::size_t i = 0; i < values.columns.size(); ++i)
    base[values.columns[i]] = sql_json(values.values[i]);
  return base;
}

Table export_table(SqlDatabase& db, const Entity& entity, const std::string& where,
                   const std::vector<SqlValue>& params) {
  Table table;
  table.header.push_back("id");
  for (const Field& f : entity.fields) table.header.push_back(f.name);
  for (const char* c : entity.read_only) table.header.push_back(c);
  const auto rows = checked(db.query(
      "SELECT " + select_columns(entity) + " FROM " + entity.table + where + " ORDER BY id",
      params));
  for (const auto& row : rows.rows) {
    std::vector<Cell> cells;
    for (const SqlValue& v : row) {
      if (const auto* i = std::get_if<std::int64_t>(&v)) {
        cells.push_back({std::to_string(*i), static_cast<double>(*i)});
      } else if (const auto* d = std::get_if<double>(&v)) {
        std::ostringstream text;
        text << *d;
        cells.push_back({text.str(), *d});
      } else {
        cells.push_back({as_text(v), std::nullopt});
      }
    }
    table.rows.push_back(std::move(cells));
  }
  return table;
}

}  // namespace heatlink::master::api
