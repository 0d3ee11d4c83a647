// Settling the day (REFERENCE.md section 7): after the 00:00 cycle of a concentrator, each
// meter's registers at that time are kept as its settlement snapshot, and the consumption of
// every period that ended then - the day, and at their ends the month, quarter, year and
// heating season - is written per meter and rolled up per building, community and station.
#pragma once

#include "heatlink/master/analysis/consumption.h"
#include "heatlink/master/storage/storage.h"

namespace heatlink::master {

struct SettlementOutcome {
  std::size_t snapshots = 0;
  std::size_t aggregates = 0;
  std::size_t rollups = 0;
};

// Settles the concentrator's meters at `slot` (a local midnight) from the readings stored.
StorageResult<SettlementOutcome> settle(Storage& storage, std::int64_t concentrator_id,
                                        EpochSeconds slot, EpochSeconds now,
                                        const ConsumptionOptions& options = {});

// Settles again every local midnight in (from, now]: after what the figures are made of
// changed behind them (a replacement filed for a meter), each day's aggregates, and those of
// the months, quarters, years and seasons that ended on one of those midnights, are rewritten
// and rolled up again. Returns the days settled.
StorageResult<std::size_t> resettle(Storage& storage, std::int64_t concentrator_id,
                                    EpochSeconds from, EpochSeconds now,
                                    const ConsumptionOptions& options = {});

}  // namespace heatlink::master
