// SQL on either backend: statements with `?` parameters, always bound (never written into
// the text), in the SQL that SQLite and PostgreSQL both speak. The storage is built on it, and
// the web API's queries (filters, pages, base-information edits) use it directly.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "heatlink/master/storage/storage.h"

namespace heatlink::master {

// A parameter or a column value. Booleans go in as bool (PostgreSQL has a boolean type,
// SQLite stores 0/1) and come back as integers.
using SqlValue = std::variant<std::monostate, std::int64_t, double, std::string, bool>;
using SqlRow = std::vector<SqlValue>;

struct SqlResult {
  std::vector<SqlRow> rows;
  std::int64_t affected = 0;  // rows inserted, updated or deleted
};

// Reading a column value in the type the schema gives it.
std::int64_t as_integer(const SqlValue& v);
std::optional<std::int64_t> as_optional_integer(const SqlValue& v);
std::optional<double> as_optional_real(const SqlValue& v);
std::string as_text(const SqlValue& v);
SqlValue optional_value(const std::optional<double>& v);
SqlValue optional_value(const std::optional<std::int64_t>& v);

class SqlDatabase {
 public:
  virtual ~SqlDatabase() = default;

  // "sqlite", "postgresql": where the two dialects still differ (upserts agree).
  virtual const char* dialect() const noexcept = 0;
  // Runs one statement; inside in_transaction() it joins that transaction, else it commits.
  virtual StorageResult<SqlResult> query(const std::string& text,
                                         const std::vector<SqlValue>& params) = 0;
  // Runs `body` in one transaction: committed when it returns no error, else rolled back;
  // inside another transaction it joins that one (whose end decides).
  virtual std::optional<StorageError> in_transaction(
      const std::function<std::optional<StorageError>()>& body) = 0;
  // An INSERT's new id (the table's `id` column).
  virtual StorageResult<std::int64_t> insert_id(const std::string& text,
                                                const std::vector<SqlValue>& params) = 0;
};

}  // namespace heatlink::master
