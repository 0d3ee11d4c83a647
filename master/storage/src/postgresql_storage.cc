// The production backend: PostgreSQL through libpqxx. Readings are partitioned by month of
// read_at (partitions are created as readings arrive); a batch is one COPY, or - when some of
// it was stored before - a COPY into a staging table and one INSERT ... ON CONFLICT DO NOTHING.
#include <charconv>
#include <ctime>
#include <pqxx/pqxx>
#include <set>

#include "migrations.h"
#include "sql_storage.h"
#include "storage_backends.h"

namespace heatlink::master::storage {

namespace {

std::string protocol_hex(const std::vector<std::uint8_t>& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  text.reserve(bytes.size() * 2);
  for (const std::uint8_t b : bytes) {
    text += kHex[b >> 4];
    text += kHex[b & 0xF];
  }
  return text;
}

std::optional<double> real(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<double>();
}

Reading raw_reading_of(const pqxx::row& row, bool with_raw) {
  Reading r;
  r.meter_id = row[0].as<std::int64_t>();
  r.read_at = row[1].as<std::int64_t>();
  r.received_at = row[2].as<std::int64_t>();
  if (!row[3].is_null()) r.meter_time = row[3].as<std::int64_t>();
  r.energy_kwh = real(row[4]);
  r.volume_m3 = real(row[5]);
  r.power_kw = real(row[6]);
  r.flow_m3h = real(row[7]);
  r.supply_c = real(row[8]);
  r.return_c = real(row[9]);
  r.delta_t_k = real(row[10]);
  r.operating_hours = real(row[11]);
  r.status_bits = static_cast<std::uint32_t>(row[12].as<std::int64_t>());
  r.error_bits = static_cast<std::uint32_t>(row[13].as<std::int64_t>());
  r.outcome = static_cast<ReadOutcome>(row[14].as<int>());
  if (with_raw && !row[15].is_null()) {
    const std::string hex = row[15].as<std::string>();
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
      unsigned byte = 0;
      std::from_chars(hex.data() + i, hex.data() + i + 2, byte, 16);
      r.raw.push_back(static_cast<std::uint8_t>(byte));
    }
  }
  return r;
}

// The first second of the month holding `t` (UTC), and of the month after.
std::pair<EpochSeconds, EpochSeconds> month_of(EpochSeconds t) {
  const std::time_t time = t;
  std::tm utc{};
  gmtime_r(&time, &utc);
  std::tm first{};
  first.tm_year = utc.tm_year;
  first.tm_mon = utc.tm_mon;
  first.tm_mday = 1;
  std::tm next = first;
  next.tm_mon += 1;
  return {timegm(&first), timegm(&next)};
}

class PostgresqlStorage : public SqlStorage {
 public:
  explicit PostgresqlStorage(std::unique_ptr<pqxx::connection> c) : c_(std::move(c)) {}

  const char* backend() const noexcept override { return "postgresql"; }

  StorageResult<int> migrate() override {
    return guarded("migrate", [&]() -> int {
      pqxx::work w(*c_);
      // One migrating master at a time: the others wait here, then find nothing to do.
      w.exec("SELECT pg_advisory_xact_lock(4804)");
      w.exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
          "name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
      int current = w.exec1("SELECT coalesce(max(version), 0) FROM schema_migrations")[0].as<int>();
      for (const Migration& m : postgresql_migrations()) {
        if (m.version <= current) continue;
        w.exec(m.sql);
        w.exec("INSERT INTO schema_migrations VALUES (" + std::to_string(m.version) + ", " +
               w.quote(m.name) + ", " + std::to_string(std::time(nullptr)) + ")");
        current = m.version;
      }
      w.commit();
      return current;
    });
  }

  StorageResult<int> schema_version() override {
    return guarded("schema version", [&]() -> int {
      pqxx::work w(*c_);
      const auto exists = w.exec1("SELECT to_regclass('schema_migrations') IS NOT NULL");
      if (!exists[0].as<bool>()) return 0;
      return w.exec1("SELECT coalesce(max(version), 0) FROM schema_migrations")[0].as<int>();
    });
  }

  StorageResult<std::size_t> store_readings(std::span<const Reading> readings) override {
    if (readings.empty()) return std::size_t{0};
    return guarded("store readings", [&]() -> std::size_t {
      ensure_partitions(readings);
      // Optimistic: COPY straight into the readings, as fast as PostgreSQL takes rows in. A
      // reading stored before (a retried upload, a re-read) breaks the key and undoes the
      // COPY; then the batch goes the idempotent way.
      try {
        pqxx::work w(*c_);
        copy_into(w, "reading", readings);
        w.commit();
        return readings.size();
      } catch (const pqxx::unique_violation&) {
      }
      if (!staging_) {  // per session; emptied at every commit
        pqxx::work w(*c_);
        w.exec(
            "CREATE TEMP TABLE reading_staging (LIKE reading INCLUDING DEFAULTS) "
            "ON COMMIT DELETE ROWS");
        w.commit();
        staging_ = true;
      }
      pqxx::work w(*c_);
      copy_into(w, "reading_staging", readings);
      const pqxx::result added =
          w.exec("INSERT INTO reading SELECT * FROM reading_staging ON CONFLICT DO NOTHING");
      w.commit();
      return static_cast<std::size_t>(added.affected_rows());
    });
  }

  StorageResult<std::vector<Reading>> readings(std::int64_t meter_id, EpochSeconds from,
                                               EpochSeconds to) override {
    return guarded("readings", [&]() {
      pqxx::work w(*c_);
      std::vector<Reading> out;
      for (const auto& row :
           w.exec(std::string("SELECT ") + kReadingColumns +
                  ", encode(raw, 'hex') FROM reading WHERE meter_id = " + std::to_string(meter_id) +
                  " AND read_at >= " + std::to_string(from) + " AND read_at < " +
                  std::to_string(to) + " ORDER BY read_at")) {
        out.push_back(raw_reading_of(row, true));
      }
      return out;
    });
  }

 protected:
  StorageResult<SqlResult> sql(const std::string& text,
                               const std::vector<SqlValue>& params) override {
    return guarded("query", [&]() {
      if (open_ != nullptr) return run(*open_, text, params);
      pqxx::work w(*c_);
      SqlResult result = run(w, text, params);
      w.commit();
      return result;
    });
  }

  std::optional<StorageError> transaction(
      const std::function<std::optional<StorageError>()>& body) override {
    if (open_ != nullptr) return body();  // joins the transaction around it (an import)
    auto done = guarded("transaction", [&]() -> std::optional<StorageError> {
      pqxx::work w(*c_);
      open_ = &w;
      std::optional<StorageError> e;
      try {
        e = body();
      } catch (...) {
        open_ = nullptr;
        throw;
      }
      open_ = nullptr;
      if (!e) w.commit();
      return e;
    });
    if (auto* e = std::get_if<StorageError>(&done)) return *e;
    return std::get<0>(done);
  }

  StorageResult<std::int64_t> insert_returning_id(const std::string& text,
                                                  const std::vector<SqlValue>& params) override {
    auto done = sql(text + " RETURNING id", params);
    if (auto* e = std::get_if<StorageError>(&done)) return *e;
    return as_integer(std::get<SqlResult>(done).rows.at(0).at(0));
  }

 private:
  // Runs a statement with its `?` parameters bound as $1, $2, ... (never written into the
  // text). Numbers and booleans carry their type, as a literal of theirs would; text and
  // NULL take the type the statement gives them.
  SqlResult run(pqxx::work& w, const std::string& text, const std::vector<SqlValue>& params) {
    std::string statement;
    std::vector<std::string> values;
    values.reserve(params.size());
    std::vector<const char*> bound;  // nullptr: NULL
    bound.reserve(params.size());
    bool quoted = false;
    for (const char ch : text) {
      if (ch == '\'') quoted = !quoted;
      if (ch != '?' || quoted) {
        statement += ch;
        continue;
      }
      if (bound.size() >= params.size())
        throw std::invalid_argument("more ? than parameters in: " + text);
      const SqlValue& v = params[bound.size()];
      statement += '$' + std::to_string(bound.size() + 1);
      if (const auto* i = std::get_if<std::int64_t>(&v)) {
        values.push_back(std::to_string(*i));
        statement += "::int8";
      } else if (const auto* d = std::get_if<double>(&v)) {
        values.push_back(pqxx::to_string(*d));
        statement += "::float8";
      } else if (const auto* t = std::get_if<std::string>(&v)) {
        values.push_back(*t);
      } else if (const auto* b = std::get_if<bool>(&v)) {
        values.push_back(*b ? "true" : "false");
        statement += "::boolean";
      } else {
        bound.push_back(nullptr);
        continue;
      }
      bound.push_back(values.back().c_str());
    }
    if (bound.size() != params.size())
      throw std::invalid_argument("fewer ? than parameters in: " + text);
    const pqxx::result r = w.exec_params(statement, pqxx::prepare::make_dynamic_params(bound));
    SqlResult result;
    result.affected = static_cast<std::int64_t>(r.affected_rows());
    for (const auto& row : r) {
      SqlRow out;
      for (pqxx::row::size_type c = 0; c < row.size(); ++c) {
        const pqxx::field f = row[c];
        if (f.is_null()) {
          out.emplace_back(std::monostate{});
          continue;
        }
        switch (r.column_type(c)) {
          case 16:  // boolean
            out.emplace_back(std::int64_t{f.as<bool>() ? 1 : 0});
            break;
          case 20:  // bigint, smallint, integer
          case 21:
          case 23:
            out.emplace_back(f.as<std::int64_t>());
            break;
          case 700:  // real, double precision, numeric
          case 701:
          case 1700:
            out.emplace_back(f.as<double>());
            break;
          default:
            out.emplace_back(f.as<std::string>());
        }
      }
      result.rows.push_back(std::move(out));
    }
    return result;
  }

  // Runs `body`, turning libpqxx's exceptions into a StorageError (DESIGN.md rule 3).
  template <class F>
  auto guarded(const char* what, F&& body) -> StorageResult<decltype(body())> {
    try {
      return body();
    } catch (const std::exception& e) {
      std::string message = e.what();
      while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
        message.pop_back();
      return StorageError{std::string("postgresql: ") + what + ": " + message};
    }
  }

  static void copy_into(pqxx::work& w, const char* table, std::span<const Reading> readings) {
    pqxx::stream_to copy(
        w, table,
        std::vector<std::string>{"meter_id", "read_at", "received_at", "meter_time", "energy_kwh",
                                 "volume_m3", "power_kw", "flow_m3h", "supply_c", "return_c",
                                 "delta_t_k", "operating_hours", "status_bits", "error_bits",
                                 "outcome", "raw"});
    for (const Reading& r : readings) {
      std::optional<std::string> raw;
      if (!r.raw.empty()) raw = "\\x" + protocol_hex(r.raw);
      copy << std::make_tuple(r.meter_id, r.read_at, r.received_at, r.meter_time, r.energy_kwh,
                              r.volume_m3, r.power_kw, r.flow_m3h, r.supply_c, r.return_c,
                              r.delta_t_k, r.operating_hours, std::int64_t{r.status_bits},
                              std::int64_t{r.error_bits},
                              static_cast<int>(static_cast<std::uint8_t>(r.outcome)), raw);
    }
    copy.complete();
  }

  // Creates the monthly partitions the batch needs, once per month per process.
  void ensure_partitions(std::span<const Reading> readings) {
    std::set<EpochSeconds> months;
    for (const Reading& r : readings) {
      const auto [start, end] = month_of(r.read_at);
      if (partitions_.count(start) == 0) months.insert(start);
    }
    for (const EpochSeconds start : months) {
      const auto [from, to] = month_of(start);
      const std::time_t t = from;
      std::tm utc{};
      gmtime_r(&t, &utc);
      char name[32];
      std::snprintf(name, sizeof name, "reading_%04d%02d", utc.tm_year + 1900, utc.tm_mon + 1);
      pqxx::work w(*c_);
      w.exec("SELECT pg_advisory_xact_lock(4805)");  // masters sharing the database take turns
      w.exec(std::string("CREATE TABLE IF NOT EXISTS ") + name +
             " PARTITION OF reading FOR VALUES FROM (" + std::to_string(from) + ") TO (" +
             std::to_string(to) + ")");
      w.commit();
      partitions_.insert(start);
    }
  }

  std::unique_ptr<pqxx::connection> c_;
  std::set<EpochSeconds> partitions_;
  bool staging_ = false;
  pqxx::work* open_ = nullptr;  // the transaction statements join, while one is open
};

}  // namespace

StorageResult<std::unique_ptr<Storage>> open_postgresql(const std::string& connection) {
  try {
    auto c = std::make_unique<pqxx::connection>(connection);
    return std::unique_ptr<Storage>(std::make_unique<PostgresqlStorage>(std::move(c)));
  } catch (const std::exception& e) {
    std::string message = e.what();
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
      message.pop_back();
    return StorageError{"postgresql: cannot connect: " + message};
  }
}

}  // namespace heatlink::master::storage
