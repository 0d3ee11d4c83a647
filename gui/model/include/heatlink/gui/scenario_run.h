// A scenario run started from the panel: `heatlink run FILE --control 127.0.0.1:0 --events -`
// as a child process in its own process group (a live run's master and simulator go with it),
// its progress lines (docs/scenarios.md, "Watching a run") followed on a thread into a state
// the view draws: the checks turning green or red as their windows close, the timeline's
// actions, and the master's view of the devices (its DTU sessions, its cycles).
//
// Thread-safe: state() and stop() may be called from any thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace heatlink::gui {

struct CheckView {
  enum class Status { pending, passed, failed, skipped };
  std::size_t index = 0;
  std::string name, check, phase, message;
  double from_s = 0, to_s = 0;
  int line = 0;
  Status status = Status::pending;
  bool final = false;  // taken at the end (else as its window closed, to be taken again)
};

struct RunDtu {  // a DTU's session as the master's gateway saw it
  bool online = false;
  std::int64_t registrations = 0, drops = 0;
  std::string last;  // the last session event
};

struct RunConcentrator {  // the master's cycles of a concentrator
  std::string station, dtu;
  std::int64_t cycles = 0, meters = 0, read = 0, failed = 0;  // over the run
  std::int64_t last_meters = 0, last_read = 0;                // its last cycle
  std::optional<double> success_rate() const {
    if (meters == 0) return std::nullopt;
    return static_cast<double>(read) / static_cast<double>(meters);
  }
};

struct ScenarioState {
  enum class Phase { idle, starting, running, passed, failed, error };
  Phase phase = Phase::idle;
  std::string file, scenario, title, work_dir;
  bool live = false;
  double duration_s = 0, heal_at_s = 0;
  std::optional<double> first_fault_s;
  std::string control_url;  // "http://127.0.0.1:41234" once the run serves its simulator
  std::vector<CheckView> checks;
  std::vector<std::pair<double, std::string>> notes;  // the timeline and sessions, newest last
  std::map<std::string, RunDtu> dtus;
  std::map<std::string, RunConcentrator> concentrators;
  std::vector<std::string> output;  // what the run printed that is not progress (its report)
  std::string replay, error;
  int exit_code = -1;

  std::size_t count(CheckView::Status status) const;
  // Applies one line the run printed: a progress event, or report text.
  void apply(const std::string& line);
};

struct ScenarioRunOptions {
  std::string binary;  // heatlink
  std::string file;    // the scenario
  bool live = false;
  double pace = 0;  // simulated seconds per second; 0: the scenario's
  std::optional<std::uint64_t> seed;
  std::string work_dir;  // the run's database and logs (kept)
};

class ScenarioRun {
 public:
  explicit ScenarioRun(ScenarioRunOptions options);  // starts the run
  ~ScenarioRun();                                    // stops it if it still runs
  ScenarioRun(const ScenarioRun&) = delete;
  ScenarioRun& operator=(const ScenarioRun&) = delete;

  ScenarioState state() const;
  // Where the run serves its simulator's control API, once it does.
  std::optional<std::pair<std::string, std::uint16_t>> control() const;
  bool finished() const;
  // Ends the run and its processes (SIGTERM, then SIGKILL after a grace period).
  void stop();

  // The command line the run is started with.
  static std::vector<std::string> command(const ScenarioRunOptions& options);

 private:
  void follow(int fd);

  ScenarioRunOptions options_;
  mutable std::mutex mutex_;
  ScenarioState state_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::thread reader_;
};

}  // namespace heatlink::gui
