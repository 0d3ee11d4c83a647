// Readings stored per second through the Storage interface, against a plain bulk insert of
// the same rows into the same database: SQLite with one prepared INSERT in large
// transactions, PostgreSQL with COPY. The ratio is the figure (docs/BENCHMARKS.md). Also the
// time latest_of() takes for a concentrator of 300 meters with a year of hourly readings.
//
// Usage: bench_storage [ROWS] [BATCH]; PostgreSQL when HEATLINK_BENCH_POSTGRESQL names a
// database (it creates and drops its own schemas there).
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "heatlink/master/storage/storage.h"

namespace {

namespace master = heatlink::master;
using Clock = std::chrono::steady_clock;

std::vector<master::Reading> make_readings(std::size_t rows) {
  std::vector<master::Reading> out(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    master::Reading& r = out[i];
    r.meter_id = static_cast<std::int64_t>(i % 10'000) + 1;
    r.read_at = 1'796'083'200 + static_cast<master::EpochSeconds>(i / 10'000) * 3600;
    r.received_at = r.read_at + 2;
    r.meter_time = r.read_at;
    r.energy_kwh = 1000.0 + static_cast<double>(i % 977);
    r.volume_m3 = 10.0 + static_cast<double>(i % 89) / 10;
    r.power_kw = 4.2;
    r.flow_m3h = 0.18;
    r.supply_c = 68.25;
    r.return_c = 41.5;
    r.delta_t_k = 26.75;
    r.operating_hours = 12'345;
  }
  return out;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double through_storage(master::Storage& storage, const std::vector<master::Reading>& rows,
                       std::size_t batch) {
  const auto start = Clock::now();
  for (std::size_t i = 0; i < rows.size(); i += batch) {
    const std::size_t n = std::min(batch, rows.size() - i);
    const auto stored = storage.store_readings(std::span(rows).subspan(i, n));
    if (std::holds_alternative<master::StorageError>(stored)) {
      std::fprintf(stderr, "%s\n", std::get<master::StorageError>(stored).message.c_str());
      std::exit(1);
    }
  }
  return static_cast<double>(rows.size()) / seconds_since(start);
}

double sqlite_plain(const std::string& path, const std::vector<master::Reading>& rows) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
  sqlite3_exec(db,
               "CREATE TABLE plain (meter_id INTEGER NOT NULL, read_at INTEGER NOT NULL, "
               "received_at INTEGER, meter_time INTEGER, energy_kwh REAL, volume_m3 REAL, "
               "power_kw REAL, flow_m3h REAL, supply_c REAL, return_c REAL, delta_t_k REAL, "
               "operating_hours REAL, status_bits INTEGER, error_bits INTEGER, outcome INTEGER, "
               "raw BLOB, PRIMARY KEY (meter_id, read_at)) WITHOUT ROWID",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO plain VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,NULL)", -1, &s,
                     nullptr);
  const auto start = Clock::now();
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const master::Reading& r = rows[i];
    sqlite3_bind_int64(s, 1, r.meter_id);
    sqlite3_bind_int64(s, 2, r.read_at);
    sqlite3_bind_int64(s, 3, r.received_at);
    sqlite3_bind_int64(s, 4, *r.meter_time);
    const double values[] = {*r.energy_kwh, *r.volume_m3, *r.power_kw,  *r.flow_m3h,
                             *r.supply_c,   *r.return_c,  *r.delta_t_k, *r.operating_hours};
    for (int k = 0; k < 8; ++k) sqlite3_bind_double(s, 5 + k, values[k]);
    sqlite3_bind_int64(s, 13, 0);
    sqlite3_bind_int64(s, 14, 0);
    sqlite3_bind_int64(s, 15, 0);
    sqlite3_step(s);
    sqlite3_reset(s);
    if (i % 100'000 == 99'999) sqlite3_exec(db, "COMMIT; BEGIN", nullptr, nullptr, nullptr);
  }
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  const double rate = static_cast<double>(rows.size()) / seconds_since(start);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return rate;
}

double postgresql_copy(const std::string& url, const std::vector<master::Reading>& rows) {
  pqxx::connection c(url);
  {
    pqxx::work w(c);
    w.exec("CREATE TABLE plain (LIKE reading INCLUDING DEFAULTS)");
    w.exec("ALTER TABLE plain ADD PRIMARY KEY (meter_id, read_at)");
    w.commit();
  }
  const auto start = Clock::now();
  pqxx::work w(c);
  pqxx::stream_to copy(w, "plain",
                       std::vector<std::string>{
                           "meter_id", "read_at", "received_at", "meter_time", "energy_kwh",
                           "volume_m3", "power_kw", "flow_m3h", "supply_c", "return_c", "delta_t_k",
                           "operating_hours", "status_bits", "error_bits", "outcome"});
  for (const master::Reading& r : rows) {
    copy << std::make_tuple(r.meter_id, r.read_at, r.received_at, *r.meter_time, *r.energy_kwh,
                            *r.volume_m3, *r.power_kw, *r.flow_m3h, *r.supply_c, *r.return_c,
                            *r.delta_t_k, *r.operating_hours, 0, 0, 0);
  }
  copy.complete();
  w.commit();
  return static_cast<double>(rows.size()) / seconds_since(start);
}

// The fault monitor's start of a cycle: the latest reading with a register of each of a
// concentrator's 300 meters, each with `hours` hourly readings (the newest without a
// register: the walk back must stop at the one before, not read the meter's history).
double latest_of_ms(master::Storage& storage, std::size_t hours) {
  const auto station = std::get<std::int64_t>(storage.add_station({0, "bench"}));
  const auto concentrator = std::get<std::int64_t>(
      storage.add_concentrator({0, station, "hm660-bench", "13800000999", std::nullopt}));
  std::vector<master::Reading> rows;
  for (int k = 0; k < 300; ++k) {
    master::MeterRecord m;
    m.concentrator_id = concentrator;
    const auto id = std::get<std::int64_t>(storage.add_meter(m));
    for (std::size_t h = 0; h < hours; ++h) {
      master::Reading r;
      r.meter_id = id;
      r.read_at = r.received_at = 1'796'083'200 + static_cast<master::EpochSeconds>(h) * 3600;
      if (h + 1 < hours) r.energy_kwh = static_cast<double>(h);
      rows.push_back(r);
    }
  }
  through_storage(storage, rows, 50'000);
  const auto start = Clock::now();
  const auto latest = storage.latest_of(concentrator);
  const double ms = seconds_since(start) * 1000;
  const auto* found = std::get_if<std::vector<master::Reading>>(&latest);
  if (found == nullptr || found->size() != 300) {
    std::fprintf(stderr, "latest_of: not 300 meters\n");
    std::exit(1);
  }
  return ms;
}

std::unique_ptr<master::Storage> open(const std::string& url) {
  auto opened = master::open_storage(url);
  if (auto* e = std::get_if<master::StorageError>(&opened)) {
    std::fprintf(stderr, "%s\n", e->message.c_str());
    std::exit(1);
  }
  auto storage = std::move(std::get<std::unique_ptr<master::Storage>>(opened));
  storage->migrate();
  return storage;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t rows = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  const std::size_t batch = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 300;
  const auto readings = make_readings(rows);

  const std::string dir = std::filesystem::temp_directory_path() / "heatlink-bench-storage";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto sqlite = open("sqlite:" + dir + "/storage.db");
  const double stored = through_storage(*sqlite, readings, batch);
  const double plain = sqlite_plain(dir + "/plain.db", readings);
  std::printf(
      "sqlite      rows=%zu batch=%zu storage=%.0f rows/s plain_insert=%.0f rows/s ratio=%.2f\n",
      rows, batch, stored, plain, stored / plain);
  const std::size_t hours = 8760;  // a year of hourly readings per meter
  std::printf("sqlite      latest_of: 300 meters x %zu readings in %.1f ms\n", hours,
              latest_of_ms(*open("sqlite:" + dir + "/latest.db"), hours));
  std::filesystem::remove_all(dir);

  if (const char* pg = std::getenv("HEATLINK_BENCH_POSTGRESQL")) {
    const std::string base = pg;
    const std::string sep = base.find('?') == std::string::npos ? "?" : "&";
    {
      pqxx::connection c(base);
      pqxx::work w(c);
      w.exec("DROP SCHEMA IF EXISTS bench_storage CASCADE; CREATE SCHEMA bench_storage");
      w.exec("DROP SCHEMA IF EXISTS bench_plain CASCADE; CREATE SCHEMA bench_plain");
      w.commit();
    }
    auto postgresql = open(base + sep + "options=-csearch_path%3Dbench_storage");
    const double pg_stored = through_storage(*postgresql, readings, batch);
    // COPY into a table shaped like `reading`, beside a migrated schema.
    open(base + sep + "options=-csearch_path%3Dbench_plain");
    const double pg_copy =
        postgresql_copy(base + sep + "options=-csearch_path%3Dbench_plain", readings);
    std::printf("postgresql  rows=%zu batch=%zu storage=%.0f rows/s copy=%.0f rows/s ratio=%.2f\n",
                rows, batch, pg_stored, pg_copy, pg_stored / pg_copy);
  }
  return 0;
}
