#include "gateway_command.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <csignal>
#include <iostream>
#include <nlohmann/json.hpp>

#include "heatlink/master/gateway/descriptor_limit.h"
#include "heatlink/master/gateway/gateway.h"
#include "host_port.h"

namespace heatlink::cli {

namespace {

namespace asio = boost::asio;
using Json = nlohmann::ordered_json;

struct GatewayArgs {
  std::string config;
  std::string listen;
  double status_every_s = 0;
};

std::string iso(std::chrono::system_clock::time_point t) {
  if (t == std::chrono::system_clock::time_point{}) return "";
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

Json stats_json(const master::GatewayStats& s) {
  return Json{{"connections", s.connections},   {"online", s.online},
              {"unregistered", s.unregistered}, {"accepted", s.accepted},
              {"refused", s.refused},           {"rejected", s.rejected},
              {"replaced", s.replaced},         {"silent_drops", s.silent_drops}};
}

Json state_json(const master::DtuState& d) {
  return Json{{"id", d.id},
              {"model", d.model},
              {"online", d.online},
              {"parked", d.parked},
              {"remote", d.remote},
              {"connected_at", iso(d.connected_at)},
              {"last_seen", iso(d.last_seen)},
              {"bytes_in", d.bytes_in},
              {"bytes_out", d.bytes_out},
              {"registrations", d.registrations},
              {"heartbeats", d.heartbeats},
              {"garbage_packets", d.garbage_packets},
              {"unsolicited_bytes", d.unsolicited_bytes},
              {"last_drop", d.last_drop}};
}

void print(const Json& j) {
  std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
}

int run_gateway(const GatewayArgs& args) {
  auto loaded = master::load_gateway_config(args.config);
  if (const auto* error = std::get_if<std::string>(&loaded)) {
    std::cerr << "heatlink gateway: " << *error << '\n';
    return 2;
  }
  master::GatewayConfig config = std::get<master::GatewayConfig>(std::move(loaded));
  if (!args.listen.empty()) {
    const auto listen = parse_host_port(args.listen, true);
    if (!listen) {
      std::cerr << "heatlink gateway: --listen: expected HOST:PORT, found '" << args.listen
                << "'\n";
      return 2;
    }
    config.host = listen->first;
    config.port = listen->second;
  }
  const auto descriptors = master::raise_descriptor_limit(config.max_connections);
  std::cerr << "heatlink gateway: " << descriptors.describe(config.max_connections) << '\n';
  asio::io_context io;
  master::Gateway gateway(io, std::move(config), [](const std::string& line) {
    std::cerr << "heatlink gateway: " << line << '\n';
  });
  if (const master::IoStatus started = gateway.start(); !started.ok()) {
    std::cerr << "heatlink gateway: " << started.error << '\n';
    return 3;
  }
  std::cerr << "heatlink gateway: listening on port " << gateway.port() << '\n';

  asio::signal_set stop_signals(io, SIGINT, SIGTERM);
  stop_signals.async_wait([&](const boost::system::error_code&, int) {
    gateway.stop();
    io.stop();
  });
  // SIGUSR1: every DTU's state, one JSON line each.
  asio::signal_set dump_signal(io, SIGUSR1);
  std::function<void()> wait_dump = [&] {
    dump_signal.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      for (const master::DtuState& d : gateway.snapshot()) print(state_json(d));
      wait_dump();
    });
  };
  wait_dump();
  asio::steady_timer status_timer(io);
  std::function<void()> report = [&] {
    if (args.status_every_s <= 0) return;
    status_timer.expires_after(
        std::chrono::milliseconds(static_cast<long>(args.status_every_s * 1000)));
    status_timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      print(stats_json(gateway.stats()));
      report();
    });
  };
  report();
  io.run();
  return 0;
}

}  // namespace

void add_gateway_command(CLI::App& app, int& status) {
  auto args = std::make_shared<GatewayArgs>();
  CLI::App* gateway = app.add_subcommand("gateway", "Run the DTU gateway");
  gateway->add_option("--config", args->config, "the gateway's configuration (docs/gateway.md)")
      ->required();
  gateway->add_option("--listen", args->listen, "HOST:PORT (overrides the configuration's)");
  gateway->add_option("--status-every", args->status_every_s,
                      "print the gateway's counters as JSON every this many seconds");
  gateway->callback([args, &status] { status = run_gateway(*args); });
}

}  // namespace heatlink::cli
