// Running a scenario and what came of it.
//
// Deterministic runs (the default) put the master's core - dispatcher, reading engine, fault
// monitor, a real SQLite file - and the simulated district in one process on one virtual
// clock; the DTUs' GPRS links end in the master's own DTU connection logic (InProcessGateway).
// One seed gives one trace, byte for byte. Live runs start `heatlink master` and `heatlink
// sim` as processes talking real TCP, paced in real time or faster.
//
// Every run ends with a heal; every check is evaluated, also after a failure.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "heatlink/harness/scenario.h"

namespace heatlink::harness {

struct RunOptions {
  std::optional<std::uint64_t> seed;  // overrides the scenario's
  std::string work_dir;               // the database and logs go here (created)
  std::ostream* trace = nullptr;      // JSON Lines: frames, link chunks, faults, actions, checks
  std::function<void(const std::string&)> log;  // progress lines
  // Live runs: the heatlink binary. Live runs, and deterministic runs with `control`: the
  // pace (simulated seconds per second; 0: the scenario's).
  std::string binary;
  double pace = 0;
  // Host and port (0: any free one): the simulator's control API is served there while the
  // run goes, for the control panel to attach. A deterministic run is then paced, and obeys
  // pause, resume and pace from the API (what is done through the API makes the trace differ).
  std::optional<std::pair<std::string, std::uint16_t>> control;
  // Progress as JSON Lines (docs/scenarios.md, "Progress"): where the control API is, the
  // plan of checks, the timeline's actions, the DTUs' sessions and the cycles as the master
  // saw them, each check as its window closes, and the end.
  std::function<void(const std::string& line)> progress;
};

struct CheckResult {
  std::string name;
  std::string check;  // the check's kind
  std::string phase;  // "", "steady state before the first fault", "... after the final heal"
  bool passed = false;
  bool skipped =
      false;            // the check cannot be taken in this kind of run (neither passed nor failed)
  std::string message;  // what was measured, and against what
  int line = 0;         // in the scenario file
  Seconds window_from = 0, window_to = 0;
};

struct RunReport {
  std::string scenario;  // the id
  std::string file;
  std::uint64_t seed = 0;
  bool live = false;
  double pace = 0;
  Seconds simulated_s = 0;
  double wall_s = 0;
  std::uint64_t trace_hash = 0;  // deterministic runs: the same for the same seed
  std::size_t trace_events = 0;
  std::string error;  // the run could not start or stopped early (set: the run fails)
  std::vector<CheckResult> results;

  bool passed() const;
  // The command that replays this run ("heatlink run FILE --seed N").
  std::string replay_command() const;
};

RunReport run_deterministic(const Scenario& scenario, const RunOptions& options);
RunReport run_live(const Scenario& scenario, const RunOptions& options);

// Reports.
void write_console(std::ostream& out, const RunReport& report);
void write_junit(std::ostream& out, const std::vector<RunReport>& reports,
                 const std::string& version);

}  // namespace heatlink::harness
