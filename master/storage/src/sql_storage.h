// What both backends share: everything but the reading fast path, written once in the SQL
// that SQLite and PostgreSQL both speak. A backend runs a statement with `?` parameters, and
// a group of statements as one transaction.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "heatlink/master/storage/sql_database.h"
#include "heatlink/master/storage/storage.h"

namespace heatlink::master::storage {

using master::as_integer;
using master::as_optional_integer;
using master::as_optional_real;
using master::as_text;
using master::optional_value;
using master::SqlResult;
using master::SqlRow;
using master::SqlValue;

// A reading's columns but its raw telegram, in the order reading_of() reads them.
inline constexpr const char* kReadingColumns =
    "meter_id, read_at, received_at, meter_time, energy_kwh, volume_m3, power_kw, flow_m3h, "
    "supply_c, return_c, delta_t_k, operating_hours, status_bits, error_bits, outcome";
Reading reading_of(const SqlRow& row);

// Turns each row of a result into a T.
template <class T, class Convert>
StorageResult<std::vector<T>> rows_of(StorageResult<SqlResult> result, Convert convert) {
  if (auto* e = std::get_if<StorageError>(&result)) return *e;
  std::vector<T> out;
  out.reserve(std::get<SqlResult>(result).rows.size());
  for (const SqlRow& row : std::get<SqlResult>(result).rows) out.push_back(convert(row));
  return out;
}

template <class T>
StorageResult<std::optional<T>> first_of(StorageResult<std::vector<T>> rows) {
  if (auto* e = std::get_if<StorageError>(&rows)) return *e;
  auto& list = std::get<std::vector<T>>(rows);
  if (list.empty()) return std::optional<T>{};
  return std::optional<T>{std::move(list.front())};
}

class SqlStorage : public Storage, public SqlDatabase {
 public:
  SqlDatabase& database() override { return *this; }
  const char* dialect() const noexcept override { return backend(); }
  StorageResult<SqlResult> query(const std::string& text,
                                 const std::vector<SqlValue>& params) override {
    return sql(text, params);
  }
  std::optional<StorageError> in_transaction(
      const std::function<std::optional<StorageError>()>& body) override {
    return transaction(body);
  }
  StorageResult<std::int64_t> insert_id(const std::string& text,
                                        const std::vector<SqlValue>& params) override {
    return insert_returning_id(text, params);
  }

  StorageResult<std::int64_t> add_station(const StationRecord& station) override;
  StorageResult<std::int64_t> add_community(const CommunityRecord& community) override;
  StorageResult<std::int64_t> add_concentrator(const ConcentratorRecord& c) override;
  StorageResult<std::int64_t> add_meter(const MeterRecord& meter) override;
  StorageResult<std::size_t> add_meters(std::span<MeterRecord> meters) override;
  StorageResult<std::vector<MeterRecord>> meters_of(std::int64_t concentrator_id) override;
  StorageResult<std::optional<MeterRecord>> meter(std::int64_t meter_id) override;
  StorageResult<std::vector<ConcentratorRecord>> concentrators() override;
  StorageResult<std::vector<CommunityRecord>> communities() override;
  StorageResult<std::vector<StationRecord>> stations() override;
  StorageResult<std::int64_t> count_meters() override;
  StorageResult<std::int64_t> count_readings() override;
  StorageResult<std::optional<Reading>> latest(std::int64_t meter_id) override;
  StorageResult<std::vector<Reading>> latest_of(std::int64_t concentrator_id) override;

  StorageResult<std::size_t> store_unassigned(std::span<const UnassignedReading> r) override;
  StorageResult<std::vector<UnassignedReading>> unassigned_of(std::int64_t meter_id) override;
  StorageResult<std::int64_t> file_replacement(const ReplacementRecord& replacement) override;
  StorageResult<std::int64_t> add_meter_of(const MeterRecord& meter, std::int64_t at,
                                           const std::string& identity, EpochSeconds now) override;
  StorageResult<std::vector<ReplacementRecord>> replacements_on(
      std::int64_t concentrator_id) override;

  StorageResult<std::vector<MeterSilence>> meters_silent_since(EpochSeconds since) override;
  StorageResult<std::size_t> mark_dtus_seen(std::span<const std::string> dtu_ids,
                                            EpochSeconds now) override;
  StorageResult<std::vector<std::pair<std::string, EpochSeconds>>> dtus_last_seen() override;

  StorageResult<bool> claim_cycle(const CycleClaim& claim, EpochSeconds now,
                                  EpochSeconds lease_s) override;
  StorageResult<bool> finish_cycle(const CycleClaim& claim, EpochSeconds now, std::size_t read,
                                   std::size_t failed) override;
  StorageResult<bool> miss_cycle(const CycleClaim& claim, EpochSeconds at) override;
  StorageResult<std::optional<EpochSeconds>> latest_cycle_slot(
      std::int64_t concentrator_id) override;
  StorageResult<std::vector<std::int64_t>> read_since(std::int64_t concentrator_id,
                                                      EpochSeconds since) override;

  StorageResult<std::int64_t> queue_read_job(const ReadJob& job) override;
  StorageResult<std::vector<ReadJob>> queued_read_jobs() override;
  StorageResult<std::vector<ReadJob>> running_read_jobs(const std::string& master) override;
  StorageResult<bool> keep_read_jobs(const std::string& master, EpochSeconds now) override;
  StorageResult<std::vector<ReadJob>> orphaned_read_jobs(const std::string& master,
                                                         EpochSeconds before) override;
  StorageResult<bool> take_over_read_job(std::int64_t id, const std::string& master,
                                         EpochSeconds before, EpochSeconds now) override;
  StorageResult<bool> claim_read_job(std::int64_t id, const std::string& master,
                                     EpochSeconds now) override;
  StorageResult<bool> finish_read_job(std::int64_t id, const std::string& status,
                                      const std::string& detail, EpochSeconds now) override;
  StorageResult<bool> report_read_job(std::int64_t id, const std::string& detail) override;
  StorageResult<std::optional<ReadJob>> read_job(std::int64_t id) override;

  StorageResult<std::size_t> record_faults(std::span<const FaultRecord> changes) override;
  StorageResult<std::vector<FaultRecord>> open_faults() override;
  StorageResult<std::vector<FaultRecord>> faults_of(std::int64_t meter_id) override;
  StorageResult<std::int64_t> add_fault_rule(const FaultRuleRecord& rule) override;
  StorageResult<std::vector<FaultRuleRecord>> fault_rules() override;

  StorageResult<std::size_t> store_settlements(std::span<const SettlementRecord> s) override;
  StorageResult<std::vector<SettlementRecord>> settlements(std::int64_t meter_id) override;
  StorageResult<std::size_t> store_aggregates(std::span<const AggregateRecord> a) override;
  StorageResult<std::vector<AggregateRecord>> aggregates(std::int64_t meter_id,
                                                         const std::string& period) override;
  StorageResult<std::size_t> roll_up(std::int64_t concentrator_id, const std::string& period,
                                     EpochSeconds period_start) override;
  StorageResult<std::vector<RollupRecord>> rollups(const std::string& scope, std::int64_t scope_id,
                                                   const std::string& period) override;

 protected:
  // Inside a transaction: the open unassigned readings of `identity` taken at meter `at`'s
  // address since `since` become readings of meter `into` and are marked `status`; those
  // before `since` stay open.
  std::optional<StorageError> adopt(std::int64_t at, const std::string& identity,
                                    EpochSeconds since, std::int64_t into,
                                    const std::string& status, EpochSeconds now);
  // Runs one statement; inside transaction() it joins that transaction, else it commits.
  virtual StorageResult<SqlResult> sql(const std::string& text,
                                       const std::vector<SqlValue>& params) = 0;
  // Runs `body` in one transaction: committed when it returns no error, else rolled back;
  // inside another transaction it joins that one (whose end decides).
  virtual std::optional<StorageError> transaction(
      const std::function<std::optional<StorageError>()>& body) = 0;
  // An INSERT's new id: SQLite's last rowid, PostgreSQL's RETURNING.
  virtual StorageResult<std::int64_t> insert_returning_id(const std::string& text,
                                                          const std::vector<SqlValue>& params) = 0;
};

}  // namespace heatlink::master::storage
