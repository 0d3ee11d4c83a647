// The production backend: PostgreSQL through libpqxx. Readings are partitioned by month of
// read_at (partitions are created as readings arrive); a batch is one multi-row INSERT ... ON
// CONFLICT DO NOTHING and one upsert of the latest values, in one transaction.
#include <charconv>
#include <ctime>
#include <pqxx/pqxx>
#include <set>

#include "migrations.h"
#include "storage_backends.h"

namespace heatlink::master::storage {

namespace {

constexpr const char* kReadingColumns =
    "meter_id, read_at, received_at, meter_time, energy_kwh, volume_m3, power_kw, flow_m3h, "
    "supply_c, return_c, delta_t_k, operating_hours, status_bits, error_bits, outcome";

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

Reading reading_of(const pqxx::row& row, bool with_raw) {
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

class PostgresqlStorage : public Storage {
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

  StorageResult<std::int64_t> add_station(const StationRecord& station) override {
    return guarded("add station", [&]() -> std::int64_t {
      pqxx::work w(*c_);
      const auto id = w.exec1("INSERT INTO station (name) VALUES (" + w.quote(station.name) +
                              ") RETURNING id")[0]
                          .as<std::int64_t>();
      w.commit();
      return id;
    });
  }

  StorageResult<std::int64_t> add_concentrator(const ConcentratorRecord& c) override {
    return guarded("add concentrator", [&]() -> std::int64_t {
      pqxx::work w(*c_);
      const auto id = w.exec1("INSERT INTO concentrator (station_id, name, dtu_id) VALUES (" +
                              std::to_string(c.station_id) + ", " + w.quote(c.name) + ", " +
                              w.quote(c.dtu_id) + ") RETURNING id")[0]
                          .as<std::int64_t>();
      w.commit();
      return id;
    });
  }

  StorageResult<std::int64_t> add_meter(const MeterRecord& m) override {
    return guarded("add meter", [&]() -> std::int64_t {
      pqxx::work w(*c_);
      const std::string household =
          m.household_id ? std::to_string(*m.household_id) : std::string("NULL");
      const auto id = w.exec1(
                           "INSERT INTO meter (concentrator_id, channel, vendor, model, protocol, "
                           "primary_address, secondary_address, household_id) VALUES (" +
                           std::to_string(m.concentrator_id) + ", " + std::to_string(m.channel) +
                           ", " + w.quote(m.vendor) + ", " + w.quote(m.model) + ", " +
                           std::to_string(static_cast<int>(m.protocol)) + ", " +
                           std::to_string(m.primary_address) + ", " + w.quote(m.secondary_address) +
                           ", " + household + ") RETURNING id")[0]
                          .as<std::int64_t>();
      w.commit();
      return id;
    });
  }

  StorageResult<std::vector<MeterRecord>> meters_of(std::int64_t concentrator_id) override {
    return guarded("meters", [&]() {
      pqxx::work w(*c_);
      std::vector<MeterRecord> out;
      for (const auto& row :
           w.exec("SELECT id, concentrator_id, channel, vendor, model, protocol, primary_address, "
                  "secondary_address, household_id FROM meter WHERE concentrator_id = " +
                  std::to_string(concentrator_id) + " ORDER BY id")) {
        MeterRecord m;
        m.id = row[0].as<std::int64_t>();
        m.concentrator_id = row[1].as<std::int64_t>();
        m.channel = static_cast<std::uint8_t>(row[2].as<int>());
        m.vendor = row[3].as<std::string>();
        m.model = row[4].as<std::string>();
        m.protocol = static_cast<MeterProtocol>(row[5].as<int>());
        m.primary_address = static_cast<std::uint8_t>(row[6].as<int>());
        m.secondary_address = row[7].as<std::string>();
        if (!row[8].is_null()) m.household_id = row[8].as<std::int64_t>();
        out.push_back(std::move(m));
      }
      return out;
    });
  }

  StorageResult<std::vector<ConcentratorRecord>> concentrators() override {
    return guarded("concentrators", [&]() {
      pqxx::work w(*c_);
      std::vector<ConcentratorRecord> out;
      for (const auto& row :
           w.exec("SELECT id, station_id, name, dtu_id FROM concentrator ORDER BY id")) {
        out.push_back({row[0].as<std::int64_t>(), row[1].as<std::int64_t>(),
                       row[2].as<std::string>(), row[3].as<std::string>()});
      }
      return out;
    });
  }

  StorageResult<std::size_t> store_readings(std::span<const Reading> readings) override {
    if (readings.empty()) return std::size_t{0};
    return guarded("store readings", [&]() -> std::size_t {
      ensure_partitions(readings);
      if (!staging_) {  // per session; emptied at every commit
        pqxx::work w(*c_);
        w.exec(
            "CREATE TEMP TABLE reading_staging (LIKE reading INCLUDING DEFAULTS) "
            "ON COMMIT DELETE ROWS");
        w.commit();
        staging_ = true;
      }
      pqxx::work w(*c_);
      {
        // COPY the batch into the staging table: the fastest way in, whatever comes after.
        pqxx::stream_to copy(
            w, "reading_staging",
            std::vector<std::string>{"meter_id", "read_at", "received_at", "meter_time",
                                     "energy_kwh", "volume_m3", "power_kw", "flow_m3h", "supply_c",
                                     "return_c", "delta_t_k", "operating_hours", "status_bits",
                                     "error_bits", "outcome", "raw"});
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
      const pqxx::result added =
          w.exec("INSERT INTO reading SELECT * FROM reading_staging ON CONFLICT DO NOTHING");
      w.exec(
          std::string("INSERT INTO latest_value (") + kReadingColumns +
          ") SELECT DISTINCT ON (meter_id) " + kReadingColumns +
          " FROM reading_staging ORDER BY meter_id, read_at DESC ON CONFLICT (meter_id) DO UPDATE "
          "SET read_at = excluded.read_at, received_at = excluded.received_at, "
          "meter_time = excluded.meter_time, energy_kwh = excluded.energy_kwh, "
          "volume_m3 = excluded.volume_m3, power_kw = excluded.power_kw, "
          "flow_m3h = excluded.flow_m3h, supply_c = excluded.supply_c, "
          "return_c = excluded.return_c, delta_t_k = excluded.delta_t_k, "
          "operating_hours = excluded.operating_hours, status_bits = excluded.status_bits, "
          "error_bits = excluded.error_bits, outcome = excluded.outcome "
          "WHERE excluded.read_at > latest_value.read_at");
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
        out.push_back(reading_of(row, true));
      }
      return out;
    });
  }

  StorageResult<std::optional<Reading>> latest(std::int64_t meter_id) override {
    return guarded("latest values", [&]() {
      pqxx::work w(*c_);
      const auto rows = w.exec(std::string("SELECT ") + kReadingColumns +
                               " FROM latest_value WHERE meter_id = " + std::to_string(meter_id));
      if (rows.empty()) return std::optional<Reading>{};
      return std::optional<Reading>{reading_of(rows[0], false)};
    });
  }

  StorageResult<std::int64_t> count_readings() override {
    return guarded("count readings", [&]() {
      pqxx::work w(*c_);
      return w.exec1("SELECT count(*) FROM reading")[0].as<std::int64_t>();
    });
  }

 private:
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
