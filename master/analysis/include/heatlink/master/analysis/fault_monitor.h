// Fault analysis as readings arrive: the built-in rules and the heat company's custom rules
// (stored in the database) run on every new reading against the meter's previous one; a
// meter that has not answered for long raises no_data; a concentrator whose meters mostly
// failed in a cycle raises a bus fault, one whose scheduled cycles keep overrunning their
// slots cycle_overrun. What raises and clears is written as fault events.
// Restarting picks the open events up again, so a fault is raised once, not once per run.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <vector>

#include "heatlink/master/analysis/fault_rules.h"
#include "heatlink/master/storage/storage.h"

namespace heatlink::master {

struct FaultMonitorOptions {
  RuleLimits limits;
  EpochSeconds no_data_after_s = 3 * 3600;  // no good reading for this long: no_data
  double bus_failure_rate = 0.5;            // a cycle failing more: the concentrator's bus
  // Scheduled cycles of a concentrator overrunning their slots this long: cycle_overrun.
  EpochSeconds overrun_after_s = 2 * 3600;
};

class FaultMonitor {
 public:
  explicit FaultMonitor(Storage& storage, FaultMonitorOptions options = {});

  // Loads the custom rules and the open fault events.
  std::optional<StorageError> load();
  // Loads the custom rules again (changed through the API); open events stay as they are.
  std::optional<StorageError> reload_rules();
  // Before a cycle's readings: the meters' previous readings to compare with. Cycles of
  // several concentrators may run at once; end_cycle() lets the concentrator's go.
  std::optional<StorageError> begin_cycle(std::int64_t concentrator_id);
  void end_cycle(std::int64_t concentrator_id);
  // New readings of a concentrator's meters, as stored.
  std::optional<StorageError> observe(std::int64_t concentrator_id,
                                      std::span<const Reading> readings);
  // A meter that did not answer at `at`.
  std::optional<StorageError> observe_failure(std::int64_t concentrator_id, std::int64_t meter_id,
                                              EpochSeconds at);
  // A finished cycle: `attempts` meters tried, `failures` of them failed.
  std::optional<StorageError> observe_cycle(std::int64_t concentrator_id, EpochSeconds at,
                                            std::size_t attempts, std::size_t failures);
  // A finished scheduled cycle that overran its slot by `overrun_s` (0: in time).
  std::optional<StorageError> observe_overrun(std::int64_t concentrator_id, EpochSeconds at,
                                              EpochSeconds overrun_s);

 private:
  std::optional<StorageError> write(std::int64_t concentrator_id,
                                    const std::vector<FaultEvent>& events);

  Storage& storage_;
  FaultMonitorOptions options_;
  FaultTracker tracker_;
  std::vector<CustomRule> rules_;
  std::map<std::int64_t, Reading> previous_;  // by meter, of the cycles running
  std::map<std::int64_t, std::vector<std::int64_t>> cycle_meters_;  // by concentrator
};

}  // namespace heatlink::master
