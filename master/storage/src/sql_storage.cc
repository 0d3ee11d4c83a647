#include "sql_storage.h"

namespace heatlink::master {

std::int64_t as_integer(const SqlValue& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return static_cast<std::int64_t>(*d);
  if (const auto* b = std::get_if<bool>(&v)) return *b ? 1 : 0;
  return 0;
}

std::optional<std::int64_t> as_optional_integer(const SqlValue& v) {
  if (std::holds_alternative<std::monostate>(v)) return std::nullopt;
  return as_integer(v);
}

std::optional<double> as_optional_real(const SqlValue& v) {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  return std::nullopt;
}

std::string as_text(const SqlValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return "";
}

SqlValue optional_value(const std::optional<double>& v) {
  if (!v) return std::monostate{};
  return *v;
}

SqlValue optional_value(const std::optional<std::int64_t>& v) {
  if (!v) return std::monostate{};
  return *v;
}

}  // namespace heatlink::master

namespace heatlink::master::storage {

Reading reading_of(const SqlRow& row) {
  Reading r;
  r.meter_id = as_integer(row[0]);
  r.read_at = as_integer(row[1]);
  r.received_at = as_integer(row[2]);
  r.meter_time = as_optional_integer(row[3]);
  r.energy_kwh = as_optional_real(row[4]);
  r.volume_m3 = as_optional_real(row[5]);
  r.power_kw = as_optional_real(row[6]);
  r.flow_m3h = as_optional_real(row[7]);
  r.supply_c = as_optional_real(row[8]);
  r.return_c = as_optional_real(row[9]);
  r.delta_t_k = as_optional_real(row[10]);
  r.operating_hours = as_optional_real(row[11]);
  r.status_bits = static_cast<std::uint32_t>(as_integer(row[12]));
  r.error_bits = static_cast<std::uint32_t>(as_integer(row[13]));
  r.outcome = static_cast<ReadOutcome>(as_integer(row[14]));
  return r;
}

namespace {

StorageResult<bool> changed(StorageResult<SqlResult> result) {
  if (auto* e = std::get_if<StorageError>(&result)) return *e;
  return std::get<SqlResult>(result).affected > 0;
}

constexpr const char* kMeterColumns =
    "id, concentrator_id, channel, vendor, model, protocol, primary_address, secondary_address, "
    "household_id";

MeterRecord meter_of(const SqlRow& row) {
  MeterRecord m;
  m.id = as_integer(row[0]);
  m.concentrator_id = as_integer(row[1]);
  m.channel = static_cast<std::uint8_t>(as_integer(row[2]));
  m.vendor = as_text(row[3]);
  m.model = as_text(row[4]);
  m.protocol = static_cast<MeterProtocol>(as_integer(row[5]));
  m.primary_address = static_cast<std::uint8_t>(as_integer(row[6]));
  m.secondary_address = as_text(row[7]);
  m.household_id = as_optional_integer(row[8]);
  return m;
}

std::vector<SqlValue> meter_params(const MeterRecord& m) {
  return {m.concentrator_id,
          std::int64_t{m.channel},
          m.vendor,
          m.model,
          std::int64_t{static_cast<std::uint8_t>(m.protocol)},
          std::int64_t{m.primary_address},
          m.secondary_address,
          optional_value(m.household_id)};
}

constexpr const char* kInsertMeter =
    "INSERT INTO meter (concentrator_id, channel, vendor, model, protocol, primary_address, "
    "secondary_address, household_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

constexpr const char* kJobColumns =
    "id, kind, target, requested_at, started_at, finished_at, status, detail, claimed_by";

ReadJob job_of(const SqlRow& row) {
  ReadJob j;
  j.id = as_integer(row[0]);
  j.kind = as_text(row[1]);
  j.target = as_text(row[2]);
  j.requested_at = as_integer(row[3]);
  j.started_at = as_optional_integer(row[4]);
  j.finished_at = as_optional_integer(row[5]);
  j.status = as_text(row[6]);
  j.detail = as_text(row[7]);
  j.claimed_by = as_text(row[8]);
  return j;
}

constexpr const char* kFaultColumns =
    "id, meter_id, concentrator_id, code, severity, raised_at, cleared_at, detail";

FaultRecord fault_of(const SqlRow& row) {
  FaultRecord f;
  f.id = as_integer(row[0]);
  f.meter_id = as_integer(row[1]);
  f.concentrator_id = as_integer(row[2]);
  f.code = as_text(row[3]);
  f.severity = static_cast<std::uint8_t>(as_integer(row[4]));
  f.raised_at = as_integer(row[5]);
  f.cleared_at = as_optional_integer(row[6]);
  f.detail = as_text(row[7]);
  return f;
}

// The roll-up of one scope: the meters of the buildings, community or station the
// concentrator's meters are in, summed per scope. Parameters: period, start, period, start,
// concentrator.
constexpr const char* kRollupInsert =
    "INSERT INTO aggregate_rollup (scope, scope_id, period, period_start, energy_kwh, volume_m3, "
    "meters, complete, interpolated, suspect) ";
constexpr const char* kRollupSums =
    ", ?, ?, sum(a.energy_kwh), sum(a.volume_m3), count(*), count(a.energy_kwh), "
    "coalesce(max(CASE WHEN a.interpolated THEN 1 ELSE 0 END), 0) > 0, "
    "count(CASE WHEN a.suspect THEN 1 END) FROM meter m "
    "JOIN concentrator c ON c.id = m.concentrator_id "
    "LEFT JOIN aggregate a ON a.meter_id = m.id AND a.period = ? AND a.period_start = ? ";
constexpr const char* kRollupUpsert =
    " ON CONFLICT (scope, scope_id, period, period_start) DO UPDATE SET "
    "energy_kwh = excluded.energy_kwh, volume_m3 = excluded.volume_m3, meters = excluded.meters, "
    "complete = excluded.complete, interpolated = excluded.interpolated, "
    "suspect = excluded.suspect";

}  // namespace

StorageResult<std::int64_t> SqlStorage::add_station(const StationRecord& station) {
  return insert_returning_id("INSERT INTO station (name) VALUES (?)", {station.name});
}

StorageResult<std::int64_t> SqlStorage::add_community(const CommunityRecord& community) {
  return insert_returning_id("INSERT INTO community (station_id, name) VALUES (?, ?)",
                             {community.station_id, community.name});
}

StorageResult<std::int64_t> SqlStorage::add_concentrator(const ConcentratorRecord& c) {
  return insert_returning_id(
      "INSERT INTO concentrator (station_id, name, dtu_id, community_id, mode) "
      "VALUES (?, ?, ?, ?, ?)",
      {c.station_id, c.name, c.dtu_id, optional_value(c.community_id),
       std::int64_t{static_cast<std::uint8_t>(c.mode)}});
}

StorageResult<std::int64_t> SqlStorage::add_meter(const MeterRecord& meter) {
  return insert_returning_id(kInsertMeter, meter_params(meter));
}

StorageResult<std::size_t> SqlStorage::add_meters(std::span<MeterRecord> meters) {
  auto e = transaction([&]() -> std::optional<StorageError> {
    for (MeterRecord& m : meters) {
      auto id = insert_returning_id(kInsertMeter, meter_params(m));
      if (auto* failed = std::get_if<StorageError>(&id)) return *failed;
      m.id = std::get<std::int64_t>(id);
    }
    return std::nullopt;
  });
  if (e) return *e;
  return meters.size();
}

StorageResult<std::vector<MeterRecord>> SqlStorage::meters_of(std::int64_t concentrator_id) {
  return rows_of<MeterRecord>(sql(std::string("SELECT ") + kMeterColumns +
                                      " FROM meter WHERE concentrator_id = ? "
                                      "ORDER BY id",
                                  {concentrator_id}),
                              meter_of);
}

StorageResult<std::optional<MeterRecord>> SqlStorage::meter(std::int64_t meter_id) {
  return first_of(rows_of<MeterRecord>(
      sql(std::string("SELECT ") + kMeterColumns + " FROM meter WHERE id = ?", {meter_id}),
      meter_of));
}

StorageResult<std::vector<ConcentratorRecord>> SqlStorage::concentrators() {
  return rows_of<ConcentratorRecord>(
      sql("SELECT id, station_id, name, dtu_id, community_id, mode FROM concentrator "
          "ORDER BY id",
          {}),
      [](const SqlRow& row) {
        return ConcentratorRecord{as_integer(row[0]),
                                  as_integer(row[1]),
                                  as_text(row[2]),
                                  as_text(row[3]),
                                  as_optional_integer(row[4]),
                                  static_cast<ConcentratorMode>(as_integer(row[5]))};
      });
}

StorageResult<std::vector<CommunityRecord>> SqlStorage::communities() {
  return rows_of<CommunityRecord>(
      sql("SELECT id, station_id, name FROM community ORDER BY id", {}), [](const SqlRow& row) {
        return CommunityRecord{as_integer(row[0]), as_integer(row[1]), as_text(row[2])};
      });
}

StorageResult<std::vector<StationRecord>> SqlStorage::stations() {
  return rows_of<StationRecord>(sql("SELECT id, name FROM station ORDER BY id", {}),
                                [](const SqlRow& row) {
                                  return StationRecord{as_integer(row[0]), as_text(row[1])};
                                });
}

StorageResult<std::int64_t> SqlStorage::count_meters() {
  auto r = sql("SELECT count(*) FROM meter", {});
  if (auto* e = std::get_if<StorageError>(&r)) return *e;
  return as_integer(std::get<SqlResult>(r).rows.at(0).at(0));
}

StorageResult<std::int64_t> SqlStorage::count_readings() {
  auto r = sql("SELECT count(*) FROM reading", {});
  if (auto* e = std::get_if<StorageError>(&r)) return *e;
  return as_integer(std::get<SqlResult>(r).rows.at(0).at(0));
}

StorageResult<std::optional<Reading>> SqlStorage::latest(std::int64_t meter_id) {
  return first_of(
      rows_of<Reading>(sql(std::string("SELECT ") + kReadingColumns +
                               " FROM reading WHERE meter_id = ? ORDER BY read_at DESC LIMIT 1",
                           {meter_id}),
                       reading_of));
}

StorageResult<std::vector<Reading>> SqlStorage::latest_of(std::int64_t concentrator_id) {
  std::string columns;
  for (const char* c = kReadingColumns; *c != '\0'; ++c) {
    if (c == kReadingColumns || (c[-1] == ' ' && c[-2] == ',')) columns += "r.";
    columns += *c;
  }
  // One seek on the reading key per meter, walking back past readings without a register
  // (max() with that filter would read every reading of the meter).
  return rows_of<Reading>(
      sql("SELECT " + columns +
              " FROM meter m JOIN reading r ON r.meter_id = m.id AND r.read_at = "
              "(SELECT read_at FROM reading WHERE meter_id = m.id AND energy_kwh IS NOT NULL "
              "ORDER BY read_at DESC LIMIT 1) "
              "WHERE m.concentrator_id = ?",
          {concentrator_id}),
      reading_of);
}

StorageResult<bool> SqlStorage::claim_cycle(const CycleClaim& claim, EpochSeconds now,
                                            EpochSeconds lease_s) {
  return changed(
      sql("INSERT INTO cycle_claim (concentrator_id, slot, settlement, master, claimed_at) "
          "VALUES (?, ?, ?, ?, ?) ON CONFLICT (concentrator_id, slot) DO UPDATE SET "
          "master = excluded.master, claimed_at = excluded.claimed_at, "
          "settlement = excluded.settlement WHERE cycle_claim.finished_at IS NULL AND "
          "(cycle_claim.master = excluded.master OR cycle_claim.claimed_at < ?)",
          {claim.concentrator_id, claim.slot, claim.settlement, claim.master, now, now - lease_s}));
}

StorageResult<bool> SqlStorage::finish_cycle(const CycleClaim& claim, EpochSeconds now,
                                             std::size_t read, std::size_t failed) {
  return changed(
      sql("UPDATE cycle_claim SET finished_at = ?, read = ?, failed = ? WHERE "
          "concentrator_id = ? AND slot = ? AND master = ?",
          {now, static_cast<std::int64_t>(read), static_cast<std::int64_t>(failed),
           claim.concentrator_id, claim.slot, claim.master}));
}

StorageResult<bool> SqlStorage::miss_cycle(const CycleClaim& claim, EpochSeconds at) {
  return changed(
      sql("INSERT INTO cycle_claim (concentrator_id, slot, settlement, master, claimed_at, "
          "finished_at, read, failed, missed) VALUES (?, ?, ?, ?, ?, ?, 0, 0, 1) "
          "ON CONFLICT (concentrator_id, slot) DO UPDATE SET missed = 1, "
          "finished_at = excluded.finished_at, read = coalesce(cycle_claim.read, 0), "
          "failed = coalesce(cycle_claim.failed, 0) WHERE cycle_claim.finished_at IS NULL AND "
          "cycle_claim.master = excluded.master",
          {claim.concentrator_id, claim.slot, claim.settlement, claim.master, at, at}));
}

StorageResult<std::optional<EpochSeconds>> SqlStorage::latest_cycle_slot(
    std::int64_t concentrator_id) {
  auto r = sql("SELECT max(slot) FROM cycle_claim WHERE concentrator_id = ?", {concentrator_id});
  if (auto* e = std::get_if<StorageError>(&r)) return *e;
  const auto& rows = std::get<SqlResult>(r).rows;
  if (rows.empty() || std::holds_alternative<std::monostate>(rows[0][0]))
    return std::optional<EpochSeconds>();
  return std::optional<EpochSeconds>(as_integer(rows[0][0]));
}

StorageResult<std::vector<std::int64_t>> SqlStorage::read_since(std::int64_t concentrator_id,
                                                                EpochSeconds since) {
  // A range of the reading key per meter: read_at is the meter's clock, which may run a
  // little behind the server's; one that is a day off reads again, and is stored once.
  return rows_of<std::int64_t>(
      sql("SELECT m.id FROM meter m WHERE m.concentrator_id = ? AND EXISTS (SELECT 1 FROM "
          "reading r WHERE r.meter_id = m.id AND r.read_at >= ? AND r.received_at >= ?) "
          "ORDER BY m.id",
          {concentrator_id, since - 86400, since}),
      [](const SqlRow& row) { return as_integer(row[0]); });
}

StorageResult<std::int64_t> SqlStorage::queue_read_job(const ReadJob& job) {
  return insert_returning_id(
      "INSERT INTO read_job (kind, target, requested_at, status, detail) VALUES (?, ?, ?, "
      "'queued', '')",
      {job.kind, job.target, job.requested_at});
}

StorageResult<std::vector<ReadJob>> SqlStorage::queued_read_jobs() {
  return rows_of<ReadJob>(sql(std::string("SELECT ") + kJobColumns +
                                  " FROM read_job WHERE status = 'queued' ORDER BY id",
                              {}),
                          job_of);
}

StorageResult<std::vector<ReadJob>> SqlStorage::running_read_jobs(const std::string& master) {
  return rows_of<ReadJob>(
      sql(std::string("SELECT ") + kJobColumns +
              " FROM read_job WHERE status = 'running' AND claimed_by = ? ORDER BY id",
          {master}),
      job_of);
}

StorageResult<bool> SqlStorage::claim_read_job(std::int64_t id, const std::string& master,
                                               EpochSeconds now) {
  return changed(
      sql("UPDATE read_job SET status = 'running', started_at = ?, alive_at = ?, claimed_by = ? "
          "WHERE id = ? AND status = 'queued'",
          {now, now, master, id}));
}

StorageResult<bool> SqlStorage::keep_read_jobs(const std::string& master, EpochSeconds now) {
  return changed(sql("UPDATE read_job SET alive_at = ? WHERE status = 'running' AND claimed_by = ?",
                     {now, master}));
}

StorageResult<std::vector<ReadJob>> SqlStorage::orphaned_read_jobs(const std::string& master,
                                                                   EpochSeconds before) {
  return rows_of<ReadJob>(sql(std::string("SELECT ") + kJobColumns +
                                  " FROM read_job WHERE status = 'running' AND claimed_by <> ? AND "
                                  "coalesce(alive_at, started_at, requested_at) < ? ORDER BY id",
                              {master, before}),
                          job_of);
}

StorageResult<bool> SqlStorage::take_over_read_job(std::int64_t id, const std::string& master,
                                                   EpochSeconds before, EpochSeconds now) {
  return changed(
      sql("UPDATE read_job SET claimed_by = ?, alive_at = ? WHERE id = ? AND status = 'running' "
          "AND claimed_by <> ? AND coalesce(alive_at, started_at, requested_at) < ?",
          {master, now, id, master, before}));
}

StorageResult<bool> SqlStorage::finish_read_job(std::int64_t id, const std::string& status,
                                                const std::string& detail, EpochSeconds now) {
  return changed(sql("UPDATE read_job SET status = ?, detail = ?, finished_at = ? WHERE id = ?",
                     {status, detail, now, id}));
}

StorageResult<bool> SqlStorage::report_read_job(std::int64_t id, const std::string& detail) {
  return changed(
      sql("UPDATE read_job SET detail = ? WHERE id = ? AND status = 'running'", {detail, id}));
}

StorageResult<std::optional<ReadJob>> SqlStorage::read_job(std::int64_t id) {
  return first_of(rows_of<ReadJob>(
      sql(std::string("SELECT ") + kJobColumns + " FROM read_job WHERE id = ?", {id}), job_of));
}

StorageResult<std::size_t> SqlStorage::record_faults(std::span<const FaultRecord> changes) {
  std::size_t done = 0;
  // The open event of a meter's code; for a concentrator's (meter 0), of that concentrator.
  static const std::string kOpen =
      "meter_id = ? AND code = ? AND cleared_at IS NULL AND (meter_id <> 0 OR "
      "concentrator_id = ?)";
  auto e = transaction([&]() -> std::optional<StorageError> {
    for (const FaultRecord& f : changes) {
      auto r = f.cleared_at
                   ? sql("UPDATE fault_event SET cleared_at = ? WHERE " + kOpen,
                         {*f.cleared_at, f.meter_id, f.code, f.concentrator_id})
                   : sql("INSERT INTO fault_event (meter_id, concentrator_id, code, severity, "
                         "raised_at, detail) SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 "
                         "FROM fault_event WHERE " +
                             kOpen + ")",
                         {f.meter_id, f.concentrator_id, f.code, std::int64_t{f.severity},
                          f.raised_at, f.detail, f.meter_id, f.code, f.concentrator_id});
      if (auto* failed = std::get_if<StorageError>(&r)) return *failed;
      done += static_cast<std::size_t>(std::get<SqlResult>(r).affected);
    }
    return std::nullopt;
  });
  if (e) return *e;
  return done;
}

StorageResult<std::vector<FaultRecord>> SqlStorage::open_faults() {
  return rows_of<FaultRecord>(sql(std::string("SELECT ") + kFaultColumns +
                                      " FROM fault_event WHERE cleared_at IS NULL ORDER BY id",
                                  {}),
                              fault_of);
}

StorageResult<std::vector<FaultRecord>> SqlStorage::faults_of(std::int64_t meter_id) {
  return rows_of<FaultRecord>(sql(std::string("SELECT ") + kFaultColumns +
                                      " FROM fault_event WHERE meter_id = ? ORDER BY raised_at, id",
                                  {meter_id}),
                              fault_of);
}

StorageResult<std::int64_t> SqlStorage::add_fault_rule(const FaultRuleRecord& rule) {
  return insert_returning_id(
      "INSERT INTO fault_rule (name, field, op, threshold, persistence_s, severity, enabled) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)",
      {rule.name, rule.field, rule.op, rule.threshold, rule.persistence_s,
       std::int64_t{rule.severity}, rule.enabled});
}

StorageResult<std::vector<FaultRuleRecord>> SqlStorage::fault_rules() {
  return rows_of<FaultRuleRecord>(
      sql("SELECT id, name, field, op, threshold, persistence_s, severity, enabled "
          "FROM fault_rule ORDER BY id",
          {}),
      [](const SqlRow& row) {
        FaultRuleRecord r;
        r.id = as_integer(row[0]);
        r.name = as_text(row[1]);
        r.field = as_text(row[2]);
        r.op = as_text(row[3]);
        r.threshold = as_optional_real(row[4]).value_or(0);
        r.persistence_s = as_integer(row[5]);
        r.severity = static_cast<std::uint8_t>(as_integer(row[6]));
        r.enabled = as_integer(row[7]) != 0;
        return r;
      });
}

StorageResult<std::size_t> SqlStorage::store_settlements(std::span<const SettlementRecord> s) {
  auto e = transaction([&]() -> std::optional<StorageError> {
    for (const SettlementRecord& r : s) {
      auto done =
          sql("INSERT INTO settlement_snapshot (meter_id, taken_at, energy_kwh, volume_m3) "
              "VALUES (?, ?, ?, ?) ON CONFLICT (meter_id, taken_at) DO UPDATE SET "
              "energy_kwh = excluded.energy_kwh, volume_m3 = excluded.volume_m3",
              {r.meter_id, r.taken_at, optional_value(r.energy_kwh), optional_value(r.volume_m3)});
      if (auto* failed = std::get_if<StorageError>(&done)) return *failed;
    }
    return std::nullopt;
  });
  if (e) return *e;
  return s.size();
}

StorageResult<std::vector<SettlementRecord>> SqlStorage::settlements(std::int64_t meter_id) {
  return rows_of<SettlementRecord>(
      sql("SELECT meter_id, taken_at, energy_kwh, volume_m3 FROM settlement_snapshot "
          "WHERE meter_id = ? ORDER BY taken_at",
          {meter_id}),
      [](const SqlRow& row) {
        return SettlementRecord{as_integer(row[0]), as_integer(row[1]), as_optional_real(row[2]),
                                as_optional_real(row[3])};
      });
}

StorageResult<std::size_t> SqlStorage::store_aggregates(std::span<const AggregateRecord> a) {
  auto e = transaction([&]() -> std::optional<StorageError> {
    for (const AggregateRecord& r : a) {
      auto done =
          sql("INSERT INTO aggregate (meter_id, period, period_start, energy_kwh, volume_m3, "
              "interpolated, suspect) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (meter_id, period, "
              "period_start) DO UPDATE SET energy_kwh = excluded.energy_kwh, "
              "volume_m3 = excluded.volume_m3, interpolated = excluded.interpolated, "
              "suspect = excluded.suspect",
              {r.meter_id, r.period, r.period_start, optional_value(r.energy_kwh),
               optional_value(r.volume_m3), r.interpolated, r.suspect});
      if (auto* failed = std::get_if<StorageError>(&done)) return *failed;
    }
    return std::nullopt;
  });
  if (e) return *e;
  return a.size();
}

StorageResult<std::vector<AggregateRecord>> SqlStorage::aggregates(std::int64_t meter_id,
                                                                   const std::string& period) {
  return rows_of<AggregateRecord>(
      sql("SELECT meter_id, period, period_start, energy_kwh, volume_m3, interpolated, suspect "
          "FROM aggregate WHERE meter_id = ? AND period = ? ORDER BY period_start",
          {meter_id, period}),
      [](const SqlRow& row) {
        return AggregateRecord{as_integer(row[0]),       as_text(row[1]),
                               as_integer(row[2]),       as_optional_real(row[3]),
                               as_optional_real(row[4]), as_integer(row[5]) != 0,
                               as_integer(row[6]) != 0};
      });
}

StorageResult<std::size_t> SqlStorage::roll_up(std::int64_t concentrator_id,
                                               const std::string& period,
                                               EpochSeconds period_start) {
  const std::string head = std::string(kRollupInsert) + "SELECT ";
  const std::string scopes[] = {
      head + "'station', c.station_id" + kRollupSums +
          "WHERE c.station_id = (SELECT station_id FROM concentrator WHERE id = ?) "
          "GROUP BY c.station_id" +
          kRollupUpsert,
      head + "'community', c.community_id" + kRollupSums +
          "WHERE c.community_id = (SELECT community_id FROM concentrator WHERE id = ?) "
          "GROUP BY c.community_id" +
          kRollupUpsert,
      head + "'building', u.building_id" + kRollupSums +
          "JOIN household h ON h.id = m.household_id JOIN unit u ON u.id = h.unit_id "
          "WHERE u.building_id IN (SELECT u2.building_id FROM meter m2 JOIN household h2 ON "
          "h2.id = m2.household_id JOIN unit u2 ON u2.id = h2.unit_id WHERE "
          "m2.concentrator_id = ?) GROUP BY u.building_id" +
          kRollupUpsert};
  std::size_t rows = 0;
  auto e = transaction([&]() -> std::optional<StorageError> {
    for (const std::string& text : scopes) {
      auto done = sql(text, {period, period_start, period, period_start, concentrator_id});
      if (auto* failed = std::get_if<StorageError>(&done)) return *failed;
      rows += static_cast<std::size_t>(std::get<SqlResult>(done).affected);
    }
    return std::nullopt;
  });
  if (e) return *e;
  return rows;
}

StorageResult<std::vector<RollupRecord>> SqlStorage::rollups(const std::string& scope,
                                                             std::int64_t scope_id,
                                                             const std::string& period) {
  return rows_of<RollupRecord>(
      sql("SELECT scope, scope_id, period, period_start, energy_kwh, volume_m3, meters, complete, "
          "interpolated, suspect FROM aggregate_rollup "
          "WHERE scope = ? AND scope_id = ? AND period = ? ORDER BY period_start",
          {scope, scope_id, period}),
      [](const SqlRow& row) {
        RollupRecord r;
        r.scope = as_text(row[0]);
        r.scope_id = as_integer(row[1]);
        r.period = as_text(row[2]);
        r.period_start = as_integer(row[3]);
        r.energy_kwh = as_optional_real(row[4]);
        r.volume_m3 = as_optional_real(row[5]);
        r.meters = as_integer(row[6]);
        r.complete = as_integer(row[7]);
        r.interpolated = as_integer(row[8]) != 0;
        r.suspect = as_integer(row[9]);
        return r;
      });
}

}  // namespace heatlink::master::storage
