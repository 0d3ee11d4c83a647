// Fault analysis as readings arrive: the built-in rules and the heat company's custom rules
// (stored in the database) run on every new reading against the meter's previous one; a
// meter that has not answered for long raises no_data; a concentrator whose meters mostly
// failed in a cycle raises a bus fault, one whose scheduled cycles keep overrunning their
// slots cycle_overrun, a DTU long without a session dtu_offline. What raises and clears is
// written as fault events.
// Restarting picks the open events up again, so a fault is raised once, not once per run.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
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
  // A DTU without a session on any master this long: dtu_offline on its concentrators.
  EpochSeconds dtu_offline_after_s = 3600;
  // How often watch() looks at the clocks of no_data and dtu_offline.
  EpochSeconds watch_every_s = 60;
};

// A DTU as its master's gateway sees it now, for FaultMonitor::watch().
struct DtuPresence {
  bool online = false;   // a session on this master
  std::string conflict;  // two devices claim the ID: what the gateway saw (empty: none)
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
  // New readings of a concentrator's meters, as stored. A register that fell near zero between
  // two readings with no replacement filed between them raises replacement_unfiled; it stays
  // raised through later readings until the replacement is filed (watch() sees it).
  std::optional<StorageError> observe(std::int64_t concentrator_id,
                                      std::span<const Reading> readings);
  // Why a reading of the concentrator's cycle cannot be its meter's: a register that rose
  // faster than implausible_power_kw since the meter's previous reading (no replacement filed
  // between). Nothing when plausible.
  std::optional<std::string> implausible(std::int64_t concentrator_id, const Reading& r) const;
  // Such a reading, kept out: register_jump raised on the meter (cleared by a plausible one).
  std::optional<StorageError> observe_implausible(std::int64_t concentrator_id,
                                                  std::int64_t meter_id, EpochSeconds at,
                                                  const std::string& why);
  // A meter that did not answer at `at`.
  std::optional<StorageError> observe_failure(std::int64_t concentrator_id, std::int64_t meter_id,
                                              EpochSeconds at);
  // A meter's address answered with `answered`, not the meter's identity `expected`: raised at
  // once (an alarm), cleared by the meter's next reading of its own.
  std::optional<StorageError> observe_mismatch(std::int64_t concentrator_id, std::int64_t meter_id,
                                               EpochSeconds at, const std::string& expected,
                                               const std::string& answered);
  // The clocks, whether or not a cycle runs (call it every second or so; it looks every
  // watch_every_s): a meter with no reading for no_data_after_s raises no_data, a DTU without
  // a session for dtu_offline_after_s raises dtu_offline on each of its concentrators, cleared
  // when it is back; a DTU ID two devices claim raises dtu_id_conflict there until an operator
  // resolves it; a replacement_unfiled whose replacement is now filed clears. `presence` says how
  // this master's gateway sees a DTU; DTUs with a session are marked seen in the database, so that
  // masters sharing it agree. A meter or DTU never seen counts from the first watch (a master's
  // start is no outage).
  std::optional<StorageError> watch(EpochSeconds now,
                                    const std::function<DtuPresence(const std::string&)>& presence);
  // A finished cycle: `attempts` meters tried, `failures` of them failed.
  std::optional<StorageError> observe_cycle(std::int64_t concentrator_id, EpochSeconds at,
                                            std::size_t attempts, std::size_t failures);
  // A finished scheduled cycle that overran its slot by `overrun_s` (0: in time).
  std::optional<StorageError> observe_overrun(std::int64_t concentrator_id, EpochSeconds at,
                                              EpochSeconds overrun_s);

 private:
  std::optional<StorageError> write(std::int64_t concentrator_id,
                                    const std::vector<FaultEvent>& events);
  std::optional<StorageError> watch_unfiled(EpochSeconds now);
  bool swapped(std::int64_t concentrator_id, std::int64_t meter_id, EpochSeconds after,
               EpochSeconds by) const;

  Storage& storage_;
  FaultMonitorOptions options_;
  FaultTracker tracker_;
  std::vector<CustomRule> rules_;
  std::map<std::int64_t, Reading> previous_;  // by meter, of the cycles running
  std::map<std::int64_t, std::vector<std::int64_t>> cycle_meters_;  // by concentrator
  // The replacements filed on the meters of the cycles running: by concentrator, by meter.
  std::map<std::int64_t, std::map<std::int64_t, std::vector<EpochSeconds>>> swaps_;
  // A register reset nobody filed: the replacement that explains it lies between the last
  // reading before the fall and the reading that showed it.
  struct UnfiledReset {
    std::int64_t concentrator_id = 0;
    EpochSeconds after = 0, by = 0;
  };
  std::map<std::int64_t, UnfiledReset> unfiled_;  // by meter
  EpochSeconds watching_since_ = 0;               // the first watch()
  EpochSeconds next_watch_ = 0;
};

}  // namespace heatlink::master
