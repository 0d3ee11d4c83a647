// A live run: `heatlink master` and `heatlink sim` as processes, the simulated DTUs connecting
// to the master's gateway over real TCP on loopback. The district runs `pace` times real time
// and the master's clock with it (`--clock-start`, `--time-scale`); the timeline acts on the
// simulator through its control API over HTTP and on the master through its database and its
// process (kill -9). The run follows the master's output: cycle statistics on stdout, DTU
// sessions in its log. The checks then read the master's database.
#include <signal.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "district_gateway.h"
#include "heatlink/harness/run.h"
#include "heatlink/sim/base_information.h"
#include "heatlink/sim/district.h"
#include "http_call.h"
#include "process.h"
#include "run_observer.h"
#include "timeline.h"

namespace heatlink::harness {

namespace {

namespace fs = std::filesystem;

// The answers each simulated meter keeps for the run's ground truth (`--keep-answers`), and
// how often (simulated seconds) the run takes them at most.
constexpr int kKeptAnswers = 16;
constexpr Seconds kAnswersEvery = 300;
// How long after its start the master's clock begins, time for the simulator to build its
// district (paused) before both go.
constexpr std::int64_t kFirstStartLeadMs = 1500;

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

using Json = nlohmann::json;

// A cycle's statistics as `heatlink master` prints them (master::stats_json).
master::CycleStats cycle_of(const Json& j) {
  master::CycleStats s;
  s.concentrator = j.value("cycle", "");
  s.slot = j.value("slot", master::EpochSeconds{0});
  s.started_at = j.value("started_at", master::EpochSeconds{0});
  s.finished_at = j.value("finished_at", master::EpochSeconds{0});
  s.meters = j.value("meters", std::size_t{0});
  s.skipped = j.value("skipped", std::size_t{0});
  s.read = j.value("read", std::size_t{0});
  s.failed = j.value("failed", std::size_t{0});
  s.late = j.value("late", std::size_t{0});
  s.missed = j.value("missed", false);
  s.overrun_s = j.value("overrun_s", master::EpochSeconds{0});
  s.stored = j.value("stored", std::size_t{0});
  s.job = j.value("job", std::int64_t{0});
  s.error = j.value("error", "");
  if (j.contains("segments") && j["segments"].is_object()) {
    for (const auto& [channel, seg] : j["segments"].items()) {
      auto& out = s.segments[static_cast<std::uint8_t>(std::stoi(channel))];
      out.meters = seg.value("meters", std::size_t{0});
      out.read = seg.value("read", std::size_t{0});
      out.failed = seg.value("failed", std::size_t{0});
    }
  }
  return s;
}

class LiveRun final : public MasterControl {
 public:
  LiveRun(const Scenario& scenario, const RunOptions& options, RunReport& report)
      : scenario_(scenario), options_(options), report_(report) {}

  void execute();

  std::variant<std::int64_t, std::string> manual_read(const master::ReadJob& job) override {
    master::ReadJob j = job;
    j.requested_at = observer_->record().epoch(t_);
    return queue_read_job(url_, j);
  }
  master::EpochSeconds master_now() const override { return observer_->record().epoch(t_); }
  // Over HTTP on the port the master's API was given, with a token the bench made for itself.
  sim::ApiResponse master_api(const sim::ApiRequest& request) override {
    if (back_at_) return {0, R"({"error": "the master is down"})"};
    if (token_.empty()) {
      auto storage = master::open_storage(url_);
      if (auto* e = std::get_if<master::StorageError>(&storage)) return {0, e->message};
      auto token = bench_token(*std::get<0>(storage), master_now());
      if (auto* e = std::get_if<master::StorageError>(&token)) return {0, e->message};
      token_ = std::get<std::string>(token);
    }
    return http_call("127.0.0.1", api_port_, request, token_);
  }
  void take_down(bool kill, Seconds down_for) override {
    log(std::string(kill ? "kill -9 of the master" : "master stopped") + ", back in " +
        std::to_string(down_for) + " s");
    if (kill) {
      master_.kill(SIGKILL);
    } else {
      master_.stop();
    }
    back_at_ = t_ + std::max<Seconds>(down_for, 1);
  }

 private:
  void log(const std::string& line) const {
    if (options_.log) options_.log("[" + std::to_string(t_) + " s] " + line);
  }
  sim::ApiResponse sim_call(const sim::ApiRequest& request) const {
    return http_call(control_host_, control_port_, request);
  }
  std::string prepare();
  std::string start_master();
  bool follow_master();
  std::string take_answers();
  Seconds virtual_now() const;
  std::string sample_midnight(Seconds midnight);

  const Scenario& scenario_;
  const RunOptions& options_;
  RunReport& report_;
  fs::path dir_;
  std::string url_;
  double pace_ = 60;
  unsigned short gateway_port_ = 0, control_port_ = 0, api_port_ = 0;
  std::string token_;                 // the bench's, for master_api
  std::int64_t first_anchor_ms_ = 0;  // when the master's clock began (Unix ms)
  bool answers_due_ = false;          // a cycle ended since the meters' answers were taken
  Seconds answers_taken_at_ = -kAnswersEvery;
  std::string control_host_ = "127.0.0.1";
  sim::Trace trace_;  // unused in live runs: the simulator traces in its own process
  std::unique_ptr<sim::District> district_;  // the district's identities and base information
  std::unique_ptr<RunObserver> observer_;
  std::function<std::optional<bool>(std::size_t)> live_valve_;  // the simulated valve, by HTTP
  Process master_, sim_;
  std::unique_ptr<LogTail> master_out_, master_err_;
  std::optional<Seconds> back_at_;
  Seconds t_ = 0;
};

std::string LiveRun::prepare() {
  dir_ = options_.work_dir;
  fs::create_directories(dir_);
  const fs::path db = dir_ / "heatlink.db";
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db.string() + suffix);
  for (const char* log : {"master.out", "master.err", "sim.out", "sim.err"}) fs::remove(dir_ / log);
  url_ = "sqlite:" + db.string();
  // Followed across restarts: a restarted master appends.
  master_out_ = std::make_unique<LogTail>((dir_ / "master.out").string());
  master_err_ = std::make_unique<LogTail>((dir_ / "master.err").string());
  pace_ = options_.pace > 0 ? options_.pace : scenario_.meta.pace;
  gateway_port_ = free_port();
  control_port_ = free_port();
  api_port_ = free_port();
  if (options_.control) {  // the simulator's own control API, where it was asked for
    control_host_ = options_.control->first;
    if (options_.control->second != 0) control_port_ = options_.control->second;
  }
  if (gateway_port_ == 0 || control_port_ == 0 || api_port_ == 0)
    return "no free TCP port on 127.0.0.1";

  district_ = std::make_unique<sim::District>(scenario_.topology, report_.seed);
  observer_ = std::make_unique<RunObserver>(scenario_, *district_, trace_, options_.trace, url_);
  observer_->set_progress(options_.progress);
  live_valve_ = [this](std::size_t index) -> std::optional<bool> {
    const auto r = sim_call({"GET", "/api/v1/meters/" + std::to_string(index), ""});
    if (r.status != 200) return std::nullopt;
    const Json meter = Json::parse(r.body, nullptr, false);
    if (!meter.is_object() || meter.value("kind", "") != "cjt188_heat") return std::nullopt;
    return meter.value("valve_open", true);
  };
  observer_->live(live_valve_);
  std::ofstream(dir_ / "base.yaml") << sim::base_information_yaml(scenario_.topology, *district_);
  master::GatewayConfig gateway = gateway_config(scenario_.topology);
  gateway.port = gateway_port_;
  std::ofstream(dir_ / "gateway.yaml") << gateway_yaml(gateway, pace_);
  std::ofstream(dir_ / "master.yaml")
      << master_yaml(scenario_.master, url_, "gateway.yaml", "base.yaml", api_port_);
  return {};
}

// The master's clock shows the simulator's time: at its first start the scenario's time 0 at a
// wall-clock moment shortly ahead, when the run lets the (paused) simulator go; on a restart
// the simulator's time now.
std::string LiveRun::start_master() {
  double virtual_s = 0;
  std::int64_t anchor_ms = wall_ms() + kFirstStartLeadMs;
  if (sim_.running()) {
    const auto r = sim_call({"GET", "/api/v1/status", ""});
    const Json status = Json::parse(r.body, nullptr, false);
    if (status.is_object()) virtual_s = status.value("virtual_time_s", 0.0);
    anchor_ms =
        wall_ms() - static_cast<std::int64_t>((virtual_s - std::floor(virtual_s)) * 1000 / pace_);
  }
  if (!sim_.running()) first_anchor_ms_ = anchor_ms;
  const auto at = observer_->record().epoch(static_cast<Seconds>(virtual_s));
  char scale[32];
  std::snprintf(scale, sizeof scale, "%g", pace_);
  return master_.start(
      {options_.binary, "master", "--config", (dir_ / "master.yaml").string(), "--clock-start",
       std::to_string(at), "--clock-anchor", std::to_string(anchor_ms), "--time-scale", scale},
      (dir_ / "master.out").string(), (dir_ / "master.err").string());
}

// The master's cycle statistics (stdout) and its DTU sessions (its log); true when a cycle
// ended.
bool LiveRun::follow_master() {
  if (!master_out_) return false;
  bool cycles = false;
  for (const std::string& line : master_out_->new_lines()) {
    const Json j = Json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("cycle")) {
      observer_->on_cycle(cycle_of(j), t_);
      cycles = true;
    }
  }
  for (const std::string& line : master_err_->new_lines()) {
    // "heatlink master: DTU 13800000101 registered from 127.0.0.1:40312"
    // "heatlink master: DTU 13800000101 from 127.0.0.1:40312 closed: silent for 3 ..."
    // "... closed: silent for 3 heartbeat intervals; the connection from ... takes over"
    const std::string prefix = "heatlink master: DTU ";
    if (!line.starts_with(prefix)) continue;
    const auto space = line.find(' ', prefix.size());
    if (space == std::string::npos) continue;
    const std::string dtu = line.substr(prefix.size(), space - prefix.size());
    const std::string rest = line.substr(space + 1);
    if (rest.starts_with("registered from ")) {
      observer_->on_dtu(t_, dtu, true, rest);
    } else if (const auto closed = rest.find(" closed: "); closed != std::string::npos) {
      observer_->on_dtu(t_, dtu, false, rest.substr(closed + 9));
      // "...; the connection from 127.0.0.1:40999 takes over": a newcomer that waited
      // registers now.
      if (const auto from = rest.find("the connection from ");
          from != std::string::npos && rest.ends_with(" takes over"))
        observer_->on_dtu(t_, dtu, true, "registered from " + rest.substr(from + 20));
    }
  }
  return cycles;
}

// Every meter's newest answers from the simulator (its ground truth), after each cycle: a
// meter answers a few times per cycle at most, well inside what it keeps.
std::string LiveRun::take_answers() {
  for (std::size_t offset = 0;;) {
    const auto page =
        sim_call({"GET", "/api/v1/meters?offset=" + std::to_string(offset) + "&limit=1000", ""});
    const Json j = Json::parse(page.body, nullptr, false);
    if (page.status != 200 || !j.is_object() || !j["meters"].is_array())
      return "the simulator's meters' answers: HTTP " + std::to_string(page.status);
    for (const Json& m : j["meters"]) {
      if (!m.contains("answers") || !m["answers"].is_array()) continue;
      std::vector<std::pair<double, double>> answers;
      for (const Json& a : m["answers"]) {
        if (a.is_array() && a.size() == 2 && a[0].is_number() && a[1].is_number())
          answers.emplace_back(a[0].get<double>(), a[1].get<double>());
      }
      observer_->answers(m.value("index", std::size_t{0}), answers);
    }
    offset += j["meters"].size();
    if (j["meters"].empty() || offset >= j.value("total", std::size_t{0})) return {};
  }
}

// The simulator's virtual time, in whole scenario seconds (its status call).
Seconds LiveRun::virtual_now() const {
  const auto r = sim_call({"GET", "/api/v1/status", ""});
  if (r.status != 200) return -1;
  const Json status = Json::parse(r.body, nullptr, false);
  if (!status.is_object()) return -1;
  return static_cast<Seconds>(status.value("virtual_time_s", 0.0));
}

// The registers and the heat used of every meter at `midnight` (scenario seconds), from the
// simulator just after it: each meter's figures less what its power added since. The
// simulator is not paused (the master's clock would run on without it); the pages take a few
// virtual seconds at most, well inside a register's step.
std::string LiveRun::sample_midnight(Seconds midnight) {
  const auto status = sim_call({"GET", "/api/v1/status", ""});
  const Json s = Json::parse(status.body, nullptr, false);
  const double late_h =
      s.is_object()
          ? std::max(0.0, s.value("virtual_time_s", 0.0) - static_cast<double>(midnight)) / 3600
          : 0.0;
  std::vector<std::pair<double, double>> by_index;
  std::string error;
  for (std::size_t offset = 0; error.empty();) {
    const auto page =
        sim_call({"GET", "/api/v1/meters?offset=" + std::to_string(offset) + "&limit=1000", ""});
    const Json j = Json::parse(page.body, nullptr, false);
    if (page.status != 200 || !j.is_object() || !j["meters"].is_array()) {
      error = "the simulator's meters at a midnight: HTTP " + std::to_string(page.status);
      break;
    }
    for (const Json& m : j["meters"]) {
      const double since = m.value("power_kw", 0.0) * late_h;
      const auto index = m.value("index", by_index.size());  // the meter's, not the page's
      if (index >= by_index.size()) by_index.resize(index + 1, {0.0, 0.0});
      by_index[index] = {m.value("energy_kwh", 0.0) - since, m.value("used_kwh", 0.0) - since};
    }
    offset += j["meters"].size();
    if (j["meters"].empty() || offset >= j.value("total", std::size_t{0})) break;
  }
  if (error.empty()) observer_->midnight(observer_->record().epoch(midnight), by_index);
  return error;
}

void LiveRun::execute() {
  if (auto e = prepare(); !e.empty()) {
    report_.error = e;
    return;
  }
  // The master first: the DTUs find its gateway listening.
  if (auto e = start_master(); !e.empty()) {
    report_.error = "heatlink master: " + e;
    return;
  }
  char pace[32];
  std::snprintf(pace, sizeof pace, "x%g", pace_);
  std::vector<std::string> sim_args = {
      options_.binary,  "sim",
      "--topology",     scenario_.topology_file,
      "--seed",         std::to_string(report_.seed),
      "--server",       "127.0.0.1:" + std::to_string(gateway_port_),
      "--control",      control_host_ + ":" + std::to_string(control_port_),
      "--pace",         pace,
      "--keep-answers", std::to_string(kKeptAnswers),
      "--paused"};
  if (!scenario_.topology_key.empty()) {
    sim_args.push_back("--topology-key");
    sim_args.push_back(scenario_.topology_key);
  }
  if (auto e = sim_.start(sim_args, (dir_ / "sim.out").string(), (dir_ / "sim.err").string());
      !e.empty()) {
    report_.error = "heatlink sim: " + e;
    return;
  }
  // The control API answers once the district is built.
  Seconds now = -1;
  for (int i = 0; i < 100 && now < 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    now = virtual_now();
  }
  if (now < 0) {
    report_.error =
        "heatlink sim did not answer on its control port (see " + (dir_ / "sim.err").string() + ")";
    return;
  }
  // Both clocks start at the master's anchor.
  std::this_thread::sleep_for(
      std::chrono::milliseconds(std::max<std::int64_t>(0, first_anchor_ms_ - wall_ms())));
  sim_call({"POST", "/api/v1/resume", ""});
  if (wall_ms() > first_anchor_ms_ + 50)
    log("the simulator was ready " + std::to_string(wall_ms() - first_anchor_ms_) +
        " ms after the master's clock began: the master runs that much ahead");
  observer_->announce_control("http://" + control_host_ + ":" + std::to_string(control_port_));
  if (scenario_.weather_set) {
    const auto& w = scenario_.topology.weather;
    sim_call({"PUT", "/api/v1/weather",
              Json{{"annual_mean", w.annual_mean},
                   {"annual_amplitude", w.annual_amplitude},
                   {"daily_amplitude", w.daily_amplitude}}
                  .dump()});
  }
  // The master imports the base information as it starts.
  std::string unindexed = "no database";
  for (int i = 0; i < 100 && !unindexed.empty(); ++i) {
    auto opened = master::open_storage(url_);
    if (auto* e = std::get_if<master::StorageError>(&opened)) {
      unindexed = e->message;
    } else {
      unindexed = observer_->index_meters(*std::get<0>(opened));
    }
    if (unindexed.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    observer_ = std::make_unique<RunObserver>(scenario_, *district_, trace_, options_.trace, url_);
    observer_->set_progress(options_.progress);
    observer_->live(live_valve_);
  }
  if (!unindexed.empty()) {
    report_.error = "the master's database: " + unindexed;
    return;
  }
  Timeline timeline(
      scenario_, observer_->district_index(),
      [this](const sim::ApiRequest& r) { return sim_call(r); }, *this,
      [this](Seconds t, const std::string& line) {
        observer_->note(t, "timeline", line);
        log(line);
      });
  observer_->set_timeline(&timeline);
  Seconds done = -1;  // the last second the timeline has seen
  while (done + 1 < scenario_.meta.duration) {
    // Timeline entries act within 10 ms of wall time of their second (15 s at pace 1500).
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    now = virtual_now();
    if (now < 0 || !sim_.running()) {
      report_.error = "heatlink sim stopped (see " + (dir_ / "sim.err").string() + ")";
      break;
    }
    const Seconds from = done;
    for (t_ = done + 1; t_ <= std::min(now, scenario_.meta.duration - 1); ++t_) {
      timeline.tick(t_);
      if (back_at_ && t_ >= *back_at_) {
        back_at_.reset();
        log("master back");
        if (auto e = start_master(); !e.empty()) report_.error = "heatlink master: " + e;
      }
      done = t_;
      const bool midnight =
          (observer_->record().epoch(t_) + scenario_.master.reading.meter_utc_offset_s) % 86400 ==
          0;
      if (midnight && observer_->wants_midnights()) {
        if (auto e = sample_midnight(t_); !e.empty()) report_.error = e;
      }
      observer_->watch(t_ + 1);
    }
    t_ = done;
    // The answers after cycles ended, every few simulated minutes at most: a district's
    // cycles end one concentrator at a time, and each meter keeps far more answers than it
    // gives in that time.
    if (follow_master()) answers_due_ = true;
    if (answers_due_ && t_ - answers_taken_at_ >= kAnswersEvery) {
      if (auto e = take_answers(); !e.empty()) report_.error = e;
      answers_due_ = false;
      answers_taken_at_ = t_;
    }
    for (Seconds t = from + 1; t <= done; ++t) observer_->close_windows(t);
  }
  // The checks see the master's database as the run left it; the valve checks the district.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  follow_master();
  if (auto e = take_answers(); !e.empty()) report_.error = e;
  for (const std::string& e : timeline.errors())
    report_.error += (report_.error.empty() ? "" : "; ") + e;
  auto opened = master::open_storage(url_);
  if (auto* e = std::get_if<master::StorageError>(&opened)) {
    report_.error = e->message;
  } else {
    observer_->evaluate_all(*std::get<0>(opened), timeline, report_);
  }
  master_.stop();
  sim_.stop();
}

}  // namespace

RunReport run_live(const Scenario& scenario, const RunOptions& options) {
  return timed_run<LiveRun>(scenario, options, true);
}

}  // namespace heatlink::harness
