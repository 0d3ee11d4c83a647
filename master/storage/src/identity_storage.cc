// Meter identity in storage: telegrams kept aside as unassigned, and meter replacements.
#include <cstdio>

#include "sql_storage.h"

namespace heatlink::master::storage {

namespace {

// A reading's columns in reading_of()'s order (an unassigned reading has no outcome: 0), then
// where it was taken and what it is.
constexpr const char* kUnassignedColumns =
    "meter_id, read_at, received_at, meter_time, energy_kwh, volume_m3, power_kw, flow_m3h, "
    "supply_c, return_c, delta_t_k, operating_hours, status_bits, error_bits, 0, id, "
    "concentrator_id, channel, primary_address, identity, expected_identity, status";

std::string hex_of(const std::vector<std::uint8_t>& bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  char pair[3];
  for (const std::uint8_t b : bytes) {
    std::snprintf(pair, sizeof pair, "%02X", b);
    out += pair;
  }
  return out;
}

UnassignedReading unassigned_of_row(const SqlRow& row) {
  UnassignedReading u;
  u.reading = reading_of(row);
  u.meter_id = u.reading.meter_id;
  u.id = as_integer(row[15]);
  u.concentrator_id = as_integer(row[16]);
  u.channel = static_cast<std::uint8_t>(as_integer(row[17]));
  u.primary_address = static_cast<std::uint8_t>(as_integer(row[18]));
  u.identity = as_text(row[19]);
  u.expected_identity = as_text(row[20]);
  u.status = as_text(row[21]);
  return u;
}

SqlValue meter_or_null(std::int64_t meter_id) {
  if (meter_id == 0) return std::monostate{};
  return meter_id;
}

}  // namespace

StorageResult<std::size_t> SqlStorage::store_unassigned(std::span<const UnassignedReading> list) {
  std::size_t added = 0;
  auto e = transaction([&]() -> std::optional<StorageError> {
    for (const UnassignedReading& u : list) {
      const Reading& r = u.reading;
      auto done = sql(
          "INSERT INTO unassigned_reading (concentrator_id, channel, primary_address, identity, "
          "meter_id, expected_identity, read_at, received_at, meter_time, energy_kwh, volume_m3, "
          "power_kw, flow_m3h, supply_c, return_c, delta_t_k, operating_hours, status_bits, "
          "error_bits, raw_hex, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
          "?, ?, ?, 'open') ON CONFLICT (concentrator_id, identity, read_at) DO NOTHING",
          {u.concentrator_id,
           std::int64_t{u.channel},
           std::int64_t{u.primary_address},
           u.identity,
           meter_or_null(u.meter_id),
           u.expected_identity,
           r.read_at,
           r.received_at,
           optional_value(r.meter_time),
           optional_value(r.energy_kwh),
           optional_value(r.volume_m3),
           optional_value(r.power_kw),
           optional_value(r.flow_m3h),
           optional_value(r.supply_c),
           optional_value(r.return_c),
           optional_value(r.delta_t_k),
           optional_value(r.operating_hours),
           std::int64_t{r.status_bits},
           std::int64_t{r.error_bits},
           hex_of(r.raw)});
      if (auto* failed = std::get_if<StorageError>(&done)) return *failed;
      added += static_cast<std::size_t>(std::get<SqlResult>(done).affected);
    }
    return std::nullopt;
  });
  if (e) return *e;
  return added;
}

StorageResult<std::vector<UnassignedReading>> SqlStorage::unassigned_of(std::int64_t meter_id) {
  return rows_of<UnassignedReading>(
      sql(std::string("SELECT ") + kUnassignedColumns +
              " FROM unassigned_reading WHERE meter_id = ? ORDER BY read_at, id",
          {meter_id}),
      unassigned_of_row);
}

StorageResult<std::int64_t> SqlStorage::file_replacement(const ReplacementRecord& r) {
  std::int64_t id = 0;
  auto e = transaction([&]() -> std::optional<StorageError> {
    auto added = insert_returning_id(
        "INSERT INTO meter_replacement (meter_id, replaced_at, old_identity, new_identity, "
        "old_final_kwh, new_start_kwh, old_final_m3, new_start_m3, filed_at, filed_by) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {r.meter_id, r.replaced_at, r.old_identity, r.new_identity, r.old_final_kwh,
         r.new_start_kwh, optional_value(r.old_final_m3), optional_value(r.new_start_m3),
         r.filed_at, r.filed_by});
    if (auto* failed = std::get_if<StorageError>(&added)) return *failed;
    id = std::get<std::int64_t>(added);
    auto renamed =
        sql("UPDATE meter SET secondary_address = ? WHERE id = ?", {r.new_identity, r.meter_id});
    if (auto* failed = std::get_if<StorageError>(&renamed)) return *failed;
    // The new meter's readings taken since the swap become the household's.
    return adopt(r.meter_id, r.new_identity, r.replaced_at, r.meter_id, "replacement", r.filed_at);
  });
  if (e) return *e;
  return id;
}

std::optional<StorageError> SqlStorage::adopt(std::int64_t at, const std::string& identity,
                                              EpochSeconds since, std::int64_t into,
                                              const std::string& status, EpochSeconds now) {
  auto moved =
      sql("INSERT INTO reading (meter_id, read_at, received_at, meter_time, energy_kwh, volume_m3, "
          "power_kw, flow_m3h, supply_c, return_c, delta_t_k, operating_hours, status_bits, "
          "error_bits, outcome) SELECT ?, read_at, received_at, meter_time, energy_kwh, volume_m3, "
          "power_kw, flow_m3h, supply_c, return_c, delta_t_k, operating_hours, status_bits, "
          "error_bits, 0 FROM unassigned_reading WHERE meter_id = ? AND identity = ? AND "
          "read_at >= ? AND status = 'open' ON CONFLICT (meter_id, read_at) DO NOTHING",
          {into, at, identity, since});
  if (auto* failed = std::get_if<StorageError>(&moved)) return *failed;
  auto marked =
      sql("UPDATE unassigned_reading SET status = ?, resolved_at = ? WHERE meter_id = ? AND "
          "identity = ? AND read_at >= ? AND status = 'open'",
          {status, now, at, identity, since});
  if (auto* failed = std::get_if<StorageError>(&marked)) return *failed;
  return std::nullopt;
}

StorageResult<std::int64_t> SqlStorage::add_meter_of(const MeterRecord& meter, std::int64_t at,
                                                     const std::string& identity,
                                                     EpochSeconds now) {
  std::int64_t id = 0;
  auto e = transaction([&]() -> std::optional<StorageError> {
    auto made = add_meter(meter);
    if (auto* failed = std::get_if<StorageError>(&made)) return *failed;
    id = std::get<std::int64_t>(made);
    return adopt(at, identity, 0, id, "new_meter", now);
  });
  if (e) return *e;
  return id;
}

StorageResult<std::vector<ReplacementRecord>> SqlStorage::replacements_on(
    std::int64_t concentrator_id) {
  return rows_of<ReplacementRecord>(
      sql("SELECT r.id, r.meter_id, r.replaced_at, r.old_identity, r.new_identity, "
          "r.old_final_kwh, r.new_start_kwh, r.old_final_m3, r.new_start_m3, r.filed_at, "
          "r.filed_by FROM meter_replacement r JOIN meter m ON m.id = r.meter_id "
          "WHERE m.concentrator_id = ? ORDER BY r.meter_id, r.replaced_at, r.id",
          {concentrator_id}),
      [](const SqlRow& row) {
        ReplacementRecord r;
        r.id = as_integer(row[0]);
        r.meter_id = as_integer(row[1]);
        r.replaced_at = as_integer(row[2]);
        r.old_identity = as_text(row[3]);
        r.new_identity = as_text(row[4]);
        r.old_final_kwh = as_optional_real(row[5]).value_or(0);
        r.new_start_kwh = as_optional_real(row[6]).value_or(0);
        r.old_final_m3 = as_optional_real(row[7]);
        r.new_start_m3 = as_optional_real(row[8]);
        r.filed_at = as_integer(row[9]);
        r.filed_by = as_text(row[10]);
        return r;
      });
}

}  // namespace heatlink::master::storage
