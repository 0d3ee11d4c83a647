// A deterministic run (DESIGN.md rule 2): the district and the master's core in this process,
// on the district's virtual clock, a real SQLite file, the GPRS links ending in the
// InProcessGateway. Time advances a second at a time: the timeline acts, the dispatcher
// ticks, the simulation runs to the next second, the run observes.
#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "district_gateway.h"
#include "heatlink/harness/in_process_gateway.h"
#include "heatlink/harness/run.h"
#include "heatlink/master/analysis/fault_monitor.h"
#include "heatlink/master/api/api.h"
#include "heatlink/master/engine/dispatcher.h"
#include "heatlink/master/engine/reading_engine.h"
#include "heatlink/master/program/base_information.h"
#include "heatlink/protocol/mbus_procedures.h"
#include "heatlink/sim/base_information.h"
#include "heatlink/sim/control_server.h"
#include "heatlink/sim/district.h"
#include "heatlink/sim/pace.h"
#include "run_observer.h"
#include "timeline.h"

namespace heatlink::harness {

namespace {

namespace fs = std::filesystem;

// The master's core: what dies with its process.
struct MasterCore {
  std::unique_ptr<master::Storage> storage;
  std::unique_ptr<master::FaultMonitor> monitor;
  std::unique_ptr<master::ReadingEngine> engine;
  std::unique_ptr<master::Dispatcher> dispatcher;
};

// Lets the district be built before the gateway that needs its queue.
struct ServerEndSlot final : sim::ServerEnd {
  sim::ServerEnd* target = nullptr;
  void accepted(std::uint64_t c, std::uint32_t ip, sim::GprsLink& link) override {
    target->accepted(c, ip, link);
  }
  void received(std::uint64_t c, protocol::Bytes bytes) override { target->received(c, bytes); }
  void closed(std::uint64_t c) override { target->closed(c); }
};

class Run final : public MasterControl {
 public:
  Run(const Scenario& scenario, const RunOptions& options, RunReport& report)
      : scenario_(scenario), options_(options), report_(report) {}

  void execute();

  // MasterControl
  std::variant<std::int64_t, std::string> manual_read(const master::ReadJob& job) override {
    master::ReadJob j = job;
    j.requested_at = now();
    return queue_read_job(url_, j);
  }
  master::EpochSeconds master_now() const override { return now(); }
  // The API in process on the master's storage, as the master's own API threads run it.
  sim::ApiResponse master_api(const sim::ApiRequest& request) override {
    if (!core_) return {0, R"({"error": "the master is down"})"};
    if (!api_) {
      master::api::Environment env;
      env.now = [this] { return now(); };
      env.consumption = scenario_.master.dispatcher.consumption;
      api_ = std::make_unique<master::api::Api>(std::move(env));
      auto token = bench_token(*core_->storage, now());
      if (auto* e = std::get_if<master::StorageError>(&token)) return {0, e->message};
      token_ = std::get<std::string>(token);
    }
    master::api::Request r{request.method, request.target, {}, request.body, "127.0.0.1"};
    r.headers["authorization"] = "Bearer " + token_;
    r.headers["content-type"] = "application/json";
    const master::api::Response answer = api_->handle(r, *core_->storage);
    return {answer.status, answer.body};
  }
  void take_down(bool kill, Seconds down_for) override {
    log(std::string(kill ? "master killed (-9)" : "master stopped") + ", back in " +
        std::to_string(down_for) + " s");
    ++generation_;  // callbacks of the old core are dropped from here on
    core_.reset();
    gateway_->close_all(kill ? "the master's process died" : "the master stopped");
    back_at_ = t_ + std::max<Seconds>(down_for, 1);
  }

 private:
  master::EpochSeconds now() const {
    return observer_->record().epoch0 + district_->queue().now() / 1'000'000;
  }
  void log(const std::string& line) const {
    if (options_.log) options_.log("[" + std::to_string(t_) + " s] " + line);
  }
  std::string start_master();
  bool prepare();
  std::string serve_control();
  // Runs the district to virtual time `until`: at once, or paced while serving the control API.
  void advance_to(sim::Micros until);

  const Scenario& scenario_;
  const RunOptions& options_;
  RunReport& report_;
  std::string url_;
  sim::Trace trace_;
  ServerEndSlot slot_;
  std::unique_ptr<sim::District> district_;
  std::unique_ptr<InProcessGateway> gateway_;
  std::unique_ptr<sim::ControlApi> control_;
  // With RunOptions::control: the API served over HTTP, and the pace.
  boost::asio::io_context io_;
  sim::SteadyWallClock wall_;
  std::unique_ptr<sim::PacedRunner> runner_;
  std::unique_ptr<sim::ControlServer> server_;
  std::unique_ptr<RunObserver> observer_;
  std::unique_ptr<MasterCore> core_;
  std::unique_ptr<master::api::Api> api_;
  std::string token_;
  std::uint64_t generation_ = 0;
  std::optional<Seconds> back_at_;
  Seconds t_ = 0;
};

std::string Run::start_master() {
  auto core = std::make_unique<MasterCore>();
  auto opened = master::open_storage(url_);
  if (auto* e = std::get_if<master::StorageError>(&opened)) return e->message;
  core->storage = std::move(std::get<0>(opened));
  core->monitor = std::make_unique<master::FaultMonitor>(*core->storage, scenario_.master.faults);
  if (auto e = core->monitor->load()) return e->message;
  const std::uint64_t generation = generation_;
  core->engine = std::make_unique<master::ReadingEngine>(
      *core->storage,
      [this, generation](const std::string& dtu, auto procedure, master::ReadingEngine::Done done) {
        gateway_->run(dtu, std::move(procedure),
                      [this, generation, done = std::move(done)](const master::IoStatus& s) {
                        if (generation == generation_) done(s);
                      });
      },
      [this] { return now(); }, scenario_.master.reading, core->monitor.get());
  core->dispatcher = std::make_unique<master::Dispatcher>(
      *core->storage, *core->engine,
      [this](const std::string& dtu) {
        const auto state = gateway_->registry().state(dtu);
        return state && state->online;
      },
      [this] { return now(); }, scenario_.master.dispatcher,
      [this](const master::CycleStats& s) { observer_->on_cycle(s, t_); },
      [this](const std::string& line) {
        if (scenario_.master.log_level == master::LogLevel::debug) log(line);
      });
  core->dispatcher->set_conflicted([this](const std::string& dtu) {
    const auto state = gateway_->registry().state(dtu);
    return state && state->conflict;
  });
  core_ = std::move(core);
  return {};
}

bool Run::prepare() {
  fs::create_directories(options_.work_dir);
  const fs::path db = fs::path(options_.work_dir) / "heatlink.db";
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db.string() + suffix);
  url_ = "sqlite:" + db.string();

  district_ = std::make_unique<sim::District>(scenario_.topology, report_.seed, &trace_, &slot_);
  observer_ = std::make_unique<RunObserver>(scenario_, *district_, trace_, options_.trace, url_);
  observer_->set_progress(options_.progress);
  gateway_ = std::make_unique<InProcessGateway>(
      district_->queue(), gateway_config(scenario_.topology),
      [this] { return std::chrono::system_clock::time_point(std::chrono::seconds(now())); },
      [this](const std::string& line) {
        if (scenario_.master.log_level == master::LogLevel::debug) log(line);
      });
  slot_.target = gateway_.get();
  if (!options_.control) {
    control_ = std::make_unique<sim::ControlApi>(*district_, nullptr);
  } else if (auto e = serve_control(); !e.empty()) {
    report_.error = e;
    return false;
  }

  {
    auto opened = master::open_storage(url_);
    if (auto* e = std::get_if<master::StorageError>(&opened)) {
      report_.error = e->message;
      return false;
    }
    auto& storage = *std::get<0>(opened);
    const auto migrated = storage.migrate();
    if (const auto* e = std::get_if<master::StorageError>(&migrated)) {
      report_.error = e->message;
      return false;
    }
    const fs::path base = fs::path(options_.work_dir) / "base.yaml";
    std::ofstream(base) << sim::base_information_yaml(scenario_.topology, *district_);
    auto imported = master::import_base_information(base.string(), storage);
    if (auto* e = std::get_if<std::string>(&imported)) {
      report_.error = "base information: " + *e;
      return false;
    }
    if (auto e = observer_->index_meters(storage); !e.empty()) {
      report_.error = e;
      return false;
    }
  }
  if (auto e = start_master(); !e.empty()) {
    report_.error = e;
    return false;
  }
  district_->power_on_dtus();
  return true;
}

std::string Run::serve_control() {
  const auto& [host, port] = *options_.control;
  const double pace = options_.pace > 0 ? options_.pace : scenario_.meta.pace;
  runner_ = std::make_unique<sim::PacedRunner>(district_->queue(), wall_, sim::Pace::times(pace));
  control_ = std::make_unique<sim::ControlApi>(*district_, runner_.get());
  std::string error;
  server_ = std::make_unique<sim::ControlServer>(io_, *control_, host, port, error);
  if (!error.empty()) return "control: " + error;
  server_->stream(trace_);
  observer_->announce_control("http://" + host + ":" + std::to_string(server_->port()));
  log("control API on http://" + host + ":" + std::to_string(server_->port()));
  return {};
}

void Run::advance_to(sim::Micros until) {
  sim::EventQueue& queue = district_->queue();
  if (!server_) {
    queue.run_until(until);
    return;
  }
  while (queue.now() < until) {
    if (control_->paused()) {  // time stands still; the API is still served
      io_.run_for(std::chrono::milliseconds(20));
      continue;
    }
    runner_->run_until(std::min(runner_->virtual_now(), until));
    if (queue.now() >= until) break;
    const sim::Micros due = std::min(queue.next_time().value_or(until), until);
    const sim::Micros wait_us =
        std::clamp<sim::Micros>(runner_->wall_time_of(due) - wall_.now(), 0, sim::milliseconds(20));
    io_.run_for(std::chrono::microseconds(wait_us));
  }
  io_.poll();
}

void Run::execute() {
  if (!prepare()) return;
  Timeline timeline(
      scenario_, observer_->district_index(),
      [this](const sim::ApiRequest& r) { return control_->handle(r); }, *this,
      [this](Seconds t, const std::string& line) {
        observer_->note(t, "timeline", line);
        log(line);
      });
  observer_->set_timeline(&timeline);
  const Seconds end = scenario_.meta.duration;
  for (t_ = 0; t_ < end; ++t_) {
    timeline.tick(t_);
    if (back_at_ && t_ >= *back_at_) {
      back_at_.reset();
      log("master back");
      if (auto e = start_master(); !e.empty()) {
        report_.error = "restarting the master: " + e;
        break;
      }
    }
    if (core_) {
      if (auto e = core_->dispatcher->tick()) log("dispatcher: " + e->message);
      if (auto e = core_->monitor->watch(now(), [this](const std::string& dtu) {
            master::DtuPresence presence;
            if (const auto s = gateway_->registry().state(dtu)) {
              presence.online = s->online;
              if (s->conflict) presence.conflict = s->conflict_detail;
            }
            return presence;
          }))
        log("faults: " + e->message);
    }
    advance_to((t_ + 1) * 1'000'000);
    observer_->after_second(t_ + 1, gateway_->registry());
    observer_->close_windows(t_ + 1);
  }
  for (const std::string& e : timeline.errors()) {
    report_.error += (report_.error.empty() ? "" : "; ") + e;
  }
  auto opened = master::open_storage(url_);
  if (auto* e = std::get_if<master::StorageError>(&opened)) {
    report_.error = e->message;
    return;
  }
  observer_->evaluate_all(*std::get<0>(opened), timeline, report_);
  report_.trace_hash = trace_.hash();
  report_.trace_events = trace_.events();
}

}  // namespace

RunReport run_deterministic(const Scenario& scenario, const RunOptions& options) {
  return timed_run<Run>(scenario, options, false);
}

}  // namespace heatlink::harness
