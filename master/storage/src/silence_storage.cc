// What the fault monitor's clocks ask of storage: meters gone quiet, DTUs last seen.
#include "sql_storage.h"

namespace heatlink::master::storage {

StorageResult<std::vector<MeterSilence>> SqlStorage::meters_silent_since(EpochSeconds since) {
  // Each meter looked up once in the reading key: no scan of the readings.
  return rows_of<MeterSilence>(
      sql("SELECT m.id, m.concentrator_id, (SELECT max(r.read_at) FROM reading r WHERE "
          "r.meter_id = m.id) FROM meter m WHERE NOT EXISTS (SELECT 1 FROM reading r WHERE "
          "r.meter_id = m.id AND r.read_at >= ?) ORDER BY m.id",
          {since}),
      [](const SqlRow& row) {
        return MeterSilence{as_integer(row[0]), as_integer(row[1]), as_optional_integer(row[2])};
      });
}

StorageResult<std::size_t> SqlStorage::mark_dtus_seen(std::span<const std::string> dtu_ids,
                                                      EpochSeconds now) {
  auto e = transaction([&]() -> std::optional<StorageError> {
    for (const std::string& id : dtu_ids) {
      auto done =
          sql("INSERT INTO dtu_presence (dtu_id, last_seen_at) VALUES (?, ?) ON CONFLICT (dtu_id) "
              "DO UPDATE SET last_seen_at = excluded.last_seen_at WHERE "
              "dtu_presence.last_seen_at < excluded.last_seen_at",
              {id, now});
      if (auto* failed = std::get_if<StorageError>(&done)) return *failed;
    }
    return std::nullopt;
  });
  if (e) return *e;
  return dtu_ids.size();
}

StorageResult<std::vector<std::pair<std::string, EpochSeconds>>> SqlStorage::dtus_last_seen() {
  return rows_of<std::pair<std::string, EpochSeconds>>(
      sql("SELECT dtu_id, last_seen_at FROM dtu_presence ORDER BY dtu_id", {}),
      [](const SqlRow& row) {
        return std::pair{as_text(row[0]), as_integer(row[1])};
      });
}

}  // namespace heatlink::master::storage
