// Scripted commands for heatlink-panel (--script): what a QA engineer would click, for tests
// and demonstrations. Commands, separated by ';':
//   wait-attached S       until the model reaches the simulator (at most S seconds)
//   wait-online S         until every DTU is registered
//   wait-master S         until the master (--master) has a session with every DTU
//   select-dtu N | select-meter N
//   link-fault KIND [key=value ...]   on the selected DTU (direction, probability, delay_ms,
//                         jitter_ms, period_s, amount, duration_s)
//   wait-fault KIND S     until the model shows that fault on the selected DTU
//   wait S                let S seconds pass
//   dump FILE             the model's view as JSON (attached, DTUs and their faults, meters,
//                         the scenario run's checks and the master's sessions)
//   screenshot FILE       the window as PNG
//   run-scenario FILE [live] [pace=N] [seed=N]   run a scenario, attached to its simulator
//   wait-scenario S       until the run has ended (at most S seconds)
//   tab NAME              bring a tab forward: Inspector, Faults, Traffic, Scenario, Master, Log
//   quit
// A command that fails or times out ends the panel with exit code 1, saying which.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "panel_views.h"

namespace heatlink::gui {

struct ScriptActions {
  std::string screenshot;  // the main loop writes the frame here
  bool quit = false;
  int exit_code = 0;
};

class Script {
 public:
  // Empty, or what is wrong with the text.
  std::string parse(const std::string& text);
  // Runs what can run this frame.
  void step(PanelModel& model, const Snapshot& snapshot, ViewState& view, ScriptActions& actions);
  bool done() const { return next_ >= commands_.size(); }

 private:
  using Clock = std::chrono::steady_clock;
  std::vector<std::vector<std::string>> commands_;
  std::size_t next_ = 0;
  Clock::time_point started_{};  // when the current command began
  bool waiting_ = false;         // a command in progress
  // The outcome of the model command in progress, written by the model's thread.
  struct Outcome {
    std::string error;  // written before `done`
    std::atomic<bool> done{false};
  };
  std::shared_ptr<Outcome> outcome_;
};

// The model's view as JSON, with the scenario run's state when there is one.
std::string snapshot_json(const Snapshot& snapshot, const ScenarioRun* run = nullptr);

}  // namespace heatlink::gui
