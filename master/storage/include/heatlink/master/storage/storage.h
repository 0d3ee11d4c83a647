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
#include <utility>
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

class SqlDatabase;

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
  // The energy register's step as the meter shows it (0.01 MWh: 10 kWh), from the telegram;
  // for the fault rules at read time, not stored.
  std::optional<double> energy_step_kwh;

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

// How the master reads a concentrator: meter by meter through it (transparent), or by
// collecting the readings it took on its own read cycle (HM-660 concentrator mode, A8/A9).
enum class ConcentratorMode : std::uint8_t { transparent = 0, collect = 1 };

struct ConcentratorRecord {
  std::int64_t id = 0;
  std::int64_t station_id = 0;
  std::string name;
  std::string dtu_id;  // the ID its DTU registers with; empty: on a serial port
  std::optional<std::int64_t> community_id;
  ConcentratorMode mode = ConcentratorMode::transparent;
};

struct StationRecord {
  std::int64_t id = 0;
  std::string name;
};

struct CommunityRecord {
  std::int64_t id = 0;
  std::int64_t station_id = 0;
  std::string name;
};

// A telegram whose identity (M-Bus: ID, manufacturer, version, medium of its header; CJ/T 188:
// its address) is not that of the meter the base information has at the address it was read
// from - a meter swapped and not filed, another district's concentrator behind a cloned DTU
// ID. Kept aside, never filed under a meter, until an operator says whose it is.
struct UnassignedReading {
  std::int64_t id = 0;
  std::int64_t concentrator_id = 0;
  std::uint8_t channel = 0;
  std::uint8_t primary_address = 0;
  std::string identity;           // what answered, as MeterRecord::secondary_address writes it
  std::int64_t meter_id = 0;      // the meter read (0: none at that address)
  std::string expected_identity;  // that meter's, per the base information
  Reading reading;                // the values (reading.meter_id is not used)
  std::string status = "open";    // open, replacement, new_meter, dismissed
};

// A meter replacement (换表) as filed: at `replaced_at` the meter of the household was swapped
// for one with `new_identity`; the old one's final registers and the new one's first.
struct ReplacementRecord {
  std::int64_t id = 0;
  std::int64_t meter_id = 0;
  EpochSeconds replaced_at = 0;
  std::string old_identity;
  std::string new_identity;
  double old_final_kwh = 0;
  double new_start_kwh = 0;
  std::optional<double> old_final_m3;
  std::optional<double> new_start_m3;
  EpochSeconds filed_at = 0;
  std::string filed_by;
};

// A meter without a reading since some time, and the time of its newest one (empty: never).
struct MeterSilence {
  std::int64_t meter_id = 0;
  std::int64_t concentrator_id = 0;
  std::optional<EpochSeconds> last_read_at;
};

// A scheduled cycle of one concentrator: the slot is the scheduled time it belongs to. One
// master claims it; masters sharing a database never read a concentrator twice in a slot.
struct CycleClaim {
  std::int64_t concentrator_id = 0;
  EpochSeconds slot = 0;
  bool settlement = false;  // the cycle's readings are the day's settlement values
  std::string master;       // the claiming master's name
};

// A manual read asked for ahead of the schedule (by the API, the CLI or a script).
struct ReadJob {
  std::int64_t id = 0;
  // "meter" (target: its id), "concentrator" or "community" (its name), "valve_open" or
  // "valve_close" (a CJ/T 188 meter's id: the valve driven and confirmed, then the meter read),
  // "archive" (a concentrator's name: its HM-660 meter archive read, listed in the detail),
  // "scan" (a concentrator's name: a wildcard secondary scan of its bus, in slices that leave
  // the schedule its slots; progress and the addresses found in the detail)
  std::string kind;
  std::string target;
  EpochSeconds requested_at = 0;
  std::optional<EpochSeconds> started_at;
  std::optional<EpochSeconds> finished_at;
  std::string status = "queued";  // queued, running, done, failed
  std::string detail;             // the outcome in JSON, or why it failed
  std::string claimed_by;
};

// A fault event as stored: raised, and cleared once cleared_at is set. meter_id 0: a fault
// of the concentrator's bus rather than of one meter.
struct FaultRecord {
  std::int64_t id = 0;
  std::int64_t meter_id = 0;
  std::int64_t concentrator_id = 0;
  std::string code;
  std::uint8_t severity = 2;  // 1 info, 2 warning, 3 alarm
  EpochSeconds raised_at = 0;
  std::optional<EpochSeconds> cleared_at;
  std::string detail;
};

// A custom fault rule as the heat company stored it: `field op threshold` for persistence_s.
struct FaultRuleRecord {
  std::int64_t id = 0;
  std::string name;
  std::string field;
  std::string op;
  double threshold = 0;
  EpochSeconds persistence_s = 0;
  std::uint8_t severity = 2;
  bool enabled = true;
};

// A meter's registers at a settlement time (00:00 local): what a day is billed from.
struct SettlementRecord {
  std::int64_t meter_id = 0;
  EpochSeconds taken_at = 0;
  std::optional<double> energy_kwh;
  std::optional<double> volume_m3;
};

// A meter's consumption in one period ("day", "month", "quarter", "year", "heating_season").
struct AggregateRecord {
  std::int64_t meter_id = 0;
  std::string period;
  EpochSeconds period_start = 0;
  std::optional<double> energy_kwh;  // empty: a boundary lies outside the readings
  std::optional<double> volume_m3;
  bool interpolated = false;
  // A register fell in the period with no replacement filed: the figure bridges the fall and
  // is at most what was used (consumption.h).
  bool suspect = false;
};

// The sum over the meters of a building, community or station.
struct RollupRecord {
  std::string scope;  // "building", "community", "station"
  std::int64_t scope_id = 0;
  std::string period;
  EpochSeconds period_start = 0;
  std::optional<double> energy_kwh;
  std::optional<double> volume_m3;
  std::int64_t meters = 0;    // meters in the scope
  std::int64_t complete = 0;  // of which with a figure for the period
  bool interpolated = false;
  std::int64_t suspect = 0;  // of which with a suspect figure (AggregateRecord::suspect)
};

class Storage {
 public:
  virtual ~Storage() = default;

  // The database underneath, for queries the interface does not name (the web API's).
  virtual SqlDatabase& database() = 0;

  // "sqlite", "postgresql".
  virtual const char* backend() const noexcept = 0;
  // Applies every migration newer than the database's version; returns the version reached.
  virtual StorageResult<int> migrate() = 0;
  virtual StorageResult<int> schema_version() = 0;

  // The base information.
  virtual StorageResult<std::int64_t> add_station(const StationRecord& station) = 0;
  virtual StorageResult<std::int64_t> add_community(const CommunityRecord& community) = 0;
  virtual StorageResult<std::int64_t> add_concentrator(const ConcentratorRecord& c) = 0;
  virtual StorageResult<std::int64_t> add_meter(const MeterRecord& meter) = 0;
  // Many meters in one transaction (an import); sets their ids.
  virtual StorageResult<std::size_t> add_meters(std::span<MeterRecord> meters) = 0;
  virtual StorageResult<std::vector<MeterRecord>> meters_of(std::int64_t concentrator_id) = 0;
  virtual StorageResult<std::optional<MeterRecord>> meter(std::int64_t meter_id) = 0;
  virtual StorageResult<std::vector<ConcentratorRecord>> concentrators() = 0;
  virtual StorageResult<std::vector<CommunityRecord>> communities() = 0;
  virtual StorageResult<std::vector<StationRecord>> stations() = 0;
  virtual StorageResult<std::int64_t> count_meters() = 0;

  // Stores `readings` in one transaction, skipping those already stored (same meter and
  // read_at), and moves each meter's latest values forward. Returns how many were new.
  virtual StorageResult<std::size_t> store_readings(std::span<const Reading> readings) = 0;
  // The readings of a meter with read_at in [from, to), oldest first.
  virtual StorageResult<std::vector<Reading>> readings(std::int64_t meter_id, EpochSeconds from,
                                                       EpochSeconds to) = 0;
  // The newest reading of a meter, if any.
  virtual StorageResult<std::optional<Reading>> latest(std::int64_t meter_id) = 0;
  virtual StorageResult<std::int64_t> count_readings() = 0;
  // The latest reading with an energy register of every meter of a concentrator that has one
  // (a register the meter sent as an error value is nothing to compare the next one with).
  virtual StorageResult<std::vector<Reading>> latest_of(std::int64_t concentrator_id) = 0;

  // Telegrams of the wrong meter (UnassignedReading); one kept per concentrator, identity and
  // read_at. Returns how many were new.
  virtual StorageResult<std::size_t> store_unassigned(std::span<const UnassignedReading> r) = 0;
  // The unassigned readings taken at a meter's address, oldest first.
  virtual StorageResult<std::vector<UnassignedReading>> unassigned_of(std::int64_t meter_id) = 0;
  // Files a replacement in one transaction: the meter takes the new identity, and the readings
  // of it kept unassigned at the meter's address since `replaced_at` become the meter's.
  // Returns the replacement's id.
  virtual StorageResult<std::int64_t> file_replacement(const ReplacementRecord& replacement) = 0;
  // Adds `meter` for an identity that answered at meter `at`'s address, its open unassigned
  // readings there becoming the new meter's; one transaction. Returns the new meter's id.
  virtual StorageResult<std::int64_t> add_meter_of(const MeterRecord& meter, std::int64_t at,
                                                   const std::string& identity,
                                                   EpochSeconds now) = 0;
  // The replacements of a concentrator's meters, by meter, oldest first: settling asks once
  // per concentrator, not once per meter.
  virtual StorageResult<std::vector<ReplacementRecord>> replacements_on(
      std::int64_t concentrator_id) = 0;

  // Meters with no reading whose values refer to `since` or later.
  virtual StorageResult<std::vector<MeterSilence>> meters_silent_since(EpochSeconds since) = 0;
  // DTUs with a session at `now` on this master; masters sharing the database each mark theirs.
  virtual StorageResult<std::size_t> mark_dtus_seen(std::span<const std::string> dtu_ids,
                                                    EpochSeconds now) = 0;
  // When each DTU was last seen with a session, by any master.
  virtual StorageResult<std::vector<std::pair<std::string, EpochSeconds>>> dtus_last_seen() = 0;

  // Scheduled cycles. claim_cycle() is true when the caller may run the cycle: nobody had
  // claimed it, or it is the caller's own unfinished claim (a restart), or its claimant has
  // held it unfinished for longer than `lease_s` (a master that died and did not come back).
  virtual StorageResult<bool> claim_cycle(const CycleClaim& claim, EpochSeconds now,
                                          EpochSeconds lease_s) = 0;
  virtual StorageResult<bool> finish_cycle(const CycleClaim& claim, EpochSeconds now,
                                           std::size_t read, std::size_t failed) = 0;
  // A slot that ended with its cycle not run to the end: nobody claimed it (the DTU away), or
  // the caller claimed it and did not finish it (queued behind a cycle that overran, cut off
  // and not resumed). It is kept finished at `at` and missed; a slot another master holds or
  // finished is left alone. True when this call marked it.
  virtual StorageResult<bool> miss_cycle(const CycleClaim& claim, EpochSeconds at) = 0;
  // The newest slot of a concentrator with a cycle claimed, finished or missed; none when it
  // was never read.
  virtual StorageResult<std::optional<EpochSeconds>> latest_cycle_slot(
      std::int64_t concentrator_id) = 0;
  // The meters of a concentrator with a reading received at or after `since`.
  virtual StorageResult<std::vector<std::int64_t>> read_since(std::int64_t concentrator_id,
                                                              EpochSeconds since) = 0;

  // Manual reads. claim_read_job() is true for the one master that takes the job.
  virtual StorageResult<std::int64_t> queue_read_job(const ReadJob& job) = 0;
  virtual StorageResult<std::vector<ReadJob>> queued_read_jobs() = 0;
  // The jobs `master` claimed and has not finished: after a restart, what it was doing.
  virtual StorageResult<std::vector<ReadJob>> running_read_jobs(const std::string& master) = 0;
  virtual StorageResult<bool> claim_read_job(std::int64_t id, const std::string& master,
                                             EpochSeconds now) = 0;
  // A master says it is alive in the jobs it runs; the jobs of another master not alive since
  // `before` (it died for good, or lost the database) are orphans another master takes over.
  virtual StorageResult<bool> keep_read_jobs(const std::string& master, EpochSeconds now) = 0;
  virtual StorageResult<std::vector<ReadJob>> orphaned_read_jobs(const std::string& master,
                                                                 EpochSeconds before) = 0;
  virtual StorageResult<bool> take_over_read_job(std::int64_t id, const std::string& master,
                                                 EpochSeconds before, EpochSeconds now) = 0;
  virtual StorageResult<bool> finish_read_job(std::int64_t id, const std::string& status,
                                              const std::string& detail, EpochSeconds now) = 0;
  // A running job's progress (a scan's selections and meters found so far), in its detail.
  virtual StorageResult<bool> report_read_job(std::int64_t id, const std::string& detail) = 0;
  virtual StorageResult<std::optional<ReadJob>> read_job(std::int64_t id) = 0;

  // Faults: a record without cleared_at raises, with cleared_at clears the open event of its
  // meter (and concentrator) and code. One transaction.
  virtual StorageResult<std::size_t> record_faults(std::span<const FaultRecord> changes) = 0;
  virtual StorageResult<std::vector<FaultRecord>> open_faults() = 0;
  virtual StorageResult<std::vector<FaultRecord>> faults_of(std::int64_t meter_id) = 0;
  virtual StorageResult<std::int64_t> add_fault_rule(const FaultRuleRecord& rule) = 0;
  virtual StorageResult<std::vector<FaultRuleRecord>> fault_rules() = 0;

  // Settlement values and aggregates; writing one again replaces it.
  virtual StorageResult<std::size_t> store_settlements(std::span<const SettlementRecord> s) = 0;
  virtual StorageResult<std::vector<SettlementRecord>> settlements(std::int64_t meter_id) = 0;
  virtual StorageResult<std::size_t> store_aggregates(std::span<const AggregateRecord> a) = 0;
  virtual StorageResult<std::vector<AggregateRecord>> aggregates(std::int64_t meter_id,
                                                                 const std::string& period) = 0;
  // Sums the stored aggregates of `period` starting at `period_start` over the buildings,
  // community and station the concentrator's meters belong to.
  virtual StorageResult<std::size_t> roll_up(std::int64_t concentrator_id,
                                             const std::string& period,
                                             EpochSeconds period_start) = 0;
  virtual StorageResult<std::vector<RollupRecord>> rollups(const std::string& scope,
                                                           std::int64_t scope_id,
                                                           const std::string& period) = 0;
};

// Opens "sqlite:PATH" (created when missing) or "postgresql://..." (libpq's URI or key=value
// text after "postgresql:"). Does not migrate.
StorageResult<std::unique_ptr<Storage>> open_storage(const std::string& url);

}  // namespace heatlink::master
