#include "heatlink/master/analysis/settlement.h"

#include <algorithm>
#include <map>

namespace heatlink::master {

StorageResult<SettlementOutcome> settle(Storage& storage, std::int64_t concentrator_id,
                                        EpochSeconds slot, EpochSeconds now,
                                        const ConsumptionOptions& options) {
  // The periods that end at the slot.
  std::vector<std::pair<Period, EpochSeconds>> ended;  // kind, start
  for (const Period p :
       {Period::day, Period::month, Period::quarter, Period::year, Period::heating_season}) {
    const auto list = periods(p, slot - 1, slot, options);
    if (!list.empty() && list.back().second == slot) ended.emplace_back(p, list.back().first);
  }
  EpochSeconds from = slot;
  for (const auto& [p, start] : ended) from = std::min(from, start);
  from -= 2 * 86400;  // a reading before the first boundary, to interpolate it

  auto meters = storage.meters_of(concentrator_id);
  if (auto* e = std::get_if<StorageError>(&meters)) return *e;
  auto swaps = storage.replacements_on(concentrator_id);
  if (auto* e = std::get_if<StorageError>(&swaps)) return *e;
  std::map<std::int64_t, std::vector<MeterReplacement>> swaps_of;
  for (const ReplacementRecord& r : std::get<std::vector<ReplacementRecord>>(swaps)) {
    swaps_of[r.meter_id].push_back(
        {r.replaced_at, r.old_final_kwh, r.new_start_kwh, r.old_final_m3, r.new_start_m3});
  }
  std::vector<SettlementRecord> snapshots;
  std::vector<AggregateRecord> aggregates;
  for (const MeterRecord& m : std::get<std::vector<MeterRecord>>(meters)) {
    auto readings = storage.readings(m.id, from, now + 1);
    if (auto* e = std::get_if<StorageError>(&readings)) return *e;
    ConsumptionOptions meter_options = options;
    if (const auto found = swaps_of.find(m.id); found != swaps_of.end())
      meter_options.replacements = found->second;
    std::vector<RegisterSample> samples;
    const Reading* settled = nullptr;  // the first reading at or after the slot
    for (const Reading& r : std::get<std::vector<Reading>>(readings)) {
      if (!r.energy_kwh) continue;
      samples.push_back({r.read_at, *r.energy_kwh, r.volume_m3});
      if (settled == nullptr && r.read_at >= slot) settled = &r;
    }
    if (settled != nullptr)
      snapshots.push_back({m.id, slot, settled->energy_kwh, settled->volume_m3});
    for (const auto& [p, start] : ended) {
      const auto used = consumption(samples, p, start, slot, meter_options);
      if (used.empty()) continue;
      const PeriodConsumption& c = used.back();
      aggregates.push_back(
          {m.id, period_name(p), start, c.energy_kwh, c.volume_m3, c.interpolated, c.suspect});
    }
  }
  SettlementOutcome outcome;
  auto stored = storage.store_settlements(snapshots);
  if (auto* e = std::get_if<StorageError>(&stored)) return *e;
  outcome.snapshots = std::get<std::size_t>(stored);
  stored = storage.store_aggregates(aggregates);
  if (auto* e = std::get_if<StorageError>(&stored)) return *e;
  outcome.aggregates = std::get<std::size_t>(stored);
  for (const auto& [p, start] : ended) {
    auto rolled = storage.roll_up(concentrator_id, period_name(p), start);
    if (auto* e = std::get_if<StorageError>(&rolled)) return *e;
    outcome.rollups += std::get<std::size_t>(rolled);
  }
  return outcome;
}

StorageResult<std::size_t> resettle(Storage& storage, std::int64_t concentrator_id,
                                    EpochSeconds from, EpochSeconds now,
                                    const ConsumptionOptions& options) {
  std::size_t days = 0;
  for (const auto& [start, end] : periods(Period::day, from, now, options)) {
    if (end > now) break;
    auto settled = settle(storage, concentrator_id, end, now, options);
    if (auto* e = std::get_if<StorageError>(&settled)) return *e;
    ++days;
  }
  return days;
}

}  // namespace heatlink::master
