// The master's storage (DESIGN.md rule 7): one interface, two real backends - SQLite (the
// embedded default, WAL) and PostgreSQL (production, several masters on one database).
//
// Writing a reading is idempotent: a reading is keyed by its meter and the time its values
// refer to, so a retried upload or a re-read of the same values never duplicates. When
// store_readings() returns, the readings are committed: they survive a kill -9 of the master.
//
// A Storage is used by one thread at a time; open one per thread that needs one.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace heatlink::master {

// An error in words, naming the backend and what failed: "sqlite heatlink.db: database is
// locked", "postgresql: relation \"reading\" does not exist".
struct StorageError {
  std::string message;
};

template <class T>
using StorageResult = std::variant<T, StorageError>;

// Seconds since the Unix epoch, UTC.
using EpochSeconds = std::int64_t;

enum class ReadOutcome : std::uint8_t { ok = 0, no_answer = 1, garbled = 2, refused = 3 };
const char* read_outcome_name(ReadOutcome outcome) noexcept;

// One reading of one meter, in the units of DESIGN.md rule 8. A value the meter did not
// report is empty.
struct Reading {
  std::int64_t meter_id = 0;
  EpochSeconds read_at = 0;      // the time the values refer to: the key with meter_id
  EpochSeconds received_at = 0;  // when the server got them
  std::optional<EpochSeconds> meter_time;
  std::optional<double> energy_kwh;
  std::optional<double> volume_m3;
  std::optional<double> power_kw;
  std::optional<double> flow_m3h;
  std::optional<double> supply_c;
  std::optional<double> return_c;
  std::optional<double> delta_t_k;
  std::optional<double> operating_hours;
  std::uint32_t status_bits = 0;
  std::uint32_t error_bits = 0;
  ReadOutcome outcome = ReadOutcome::ok;
  std::vector<std::uint8_t> raw;  // the telegram, when kept

  bool operator==(const Reading&) const = default;
};

enum class MeterProtocol : std::uint8_t { mbus = 0, cjt188 = 1 };

// A meter in the base information.
struct MeterRecord {
  std::int64_t id = 0;  // assigned by add_meter()
  std::int64_t concentrator_id = 0;
  std::uint8_t channel = 0;
  std::string vendor;  // "KAM", "HYD", "DFS", a CJ/T 188 maker
  std::string model;
  MeterProtocol protocol = MeterProtocol::mbus;
  std::uint8_t primary_address = 0;
  std::string secondary_address;  // 16 hex digits, or the CJ/T 188 address (14 digits)
  std::optional<std::int64_t> household_id;
};

struct ConcentratorRecord {
  std::int64_t id = 0;
  std::int64_t station_id = 0;
  std::string name;
  std::string dtu_id;  // the ID its DTU registers with; empty: on a serial port
};

struct StationRecord {
  std::int64_t id = 0;
  std::string name;
};

class Storage {
 public:
  virtual ~Storage() = default;

  // "sqlite", "postgresql".
  virtual const char* backend() const noexcept = 0;
  // Applies every migration newer than the database's version; returns the version reached.
  virtual StorageResult<int> migrate() = 0;
  virtual StorageResult<int> schema_version() = 0;

  virtual StorageResult<std::int64_t> add_station(const StationRecord& station) = 0;
  virtual StorageResult<std::int64_t> add_concentrator(const ConcentratorRecord& c) = 0;
  virtual StorageResult<std::int64_t> add_meter(const MeterRecord& meter) = 0;
  virtual StorageResult<std::vector<MeterRecord>> meters_of(std::int64_t concentrator_id) = 0;
  virtual StorageResult<std::vector<ConcentratorRecord>> concentrators() = 0;

  // Stores `readings` in one transaction, skipping those already stored (same meter and
  // read_at), and moves each meter's latest values forward. Returns how many were new.
  virtual StorageResult<std::size_t> store_readings(std::span<const Reading> readings) = 0;
  // The readings of a meter with read_at in [from, to), oldest first.
  virtual StorageResult<std::vector<Reading>> readings(std::int64_t meter_id, EpochSeconds from,
                                                       EpochSeconds to) = 0;
  // The newest reading of a meter, if any.
  virtual StorageResult<std::optional<Reading>> latest(std::int64_t meter_id) = 0;
  virtual StorageResult<std::int64_t> count_readings() = 0;
};

// Opens "sqlite:PATH" (created when missing) or "postgresql://..." (libpq's URI or key=value
// text after "postgresql:"). Does not migrate.
StorageResult<std::unique_ptr<Storage>> open_storage(const std::string& url);

}  // namespace heatlink::master
