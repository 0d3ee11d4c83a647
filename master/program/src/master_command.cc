#include "heatlink/master/program/master_command.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>
#include <variant>

#include "heatlink/master/analysis/fault_monitor.h"
#include "heatlink/master/api/api.h"
#include "heatlink/master/api/api_server.h"
#include "heatlink/master/engine/dispatcher.h"
#include "heatlink/master/engine/reading_engine.h"
#include "heatlink/master/gateway/descriptor_limit.h"
#include "heatlink/master/gateway/gateway.h"
#include "heatlink/master/program/base_information.h"
#include "heatlink/master/program/master_config.h"

namespace heatlink::master {

namespace {

namespace asio = boost::asio;
using Json = nlohmann::ordered_json;

struct MasterArgs {
  std::string config;
  unsigned cycles = 0;  // stop once this many cycles have finished (0: run until stopped)
  // A simulated district's clock (live scenario runs): the master's time starts here and runs
  // time_scale times faster than the wall clock.
  std::optional<master::EpochSeconds> clock_start;
  double time_scale = 1;
  // ... from this wall-clock moment (Unix milliseconds; before it the clock stands at
  // clock_start), so that the master and a simulator started apart keep one time.
  std::optional<std::int64_t> clock_anchor_ms;
};

struct ManualReadArgs {
  std::string config;
  std::string meter, concentrator, community;
  unsigned wait_s = 300;
};

int complain(const std::string& command, const std::string& message, int code) {
  std::cerr << "heatlink " << command << ": " << message << '\n';
  return code;
}

master::EpochSeconds wall_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The configuration, and the database opened and migrated.
struct Opened {
  master::MasterConfig config;
  std::unique_ptr<master::Storage> storage;
};

std::variant<Opened, int> open_master(const std::string& command, const std::string& path) {
  auto loaded = master::load_master_config(path);
  if (const auto* e = std::get_if<std::string>(&loaded)) return complain(command, *e, 2);
  auto opened = master::open_storage(std::get<master::MasterConfig>(loaded).database);
  if (const auto* e = std::get_if<master::StorageError>(&opened))
    return complain(command, e->message, 3);
  auto storage = std::move(std::get<std::unique_ptr<master::Storage>>(opened));
  const auto migrated = storage->migrate();
  if (const auto* e = std::get_if<master::StorageError>(&migrated))
    return complain(command, e->message, 3);
  return Opened{std::move(std::get<master::MasterConfig>(loaded)), std::move(storage)};
}

// The master's time: the wall clock, or a simulated district's (see MasterArgs).
master::DtuRegistry::WallClock master_time(const MasterArgs& args) {
  using Clock = std::chrono::system_clock;
  if (!args.clock_start && args.time_scale == 1) return &Clock::now;
  const Clock::time_point start =
      args.clock_start ? Clock::time_point{std::chrono::seconds(*args.clock_start)} : Clock::now();
  const double scale = args.time_scale;
  const auto scaled = [start, scale](std::chrono::duration<double> passed) {
    return start + std::chrono::duration_cast<Clock::duration>(
                       std::max(passed, std::chrono::duration<double>::zero()) * scale);
  };
  if (args.clock_anchor_ms) {
    const Clock::time_point anchor{std::chrono::milliseconds(*args.clock_anchor_ms)};
    return [scaled, anchor] { return scaled(Clock::now() - anchor); };
  }
  const auto began = std::chrono::steady_clock::now();
  return [scaled, began] { return scaled(std::chrono::steady_clock::now() - began); };
}

// The same in whole seconds, as the engine and the API count.
master::ReadingEngine::Now master_clock(const MasterArgs& args) {
  if (!args.clock_start && args.time_scale == 1) return wall_now;
  return [time = master_time(args)] {
    return std::chrono::duration_cast<std::chrono::seconds>(time().time_since_epoch()).count();
  };
}

// What the API sees of the running master.
master::api::Environment api_environment(const master::MasterConfig& config,
                                         master::ReadingEngine::Now now, master::Gateway& gateway,
                                         const master::api::MasterCounters& counters) {
  master::api::Environment env;
  env.now = now;
  env.dtus = [&gateway] { return gateway.snapshot(); };
  env.resolve_dtu_conflict = [&gateway](const std::string& id) {
    return gateway.resolve_conflict(id);
  };
  env.counters = &counters;
  // Half the API's threads may check passwords at once; the others serve everyone else.
  env.login_concurrency = std::max(1u, config.api_threads / 2);
  env.secure_cookies = config.api_secure_cookies;
  env.consumption = config.dispatcher.consumption;
  env.version = HEATLINK_VERSION;
  Json schedules = Json::array();
  for (const auto& s : config.dispatcher.schedules) {
    Json j{{"name", s.name}, {"settlement", s.settlement}};
    if (s.every_s > 0) j["every_s"] = s.every_s;
    if (s.daily_at_s) j["daily_at_s"] = *s.daily_at_s;
    if (!s.stations.empty()) j["stations"] = s.stations;
    if (!s.communities.empty()) j["communities"] = s.communities;
    schedules.push_back(std::move(j));
  }
  const auto& r = config.reading;
  const std::string settings = Json{{"master", config.dispatcher.master},
                                    {"source", "master.yaml"},
                                    {"schedules", schedules},
                                    {"reading",
                                     {{"retries", r.retries},
                                      {"failed_meter_passes", r.failed_meter_passes},
                                      {"batch", r.batch},
                                      {"flush_after_s", r.flush_after_s},
                                      {"keep_raw", r.keep_raw},
                                      {"clock_sync_threshold_s", r.clock_sync_threshold_s}}},
                                    {"faults",
                                     {{"no_data_after_s", config.faults.no_data_after_s},
                                      {"bus_failure_rate", config.faults.bus_failure_rate}}}}
                                   .dump();
  env.reading_settings = [settings] { return settings; };
  return env;
}

master::api::ApiServerOptions api_options(const master::MasterConfig& config) {
  master::api::ApiServerOptions o;
  const auto colon = config.api_listen.rfind(':');
  o.host = config.api_listen.substr(0, colon);
  o.port = static_cast<std::uint16_t>(std::stoul(config.api_listen.substr(colon + 1)));
  o.threads = config.api_threads;
  return o;
}

// The browser UI: master.yaml's `api.web`, or the build's own beside the binary
// (build/bin/../web). A missing UI of the build's own is a warning: the API still runs.
std::variant<std::shared_ptr<const master::api::WebFiles>, std::string> web_files(
    const master::MasterConfig& config) {
  using Files = std::shared_ptr<const master::api::WebFiles>;
  if (config.api_web == "off") return Files();
  std::string root = config.api_web;
  if (root.empty()) {
    std::error_code ec;
    root = (std::filesystem::read_symlink("/proc/self/exe", ec).parent_path().parent_path() / "web")
               .string();
  }
  auto files = std::make_shared<master::api::WebFiles>();
  if (std::string e = files->load(root); !e.empty()) {
    if (!config.api_web.empty()) return e;
    std::cerr << "heatlink master: no browser UI: " << e << '\n';
    return Files();
  }
  return files;
}

int run_master(const MasterArgs& args) {
  // A file that may not grow (a file-size limit, RLIMIT_FSIZE) fails the write that tried, as
  // a full disk does, instead of killing the master: the database says so, and the master
  // stores again once it may.
  std::signal(SIGXFSZ, SIG_IGN);
  auto opened = open_master("master", args.config);
  if (const int* code = std::get_if<int>(&opened)) return *code;
  const master::MasterConfig config = std::move(std::get<Opened>(opened).config);
  auto storage = std::move(std::get<Opened>(opened).storage);
  auto gateway_config = master::load_gateway_config(config.gateway_config);
  if (const auto* e = std::get_if<std::string>(&gateway_config)) return complain("master", *e, 2);

  auto concentrators = storage->concentrators();
  if (const auto* e = std::get_if<master::StorageError>(&concentrators))
    return complain("master", e->message, 3);
  if (std::get<0>(concentrators).empty() && !config.base_information.empty()) {
    auto imported = master::import_base_information(config.base_information, *storage);
    if (const auto* e = std::get_if<std::string>(&imported)) {
      // Masters sharing a database may start together: one imports, the others find it done.
      auto now_there = storage->concentrators();
      if (std::holds_alternative<master::StorageError>(now_there) || std::get<0>(now_there).empty())
        return complain("master", *e, 2);
      std::cerr << "heatlink master: the base information is there already (" << *e << ")\n";
    } else {
      std::cerr << "heatlink master: imported " << std::get<std::size_t>(imported)
                << " meters from " << config.base_information << '\n';
    }
  }

  auto log = [&config](const std::string& line) {
    if (config.log_level != master::LogLevel::warning)
      std::cerr << "heatlink master: " << line << '\n';
  };
  {
    const std::uint64_t connections =
        std::get<master::GatewayConfig>(gateway_config).max_connections +
        (config.api_listen == "off" ? 0 : master::api::ApiServerOptions{}.max_connections);
    const auto descriptors = raise_descriptor_limit(connections);
    std::cerr << "heatlink master: " << descriptors.describe(connections) << '\n';
  }
  asio::io_context io;
  std::get<master::GatewayConfig>(gateway_config).time_scale = args.time_scale;
  master::Gateway gateway(io, std::get<master::GatewayConfig>(std::move(gateway_config)), log,
                          master_time(args));
  if (const auto started = gateway.start(); !started.ok())
    return complain("master", started.error, 3);
  std::cerr << "heatlink master: " << config.dispatcher.master << ": DTUs connect to port "
            << gateway.port() << ", database " << storage->backend() << '\n';

  const master::ReadingEngine::Now now = master_clock(args);
  master::api::MasterCounters counters;
  master::api::Api api(api_environment(config, now, gateway, counters));
  std::unique_ptr<master::api::ApiServer> api_server;
  if (config.api_listen != "off") {
    auto admin = master::api::ensure_administrator(*storage, wall_now());
    if (const auto* e = std::get_if<master::StorageError>(&admin))
      return complain("master", e->message, 3);
    if (const auto& password = std::get<std::optional<std::string>>(admin))
      std::cerr << "heatlink master: first start: sign in as admin with the password " << *password
                << " (shown this once; change it)\n";
    auto options = api_options(config);
    auto web = web_files(config);
    if (const auto* e = std::get_if<std::string>(&web)) return complain("master", *e, 2);
    options.web = std::get<0>(web);
    api_server = std::make_unique<master::api::ApiServer>(
        api, [url = config.database] { return master::open_storage(url); }, options);
    if (const std::string e = api_server->start(); !e.empty()) return complain("master", e, 3);
    const std::string base = "http://" + config.api_listen.substr(0, config.api_listen.rfind(':')) +
                             ':' + std::to_string(api_server->port());
    std::cerr << "heatlink master: web API on " << base << "/api/v1\n";
    if (options.web) std::cerr << "heatlink master: browser UI on " << base << "/\n";
  }
  master::FaultMonitor monitor(*storage, config.faults);
  if (auto e = monitor.load()) return complain("master", e->message, 3);
  master::ReadingEngine engine(
      *storage,
      [&gateway](const std::string& dtu, std::shared_ptr<protocol::link::Procedure> procedure,
                 master::ReadingEngine::Done done) {
        gateway.run(dtu, std::move(procedure), std::move(done));
      },
      now, config.reading, &monitor);

  engine.on_stored([&counters, &now](std::span<const master::Reading> readings) {
    std::vector<std::int64_t> meters;
    meters.reserve(readings.size());
    for (const master::Reading& r : readings) meters.push_back(r.meter_id);
    counters.recently_stored.add(now(), meters);
  });

  asio::signal_set stop_signals(io, SIGINT, SIGTERM);
  auto stop = [&] {
    gateway.stop();
    io.stop();
  };
  stop_signals.async_wait([&](const boost::system::error_code&, int) { stop(); });

  master::Dispatcher dispatcher(
      *storage, engine,
      [&gateway](const std::string& dtu) {
        const auto state = gateway.state(dtu);
        return state && state->online;
      },
      now, config.dispatcher,
      [&counters](const master::CycleStats& s) {
        std::cout << master::stats_json(s) << std::endl;
        if (s.missed) {
          ++counters.slots_missed;
          return;
        }
        ++counters.cycles;
        counters.meters_read_late += s.late;
        counters.meters_read += s.read;
        counters.read_failures += s.failed;
        counters.readings_stored += s.stored;
        counters.readings_unstored += s.unstored;
        if (s.stored > 0) counters.last_stored_at = s.finished_at;
        if (s.storage_failed) counters.last_store_failed_at = s.finished_at;
        if (s.overrun_s > 0) {
          ++counters.cycle_overruns;
          counters.cycle_overrun_seconds += static_cast<std::uint64_t>(s.overrun_s);
        }
      },
      log);

  dispatcher.set_conflicted([&gateway](const std::string& dtu) {
    const auto state = gateway.state(dtu);
    return state && state->conflict;
  });

  // The dispatcher looks at the schedules, the read jobs and the DTUs every second of the
  // master's clock (of a simulated district's: more often in wall time, down to 10 ms); fault
  // rules changed through the API are picked up every half minute of wall time.
  asio::steady_timer timer(io);
  const auto period = std::chrono::microseconds(
      std::max<std::int64_t>(10'000, static_cast<std::int64_t>(1e6 / args.time_scale)));
  auto rules_loaded = std::chrono::steady_clock::now();
  std::function<void()> tick = [&] {
    if (auto e = dispatcher.tick()) std::cerr << "heatlink master: " << e->message << '\n';
    if (auto e = monitor.watch(now(), [&gateway](const std::string& dtu) {
          master::DtuPresence presence;
          if (const auto s = gateway.state(dtu)) {
            presence.online = s->online;
            if (s->conflict) presence.conflict = s->conflict_detail;
          }
          return presence;
        }))
      std::cerr << "heatlink master: " << e->message << '\n';
    if (std::chrono::steady_clock::now() - rules_loaded >= std::chrono::seconds(30)) {
      rules_loaded = std::chrono::steady_clock::now();
      if (auto e = monitor.reload_rules()) std::cerr << "heatlink master: " << e->message << '\n';
    }
    if (args.cycles > 0 && dispatcher.cycles_done() >= args.cycles && dispatcher.outstanding() == 0)
      return stop();
    timer.expires_after(period);
    timer.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) tick();
    });
  };
  tick();
  io.run();
  if (api_server) api_server->stop();
  return 0;
}

int run_manual_read(const ManualReadArgs& args) {
  auto opened = open_master("manual-read", args.config);
  if (const int* code = std::get_if<int>(&opened)) return *code;
  auto& storage = *std::get<Opened>(opened).storage;
  master::ReadJob job;
  job.requested_at = wall_now();
  if (!args.meter.empty()) {
    job.kind = "meter";
    job.target = args.meter;
  } else if (!args.concentrator.empty()) {
    job.kind = "concentrator";
    job.target = args.concentrator;
  } else {
    job.kind = "community";
    job.target = args.community;
  }
  auto queued = storage.queue_read_job(job);
  if (const auto* e = std::get_if<master::StorageError>(&queued))
    return complain("manual-read", e->message, 3);
  const std::int64_t id = std::get<std::int64_t>(queued);
  std::cerr << "heatlink manual-read: job " << id << " queued: " << job.kind << ' ' << job.target
            << '\n';
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(args.wait_s);
  while (std::chrono::steady_clock::now() < deadline) {
    auto found = storage.read_job(id);
    if (const auto* e = std::get_if<master::StorageError>(&found))
      return complain("manual-read", e->message, 3);
    const auto& current = std::get<std::optional<master::ReadJob>>(found);
    if (current && current->finished_at) {
      std::cout << Json{{"job", id},
                        {"status", current->status},
                        {"detail", Json::parse(current->detail)}}
                       .dump()
                << std::endl;
      return current->status == "done" ? 0 : 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return complain("manual-read",
                  "job " + std::to_string(id) + " not finished after " +
                      std::to_string(args.wait_s) + " s (it stays queued for a master to take)",
                  1);
}

}  // namespace

void add_master_command(CLI::App& app, int& status) {
  auto args = std::make_shared<MasterArgs>();
  CLI::App* m = app.add_subcommand("master", "Run the master: DTU gateway, reading, storage");
  m->add_option("--config", args->config, "master.yaml (docs/master.md)")->required();
  m->add_option("--cycles", args->cycles,
                "stop once this many cycles have finished (default: run on)");
  m->add_option("--clock-start", args->clock_start,
                "simulations: start the master's clock at this epoch second");
  m->add_option("--clock-anchor", args->clock_anchor_ms,
                "simulations: the wall-clock moment (Unix ms) the clock shows --clock-start");
  m->add_option("--time-scale", args->time_scale,
                "simulations: run the master's clock this many times faster than real time")
      ->check(CLI::Range(1e-6, 100'000.0));
  m->callback([args, &status] { status = run_master(*args); });

  auto read = std::make_shared<ManualReadArgs>();
  CLI::App* r = app.add_subcommand(
      "manual-read", "Ask the masters for a read ahead of the schedule and wait for it");
  r->add_option("--config", read->config, "the masters' master.yaml (its database)")->required();
  auto* meter = r->add_option("--meter", read->meter, "a meter's id");
  auto* concentrator = r->add_option("--concentrator", read->concentrator, "a concentrator's name");
  auto* community = r->add_option("--community", read->community, "a community's name");
  meter->excludes(concentrator, community);
  concentrator->excludes(community);
  r->add_option("--wait-s", read->wait_s, "give up waiting after this long (default 300)");
  r->callback([read, &status] {
    if (read->meter.empty() && read->concentrator.empty() && read->community.empty())
      throw CLI::RequiredError("--meter, --concentrator or --community");
    status = run_manual_read(*read);
  });
}

}  // namespace heatlink::master
