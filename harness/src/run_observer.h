// Watches a deterministic run: writes the trace as JSON Lines, samples each meter's registers
// when it answers (the ground truth), follows the DTUs' sessions in the gateway's registry and
// the master's cycles, tells the timeline of events, and evaluates the expectations.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>

#include "heatlink/harness/run.h"
#include "heatlink/master/engine/reading_engine.h"
#include "heatlink/master/gateway/dtu_registry.h"
#include "heatlink/sim/district.h"
#include "run_record.h"
#include "timeline.h"

namespace heatlink::harness {

class RunObserver {
 public:
  // `trace` (the district's) and `out` (may be null) must outlive the observer.
  RunObserver(const Scenario& scenario, sim::District& district, sim::Trace& trace,
              std::ostream* out, std::string url);

  // Matches the district's meters with the master's database; empty, or what is wrong.
  std::string index_meters(master::Storage& storage);
  DistrictIndex district_index() const;
  // The timeline fixes the steady state's windows: the checks are planned (and the plan is
  // reported as progress).
  void set_timeline(Timeline* timeline);
  // Progress lines (RunOptions::progress): set before set_timeline.
  void set_progress(std::function<void(const std::string& line)> progress) {
    progress_ = std::move(progress);
  }
  void announce_control(const std::string& url);
  // Second `t` is over: with progress wanted, each check whose window ended there is taken
  // now (provisionally: the report takes it again at the end) and reported.
  void close_windows(Seconds t);

  // A harness event in the trace.
  void note(Seconds t, const std::string& kind, const std::string& text);
  void on_cycle(const master::CycleStats& stats, Seconds t);
  // Live runs: the master's process reports sessions in its log, the simulator runs apart.
  void on_dtu(Seconds t, const std::string& dtu, bool online, const std::string& detail);
  void live(std::function<std::optional<bool>(std::size_t index)> valve_open);
  // The run reached second `t`.
  void after_second(Seconds t, const master::DtuRegistry& registry);
  // ... and what the master's database says then (called by after_second; live runs call it).
  void watch(Seconds t);
  // A live run's midnight, as the simulator's control API gave it: each meter's register and
  // the heat its household had taken, by the district's meter index.
  bool wants_midnights() const { return sample_midnights_; }
  void midnight(master::EpochSeconds at, const std::vector<std::pair<double, double>>& by_index);
  // A live run's ground truth, as the simulator's control API gives it (`--keep-answers`): the
  // newest answers of the meter with the district's `index`, each its virtual time in seconds
  // and the register it held; those seen before are skipped.
  void answers(std::size_t index, const std::vector<std::pair<double, double>>& answers);
  void evaluate_all(master::Storage& storage, const Timeline& timeline, RunReport& report);

  const RunRecord& record() const noexcept { return record_; }

 private:
  void on_trace(sim::Micros when, std::string_view source, std::string_view kind,
                protocol::Bytes bytes);
  void index_identities();
  void sample_truth(sim::Micros when, protocol::Bytes reply);
  void write_result(const CheckResult& r);
  void report_check(std::size_t planned, const CheckResult& r, bool final);
  void emit(const std::string& line) const {
    if (progress_) progress_(line);
  }
  master::Storage* storage();  // the master's database, opened once when first needed

  const Scenario& scenario_;
  sim::District& district_;
  std::ostream* out_;
  std::string url_;
  std::unique_ptr<master::Storage> storage_;  // for events and timed checks during the run
  RunRecord record_;
  Timeline* timeline_ = nullptr;
  // An M-Bus meter's identity as its RSP_UD header carries it (ID, manufacturer, version,
  // medium; little-endian, 8 bytes) -> meter index.
  std::map<std::uint64_t, std::size_t> by_identity_;            // see index_identities()
  std::map<std::string, std::size_t> by_cjt188_address_;        // 14 digits -> meter index
  std::vector<std::int64_t> database_id_;                       // meter index -> database id
  std::map<std::string, std::pair<bool, std::uint64_t>> dtus_;  // online, registrations
  bool sample_midnights_ = false;
  bool watch_faults_ = false;
  std::set<std::int64_t> faults_seen_;
  std::vector<std::size_t> timed_;                    // checks evaluated when their window ends
  std::map<std::size_t, CheckResult> timed_results_;  // by check index
  std::function<void(const std::string&)> progress_;
  std::vector<PlannedCheck> plan_;
};

}  // namespace heatlink::harness
