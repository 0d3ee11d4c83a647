// 基础信息 Base information: list, get, create, update, delete, import and export of every
// kind of record in entities.cc.
#include "columns.h"
#include "conditions.h"
#include "entities.h"
#include "exports.h"
#include "meter_scope.h"
#include "record_changes.h"
#include "router.h"

namespace heatlink::master::api {

namespace {

// A constraint the database refused, as 409 in words; other failures stay 500.
[[noreturn]] void refused_write(const Entity& entity, const StorageError& e) {
  if (is_duplicate(e))
    refuse(409, "conflict", std::string("a ") + entity.label + " with these values exists already");
  if (is_dangling_reference(e))
    refuse(409, "conflict",
           std::string("the ") + entity.label + " is referenced by other records, or refers to " +
               "a missing one");
  storage_failed(e);
}

template <class T>
T written(const Entity& entity, StorageResult<T> result) {
  if (auto* e = std::get_if<StorageError>(&result)) refused_write(entity, *e);
  return std::move(std::get<T>(result));
}

// `%` and `_` taken literally in a LIKE pattern.
std::string like_pattern(const std::string& text) {
  std::string out = "%";
  for (const char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out + "%";
}

Json one(Call& call, const Entity& entity, std::int64_t id) {
  const auto rows = checked(call.db.query(
      "SELECT " + select_columns(entity) + " FROM " + entity.table + " WHERE id = ?", {id}));
  if (rows.rows.empty()) not_found(std::string(entity.label) + " " + std::to_string(id));
  return record_json(entity, rows.rows.front());
}

// The list's filters from the query string: reference fields, scopes, ?q=. The export of
// the list uses the same.
Conditions conditions_of(Call& call, const Entity& entity) {
  Conditions c;
  for (const Field& f : entity.fields) {
    if (!f.filter) continue;
    if (f.type == FieldType::integer) {
      c.integer(call, f.name, std::string(f.name) + " = ?");
    } else {
      c.text(call, f.name, std::string(f.name) + " = ?");
    }
  }
  for (const Scope& s : entity.scopes) {
    if (const auto v = call.integer(s.name, 1, INT64_MAX))
      c.add(s.condition, std::vector<SqlValue>(static_cast<std::size_t>(s.uses), *v));
  }
  if (const auto q = call.text("q"); q && entity.search != nullptr) {
    if (entity.search_prefix) {
      auto [low, high] = prefix_range(*q);
      c.add(address_prefix(call.db, entity.search), {std::move(low), std::move(high)});
    } else {
      c.add(std::string(entity.search) + " LIKE ? ESCAPE '\\'", {like_pattern(*q)});
    }
  }
  return c;
}

// Names to choose from (drop-downs, the tree) for any signed-in user: id, name and where the
// record is (its references), under the list's filters; no base.view needed to pick a
// station for a read or a report.
Response lookup(Call& call, const Entity& entity) {
  std::string columns = "id, name";
  std::vector<const Field*> references;
  for (const Field& f : entity.fields) {
    if (f.references == nullptr) continue;
    columns += std::string(", ") + f.name;
    references.push_back(&f);
  }
  return json_response(
      page_of_rows(call, columns, entity.table, conditions_of(call, entity), "name, id",
                   [&references](const SqlRow& row) {
                     Json item{{"id", as_integer(row[0])}, {"name", as_text(row[1])}};
                     for (std::size_t i = 0; i < references.size(); ++i)
                       item[references[i]->name] = sql_json(row[i + 2]);
                     return item;
                   }));
}

Response list(Call& call, const Entity& entity) {
  return json_response(
      page_of_rows(call, select_columns(entity), entity.table, conditions_of(call, entity), "id",
                   [&entity](const SqlRow& row) { return record_json(entity, row); }));
}

// A new record of the entity.
StorageResult<std::int64_t> insert(SqlDatabase& db, const Entity& entity,
                                   const FieldValues& values) {
  std::string columns, marks;
  for (const auto& c : values.columns) {
    columns += (columns.empty() ? "" : ", ") + c;
    marks += marks.empty() ? "?" : ", ?";
  }
  return db.insert_id(
      std::string("INSERT INTO ") + entity.table + " (" + columns + ") VALUES (" + marks + ")",
      values.values);
}

// A new or changed record as a whole: its references, then the entity's own check.
void check_record(Call& call, const Entity& entity, const FieldValues& values,
                  const Json& before = Json::object()) {
  check_references(call.db, entity, values);
  if (entity.check != nullptr) entity.check(record_of(values, before));
}

// Record `id` with `values` changed.
StorageResult<SqlResult> change(SqlDatabase& db, const Entity& entity, std::int64_t id,
                                FieldValues values) {
  std::string sets;
  for (const auto& c : values.columns) sets += (sets.empty() ? "" : ", ") + c + " = ?";
  values.values.push_back(id);
  return db.query(std::string("UPDATE ") + entity.table + " SET " + sets + " WHERE id = ?",
                  values.values);
}

Response create(Call& call, const Entity& entity) {
  const FieldValues values = field_values(entity, call.body(), false);
  check_record(call, entity, values);
  const std::int64_t id = written(entity, insert(call.db, entity, values));
  return json_response(one(call, entity, id), 201);
}

Response update(Call& call, const Entity& entity) {
  const std::int64_t id = call.id();
  const Json before = one(call, entity, id);
  FieldValues values = field_values(entity, call.body(), true);
  if (values.columns.empty()) return json_response(before);
  check_record(call, entity, values, before);
  written(entity, change(call.db, entity, id, values));
  Json after = one(call, entity, id);
  call.audit_detail = Json{{"before", before}, {"after", after}};
  return json_response(after);
}

Response remove(Call& call, const Entity& entity) {
  const std::int64_t id = call.id();
  const Json before = one(call, entity, id);
  written(entity,
          call.db.query(std::string("DELETE FROM ") + entity.table + " WHERE id = ?", {id}));
  call.audit_detail = Json{{"deleted", before}};
  return json_response(Json{{"deleted", id}});
}

// Each data row to a record's fields; all rows checked before any is written. A row whose
// `id` names a record changes it (an export edited and imported again); a row without one
// adds a record.
Response import(Call& call, const Entity& entity) {
  const Table table = uploaded_table(call);
  // Columns: the fields, `id`; read-only columns of an export are ignored.
  std::vector<const Field*> columns;
  std::optional<std::size_t> id_column;
  for (const auto& title : table.header) {
    const std::string name = column_key(title);  // a key, or a column's name in either language
    const Field* field = nullptr;
    for (const Field& f : entity.fields)
      if (name == f.name) field = &f;
    if (name == "id") id_column = columns.size();
    bool ignored = name == "id";
    for (const char* c : entity.read_only) ignored = ignored || name == c;
    if (field == nullptr && !ignored) invalid(name, std::string("not a column of ") + entity.path);
    columns.push_back(field);
  }
  Json errors = Json::array();
  std::vector<FieldValues> records;
  std::vector<std::int64_t> ids;  // 0: a new record
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const std::size_t line = r + 2;  // the header is line 1
    try {
      if (table.rows[r].size() != columns.size())
        refuse(400, "invalid",
               "expected " + std::to_string(columns.size()) + " cells, found " +
                   std::to_string(table.rows[r].size()));
      Json record = Json::object();
      for (std::size_t c = 0; c < columns.size(); ++c)
        if (columns[c] != nullptr)
          record[columns[c]->name] = cell_value(*columns[c], table.rows[r][c].text);
      std::int64_t id = 0;
      Json before = Json::object();
      if (id_column && !table.rows[r][*id_column].text.empty()) {
        const std::string& text = table.rows[r][*id_column].text;
        Field id_field;
        id_field.name = "id";
        id_field.type = FieldType::integer;
        const auto rows = checked(call.db.query(
            "SELECT " + select_columns(entity) + " FROM " + entity.table + " WHERE id = ?",
            {cell_value(id_field, text).get<std::int64_t>()}));
        if (rows.rows.empty())
          invalid("id", std::string("no ") + entity.label + " with id " + text +
                            " (leave the id empty to add one)");
        before = record_json(entity, rows.rows.front());
        id = before["id"];
      }
      records.push_back(field_values(entity, record, id != 0));
      ids.push_back(id);
      check_record(call, entity, records.back(), before);
    } catch (const Problem& p) {
      Json error{{"row", line}, {"message", p.message}};
      if (!p.field.empty()) error["field"] = p.field;
      errors.push_back(std::move(error));
      if (errors.size() >= 100) break;
    }
  }
  std::size_t failed_row = 0, added = 0, updated = 0;
  std::optional<StorageError> failure;
  if (errors.empty()) {
    failure = call.db.in_transaction([&]() -> std::optional<StorageError> {
      for (std::size_t r = 0; r < records.size(); ++r) {
        std::optional<StorageError> e;
        if (ids[r] != 0) {
          auto done = change(call.db, entity, ids[r], records[r]);
          if (auto* error = std::get_if<StorageError>(&done)) e = *error;
          ++updated;
        } else {
          auto done = insert(call.db, entity, records[r]);
          if (auto* error = std::get_if<StorageError>(&done)) e = *error;
          ++added;
        }
        if (e) {
          failed_row = r + 2;
          return e;
        }
      }
      return std::nullopt;
    });
  }
  if (failure) {
    try {
      refused_write(entity, *failure);
    } catch (const Problem& p) {
      errors.push_back(Json{{"row", failed_row}, {"message", p.message}});
    }
  }
  if (!errors.empty()) {
    return json_response(Json{{"error",
                               {{"code", "import_rejected"},
                                {"message", std::to_string(errors.size()) +
                                                " row(s) have errors; nothing was imported"}}},
                              {"rows", errors}},
                         400);
  }
  call.audit_detail = Json{{"imported", records.size()},
                           {"added", added},
                           {"updated", updated},
                           {"table", entity.table}};
  return json_response(Json{{"imported", records.size()}, {"added", added}, {"updated", updated}});
}

// The list's records under the list's filters.
Response export_records(Call& call, const Entity& entity) {
  const Conditions c = conditions_of(call, entity);
  return table_download(call, export_table(call.db, entity, c.where(), c.params()), entity.path);
}

}  // namespace

void add_base_routes(Router& router) {
  for (const Entity& e : base_entities()) {
    const std::string base = std::string("/api/v1/") + e.path;
    const Entity* entity = &e;
    router.add("GET", base, "base.view", [entity](Call& c) { return list(c, *entity); });
    router.add("POST", base, "base.edit", [entity](Call& c) { return create(c, *entity); });
    router.add("GET", base + "/{id}", "base.view",
               [entity](Call& c) { return json_response(one(c, *entity, c.id())); });
    router.add("PUT", base + "/{id}", "base.edit",
               [entity](Call& c) { return update(c, *entity); });
    router.add("DELETE", base + "/{id}", "base.edit",
               [entity](Call& c) { return remove(c, *entity); });
    router.add("POST", base + "/import", "base.import",
               [entity](Call& c) { return import(c, *entity); });
    router.add("GET", base + "/export", "base.view",
               [entity](Call& c) { return export_records(c, *entity); });
    if (has_lookup(e))
      router.add("GET", std::string("/api/v1/lookups/") + e.path, kSignedIn,
                 [entity](Call& c) { return lookup(c, *entity); });
  }
}

}  // namespace heatlink::master::api
