// The embedded backend: one SQLite file in WAL mode. A reading batch is one transaction of
// prepared statements; WAL with synchronous=NORMAL keeps every committed transaction across a
// crash of the process (a power loss may take the last ones).
#include <sqlite3.h>

#include <ctime>
#include <map>
#include <memory>

#include "migrations.h"
#include "sql_storage.h"
#include "storage_backends.h"

namespace heatlink::master::storage {

namespace {

constexpr std::size_t kStatementCacheLimit = 512;

class Statement {
 public:
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }

  bool prepare(sqlite3* db, const char* sql) {
    return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) == SQLITE_OK;
  }
  sqlite3_stmt* get() const noexcept { return stmt_; }

  void bind(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void bind(int i, const std::optional<double>& v) {
    if (v) {
      sqlite3_bind_double(stmt_, i, *v);
    } else {
      sqlite3_bind_null(stmt_, i);
    }
  }
  void bind(int i, const std::optional<std::int64_t>& v) {
    if (v) {
      sqlite3_bind_int64(stmt_, i, *v);
    } else {
      sqlite3_bind_null(stmt_, i);
    }
  }
  void bind_blob(int i, const std::vector<std::uint8_t>& v) {
    if (v.empty()) {
      sqlite3_bind_null(stmt_, i);
    } else {
      sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    }
  }
  int step() { return sqlite3_step(stmt_); }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  std::optional<double> real(int column) const {
    if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_double(stmt_, column);
  }
  std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
  std::optional<std::int64_t> optional_integer(int column) const {
    if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_int64(stmt_, column);
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// Binds the reading's 15 columns, in kReadingColumns order, from parameter 1.
void bind_reading(Statement& s, const Reading& r) {
  s.bind(1, r.meter_id);
  s.bind(2, r.read_at);
  s.bind(3, r.received_at);
  s.bind(4, r.meter_time);
  s.bind(5, r.energy_kwh);
  s.bind(6, r.volume_m3);
  s.bind(7, r.power_kw);
  s.bind(8, r.flow_m3h);
  s.bind(9, r.supply_c);
  s.bind(10, r.return_c);
  s.bind(11, r.delta_t_k);
  s.bind(12, r.operating_hours);
  s.bind(13, std::int64_t{r.status_bits});
  s.bind(14, std::int64_t{r.error_bits});
  s.bind(15, std::int64_t{static_cast<std::uint8_t>(r.outcome)});
}

Reading reading_of(const Statement& s, bool with_raw) {
  Reading r;
  r.meter_id = s.integer(0);
  r.read_at = s.integer(1);
  r.received_at = s.integer(2);
  r.meter_time = s.optional_integer(3);
  r.energy_kwh = s.real(4);
  r.volume_m3 = s.real(5);
  r.power_kw = s.real(6);
  r.flow_m3h = s.real(7);
  r.supply_c = s.real(8);
  r.return_c = s.real(9);
  r.delta_t_k = s.real(10);
  r.operating_hours = s.real(11);
  r.status_bits = static_cast<std::uint32_t>(s.integer(12));
  r.error_bits = static_cast<std::uint32_t>(s.integer(13));
  r.outcome = static_cast<ReadOutcome>(s.integer(14));
  if (with_raw) {
    const auto* blob = static_cast<const std::uint8_t*>(sqlite3_column_blob(s.get(), 15));
    const int size = sqlite3_column_bytes(s.get(), 15);
    if (blob != nullptr && size > 0) r.raw.assign(blob, blob + size);
  }
  return r;
}

class SqliteStorage : public SqlStorage {
 public:
  SqliteStorage(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  // sqlite3_close_v2 waits for the statements, finalized after this body, to go.
  ~SqliteStorage() override { sqlite3_close_v2(db_); }
  SqliteStorage(const SqliteStorage&) = delete;
  SqliteStorage& operator=(const SqliteStorage&) = delete;

  const char* backend() const noexcept override { return "sqlite"; }

  StorageResult<int> migrate() override {
    if (auto e = exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                      "name TEXT NOT NULL, applied_at INTEGER NOT NULL)"))
      return *e;
    auto version = schema_version();
    if (std::holds_alternative<StorageError>(version)) return version;
    int current = std::get<int>(version);
    for (const Migration& m : sqlite_migrations()) {
      if (m.version <= current) continue;
      if (auto e = exec("BEGIN IMMEDIATE")) return *e;
      auto e = exec(m.sql);
      if (!e) {
        e = exec("INSERT INTO schema_migrations VALUES (" + std::to_string(m.version) + ", '" +
                 m.name + "', " + std::to_string(std::time(nullptr)) + ")");
      }
      if (e) {
        exec("ROLLBACK");
        return StorageError{"migration " + std::to_string(m.version) + " (" + m.name +
                            "): " + e->message};
      }
      if (auto c = exec("COMMIT")) return *c;
      current = m.version;
    }
    return current;
  }

  StorageResult<int> schema_version() override {
    Statement s;
    if (!s.prepare(db_, "SELECT coalesce(max(version), 0) FROM schema_migrations"))
      return failure("schema version");
    if (s.step() != SQLITE_ROW) return failure("schema version");
    return static_cast<int>(s.integer(0));
  }

  StorageResult<std::size_t> store_readings(std::span<const Reading> readings) override {
    if (!prepared_ && !prepare_writes()) return failure("prepare the reading statements");
    if (auto e = exec("BEGIN IMMEDIATE")) return *e;
    std::size_t added = 0;
    for (const Reading& r : readings) {
      bind_reading(insert_reading_, r);
      insert_reading_.bind_blob(16, r.raw);
      const int rc = insert_reading_.step();
      insert_reading_.reset();
      if (rc != SQLITE_DONE) {
        StorageError e = failure("store a reading");
        exec("ROLLBACK");
        return e;
      }
      added += static_cast<std::size_t>(sqlite3_changes(db_));  // 0: stored before
    }
    if (auto e = exec("COMMIT")) {
      exec("ROLLBACK");
      return *e;
    }
    return added;
  }

  StorageResult<std::vector<Reading>> readings(std::int64_t meter_id, EpochSeconds from,
                                               EpochSeconds to) override {
    Statement s;
    const std::string sql = std::string("SELECT ") + kReadingColumns +
                            ", raw FROM reading WHERE meter_id = ? AND read_at >= ? AND "
                            "read_at < ? ORDER BY read_at";
    if (!s.prepare(db_, sql.c_str())) return failure("readings");
    s.bind(1, meter_id);
    s.bind(2, from);
    s.bind(3, to);
    std::vector<Reading> out;
    int rc = 0;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(reading_of(s, true));
    if (rc != SQLITE_DONE) return failure("readings");
    return out;
  }

  std::optional<StorageError> exec(const std::string& text) {
    char* message = nullptr;
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message) == SQLITE_OK)
      return std::nullopt;
    StorageError e{"sqlite " + path_ + ": " + (message != nullptr ? message : "error")};
    sqlite3_free(message);
    return e;
  }

 protected:
  StorageResult<SqlResult> sql(const std::string& text,
                               const std::vector<SqlValue>& params) override {
    // The API's queries vary with their filters: keep the cache bounded.
    if (statements_.size() >= kStatementCacheLimit && !statements_.contains(text))
      statements_.clear();
    auto& cached = statements_[text];
    if (!cached) {
      cached = std::make_unique<Statement>();
      if (!cached->prepare(db_, text.c_str())) {
        StorageError e = failure(text.c_str());
        statements_.erase(text);
        return e;
      }
    }
    Statement& s = *cached;
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      std::visit(
          [&](const auto& v) {
            using V = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<V, std::monostate>) {
              sqlite3_bind_null(s.get(), index);
            } else if constexpr (std::is_same_v<V, bool>) {
              s.bind(index, std::int64_t{v ? 1 : 0});
            } else if constexpr (std::is_same_v<V, double>) {
              s.bind(index, std::optional<double>(v));
            } else {
              s.bind(index, v);
            }
          },
          params[i]);
    }
    SqlResult result;
    int rc = 0;
    while ((rc = s.step()) == SQLITE_ROW) {
      SqlRow row;
      const int columns = sqlite3_column_count(s.get());
      for (int c = 0; c < columns; ++c) {
        switch (sqlite3_column_type(s.get(), c)) {
          case SQLITE_INTEGER:
            row.emplace_back(s.integer(c));
            break;
          case SQLITE_FLOAT:
            row.emplace_back(sqlite3_column_double(s.get(), c));
            break;
          case SQLITE_NULL:
            row.emplace_back(std::monostate{});
            break;
          default:
            row.emplace_back(text_of(s, c));
        }
      }
      result.rows.push_back(std::move(row));
    }
    s.reset();
    if (rc != SQLITE_DONE) return failure(text.c_str());
    result.affected = sqlite3_changes(db_);
    return result;
  }

  std::optional<StorageError> transaction(
      const std::function<std::optional<StorageError>()>& body) override {
    if (in_transaction_) return body();  // joins the transaction around it (an import)
    if (auto begun = exec("BEGIN IMMEDIATE")) return begun;
    in_transaction_ = true;
    std::optional<StorageError> e;
    try {
      e = body();
    } catch (...) {
      in_transaction_ = false;
      exec("ROLLBACK");
      throw;
    }
    in_transaction_ = false;
    if (!e) e = exec("COMMIT");
    if (e) exec("ROLLBACK");
    return e;
  }

  StorageResult<std::int64_t> insert_returning_id(const std::string& text,
                                                  const std::vector<SqlValue>& params) override {
    auto done = sql(text, params);
    if (auto* e = std::get_if<StorageError>(&done)) return *e;
    return sqlite3_last_insert_rowid(db_);
  }

 private:
  bool in_transaction_ = false;
  bool prepare_writes() {
    const std::string insert = std::string("INSERT INTO reading (") + kReadingColumns +
                               ", raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                               "ON CONFLICT DO NOTHING";
    prepared_ = insert_reading_.prepare(db_, insert.c_str());
    return prepared_;
  }

  static std::string text_of(const Statement& s, int column) {
    const auto* t = sqlite3_column_text(s.get(), column);
    return t != nullptr ? reinterpret_cast<const char*>(t) : "";
  }

  StorageError failure(const char* what) const {
    return StorageError{"sqlite " + path_ + ": " + what + ": " + sqlite3_errmsg(db_)};
  }

  sqlite3* db_;
  std::string path_;
  bool prepared_ = false;
  Statement insert_reading_;
  std::map<std::string, std::unique_ptr<Statement>> statements_;
};

}  // namespace

StorageResult<std::unique_ptr<Storage>> open_sqlite(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    StorageError e{"sqlite " + path + ": " + (db != nullptr ? sqlite3_errmsg(db) : "cannot open")};
    sqlite3_close_v2(db);
    return e;
  }
  sqlite3_busy_timeout(db, 5000);
  auto storage = std::make_unique<SqliteStorage>(db, path);
  // A 64 MiB page cache and checkpoints every 40 MiB of WAL: a batch of readings touches a
  // leaf page per meter, which then stays in memory and is written back once per checkpoint
  // rather than once per commit.
  for (const char* pragma :
       {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON",
        "PRAGMA cache_size = -65536", "PRAGMA wal_autocheckpoint = 10000"}) {
    if (auto e = storage->exec(pragma)) return *e;
  }
  return std::unique_ptr<Storage>(std::move(storage));
}

}  // namespace heatlink::master::storage
