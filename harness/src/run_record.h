// What a run observed, for the checks: the master's cycles, the DTUs' sessions as the gateway
// saw them, the read jobs the timeline queued, and (deterministic runs) the meters' registers
// at the moment each answered. The readings and fault events themselves are read back from
// the master's database.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "heatlink/harness/run.h"
#include "heatlink/master/engine/schedule.h"
#include "heatlink/master/storage/storage.h"

namespace heatlink::harness {

struct CycleRecord {
  std::string concentrator;
  std::int64_t job = 0;  // a read job's cycle (not a slot of the schedule)
  master::EpochSeconds slot = 0, started_at = 0, finished_at = 0;
  std::size_t meters = 0, skipped = 0, read = 0, failed = 0;
  std::size_t late = 0;  // of the read, after the slot ended: the next slot's
  bool missed = false;   // the slot ended without its cycle: nothing read for it
  master::EpochSeconds overrun_s = 0;
  std::map<std::uint8_t, std::pair<std::size_t, std::size_t>> channels;  // channel: meters, read
};

struct DtuTransition {
  master::EpochSeconds at = 0;
  std::string dtu;
  bool online = false;
  std::uint64_t registrations = 0;  // the gateway's count after the transition
  std::string reason;               // why it went offline
};

struct TruthSample {
  master::EpochSeconds at = 0;  // when the meter answered
  double energy_kwh = 0;
};

struct MeterRef {
  std::int64_t id = 0;        // in the master's database
  std::size_t index = 0;      // in the simulated district
  double resolution_kwh = 1;  // of the energy register as the meter shows it
};

struct RunRecord {
  master::EpochSeconds epoch0 = 0;  // the scenario's time 0
  std::vector<CycleRecord> cycles;
  std::vector<DtuTransition> transitions;
  std::map<std::string, std::int64_t> jobs;  // timeline action name -> read job id
  std::map<std::string, MeterRef> meters;    // topology ID ("10000001") -> the meter
  std::map<std::string, std::vector<std::int64_t>> concentrator_meters;  // name -> database ids
  std::map<std::string, std::string> station_of;         // concentrator name -> its station's
  std::map<std::string, std::int64_t> concentrator_ids;  // name -> database id
  std::map<std::string, std::string> dtu_of;             // concentrator name -> its DTU's ID
  bool has_midnights = false;  // the meters' registers at each midnight (settlement, consumption)
  // The meters' registers when they answered (ground_truth), by database meter id.
  std::map<std::int64_t, std::vector<TruthSample>> truth;
  // The simulated valve of a meter now (null when the meter has none).
  std::function<std::optional<bool>(std::size_t index)> valve_open;
  // The meters' energy registers at a time the run passed (settlements): by database id.
  std::map<master::EpochSeconds, std::map<std::int64_t, double>> registers_at;
  // ... and the heat each household took by then, whatever its register showed (consumption).
  std::map<master::EpochSeconds, std::map<std::int64_t, double>> used_at;

  // The master's schedules, in its time zone: the slots every concentrator owes (slot checks).
  std::vector<master::Schedule> schedules;
  int utc_offset_s = 8 * 3600;

  master::EpochSeconds epoch(Seconds t) const { return epoch0 + t; }
};

// The progress line that ends a run (docs/scenarios.md, "Progress").
std::string progress_done(const RunReport& report);

// Runs `Runner(scenario, options, report).execute()` and reports it, timed.
template <class Runner>
RunReport timed_run(const Scenario& scenario, const RunOptions& options, bool live) {
  RunReport report;
  report.scenario = scenario.meta.id;
  report.file = scenario.file;
  report.seed = options.seed.value_or(scenario.meta.seed);
  report.live = live;
  report.pace = live ? (options.pace > 0 ? options.pace : scenario.meta.pace) : 0;
  report.simulated_s = scenario.meta.duration;
  const auto started = std::chrono::steady_clock::now();
  {
    Runner run(scenario, options, report);
    run.execute();
  }
  report.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (options.progress) options.progress(progress_done(report));
  return report;
}

// Evaluates `check` over [from, to] (scenario seconds). Storage errors fail the check.
CheckResult evaluate(const Check& check, Seconds from, Seconds to, const RunRecord& record,
                     master::Storage& storage);

// A check as the run takes it: over which window, in which phase of the steady state.
struct PlannedCheck {
  const Check* check = nullptr;
  std::string phase;  // "", "steady state before the first fault", "... after the final heal"
  Seconds from = 0, to = 0;
  std::optional<std::size_t> index;  // in the scenario's `checks` (not a steady-state check)
  std::string not_taken;             // why the check cannot be taken (it then fails)
};

// Every expectation of `scenario`, in report order: the steady state before the first fault
// and after the final heal, then the checks over their windows.
std::vector<PlannedCheck> plan_checks(const Scenario& scenario, std::optional<Seconds> first_fault,
                                      Seconds heal_at);
CheckResult evaluate_planned(const PlannedCheck& planned, const RunRecord& record,
                             master::Storage& storage);
// The plan evaluated; `taken` holds checks already evaluated at their time (by index).
std::vector<CheckResult> evaluate_expectations(const std::vector<PlannedCheck>& plan,
                                               const RunRecord& record, master::Storage& storage,
                                               const std::map<std::size_t, CheckResult>& taken);

}  // namespace heatlink::harness
