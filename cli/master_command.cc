#include "master_command.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <csignal>
#include <iostream>
#include <nlohmann/json.hpp>

#include "descriptor_limit.h"
#include "heatlink/master/gateway.h"
#include "heatlink/master/master_config.h"
#include "heatlink/master/reading_engine.h"

namespace heatlink::cli {

namespace {

namespace asio = boost::asio;
using Json = nlohmann::ordered_json;

struct MasterArgs {
  std::string config;
  unsigned cycles = 0;  // stop after this many rounds of cycles (0: run until stopped)
};

int complain(const std::string& message, int code) {
  std::cerr << "heatlink master: " << message << '\n';
  return code;
}

master::EpochSeconds wall_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Json stats_json(const master::CycleStats& s) {
  Json j{{"cycle", s.concentrator},
         {"started_at", s.started_at},
         {"finished_at", s.finished_at},
         {"meters", s.meters},
         {"read", s.read},
         {"failed", s.failed},
         {"stored", s.stored},
         {"success_rate", s.success_rate()}};
  if (!s.error.empty()) j["error"] = s.error;
  return j;
}

int run_master(const MasterArgs& args) {
  auto loaded = master::load_master_config(args.config);
  if (const auto* e = std::get_if<std::string>(&loaded)) return complain(*e, 2);
  const master::MasterConfig config = std::get<master::MasterConfig>(loaded);
  auto gateway_config = master::load_gateway_config(config.gateway_config);
  if (const auto* e = std::get_if<std::string>(&gateway_config)) return complain(*e, 2);

  auto opened = master::open_storage(config.database);
  if (const auto* e = std::get_if<master::StorageError>(&opened)) return complain(e->message, 3);
  auto storage = std::move(std::get<std::unique_ptr<master::Storage>>(opened));
  const auto migrated = storage->migrate();
  if (const auto* e = std::get_if<master::StorageError>(&migrated)) return complain(e->message, 3);
  auto concentrators = storage->concentrators();
  if (const auto* e = std::get_if<master::StorageError>(&concentrators))
    return complain(e->message, 3);
  if (std::get<0>(concentrators).empty() && !config.base_information.empty()) {
    auto imported = master::import_base_information(config.base_information, *storage);
    if (const auto* e = std::get_if<std::string>(&imported)) return complain(*e, 2);
    std::cerr << "heatlink master: imported " << std::get<std::size_t>(imported) << " meters from "
              << config.base_information << '\n';
  }

  raise_descriptor_limit();
  asio::io_context io;
  master::Gateway gateway(
      io, std::get<master::GatewayConfig>(std::move(gateway_config)),
      [](const std::string& line) { std::cerr << "heatlink master: " << line << '\n'; });
  if (const auto started = gateway.start(); !started.ok()) return complain(started.error, 3);
  std::cerr << "heatlink master: DTUs connect to port " << gateway.port() << ", database "
            << storage->backend() << '\n';

  master::ReadingEngine engine(
      *storage,
      [&gateway](const std::string& dtu, std::shared_ptr<protocol::link::Procedure> procedure,
                 master::ReadingEngine::Done done) {
        gateway.run(dtu, std::move(procedure), std::move(done));
      },
      wall_now);

  asio::signal_set stop_signals(io, SIGINT, SIGTERM);
  auto stop = [&] {
    gateway.stop();
    io.stop();
  };
  stop_signals.async_wait([&](const boost::system::error_code&, int) { stop(); });

  // A round: a cycle for every concentrator whose DTU is online and not being read.
  unsigned rounds = 0;
  std::size_t running = 0;
  asio::steady_timer timer(io);
  std::function<void(std::chrono::seconds)> schedule;
  auto round = [&] {
    ++rounds;
    auto list = storage->concentrators();
    if (const auto* e = std::get_if<master::StorageError>(&list)) {
      std::cerr << "heatlink master: " << e->message << '\n';
      return;
    }
    for (const master::ConcentratorRecord& c : std::get<0>(list)) {
      const auto state = gateway.state(c.dtu_id);
      if (!state || !state->online) {
        std::cout << Json{{"cycle", c.name}, {"skipped", "DTU " + c.dtu_id + " offline"}}.dump()
                  << std::endl;
        continue;
      }
      ++running;
      engine.read_concentrator(c, [&](const master::CycleStats& s) {
        std::cout << stats_json(s).dump() << std::endl;
        if (--running == 0 && args.cycles > 0 && rounds >= args.cycles) stop();
      });
    }
    if (running == 0 && args.cycles > 0 && rounds >= args.cycles) stop();
  };
  schedule = [&](std::chrono::seconds after) {
    timer.expires_after(after);
    timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      round();
      schedule(std::chrono::seconds(config.read_every_s));
    });
  };
  schedule(std::chrono::seconds(config.first_cycle_after_s));
  io.run();
  return 0;
}

}  // namespace

void add_master_command(CLI::App& app, int& status) {
  auto args = std::make_shared<MasterArgs>();
  CLI::App* m = app.add_subcommand("master", "Run the master: DTU gateway, reading, storage");
  m->add_option("--config", args->config, "master.yaml (docs/master.md)")->required();
  m->add_option("--cycles", args->cycles,
                "stop after this many rounds of cycles (default: run on)");
  m->callback([args, &status] { status = run_master(*args); });
}

}  // namespace heatlink::cli
