#include "sim_command.h"

#include <poll.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <variant>

#include "heatlink/sim/base_information.h"
#include "heatlink/sim/control_server.h"
#include "heatlink/sim/district.h"
#include "heatlink/sim/pace.h"
#include "heatlink/sim/pty_link.h"
#include "heatlink/sim/tcp_server_end.h"
#include "host_port.h"

namespace heatlink::cli {

namespace {

volatile std::sig_atomic_t g_stop = 0;
void request_stop(int) {
  g_stop = 1;
}

struct SimArgs {
  std::string topology;
  std::string topology_key;  // the topology is the value of this top-level key (a scenario's)
  std::string pty;
  std::string server;
  std::string control;
  std::string concentrator;
  std::string pace = "realtime";
  std::optional<std::uint64_t> seed;
  double duration_s = 0;         // virtual seconds; 0: until interrupted
  std::size_t keep_answers = 0;  // each meter's newest answers, on the control API
  bool paused = false;           // virtual time stands until POST /api/v1/resume
  std::string base_information;  // write the district's base information here and stop
};

int fail(const std::string& message) {
  std::fprintf(stderr, "heatlink sim: %s\n", message.c_str());
  return 2;
}

int run_sim(const SimArgs& args) {
  std::variant<sim::Topology, sim::TopologyError> loaded;
  if (args.topology_key.empty()) {
    loaded = sim::load_topology(args.topology);
  } else {
    std::ifstream in(args.topology);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) return fail(args.topology + ": cannot read the file");
    loaded = sim::parse_topology(text.str(), args.topology, args.topology_key);
  }
  if (const auto* error = std::get_if<sim::TopologyError>(&loaded)) return fail(error->to_string());
  const sim::Topology& topology = std::get<sim::Topology>(loaded);
  const std::uint64_t seed = args.seed.value_or(topology.seed.value_or(1));
  if (!args.base_information.empty()) {
    sim::District district(topology, seed);
    std::ofstream out(args.base_information);
    out << sim::base_information_yaml(topology, district);
    if (!out.flush())
      return fail("--write-base-information: cannot write " + args.base_information);
    std::fprintf(stderr, "heatlink sim: %zu meters written to %s\n", district.meter_count(),
                 args.base_information.c_str());
    return 0;
  }
  auto pace = sim::Pace::parse(args.pace);
  if (!pace) return fail("--pace: " + pace.error().message());
  if (args.pty.empty() && args.server.empty() && args.control.empty()) {
    return fail(
        "give --server HOST:PORT (the DTUs connect there), --pty PATH (a concentrator's RS-232) "
        "and/or --control HOST:PORT (the control API)");
  }
  if (pace->mode == sim::Pace::Mode::fastest) {
    return fail("--pace fast cannot serve real clients; use realtime or xN");
  }
  std::optional<std::pair<std::string, std::uint16_t>> server;
  if (!args.server.empty() && !(server = parse_host_port(args.server))) {
    return fail("--server: expected HOST:PORT, found '" + args.server + "'");
  }
  std::optional<std::pair<std::string, std::uint16_t>> control;
  if (!args.control.empty() && !(control = parse_host_port(args.control))) {
    return fail("--control: expected HOST:PORT, found '" + args.control + "'");
  }

  boost::asio::io_context io;
  auto keep_running = boost::asio::make_work_guard(io);
  std::optional<sim::TcpServerEnd> server_end;
  if (server) server_end.emplace(io, server->first, server->second);
  sim::Trace trace;  // feeds the control API's traffic stream
  sim::District district(topology, seed, control ? &trace : nullptr,
                         server_end ? &*server_end : nullptr);
  if (server && district.dtu_count() == 0)
    return fail("--server: the topology gives no concentrator a dtu");

  std::optional<sim::PtyLink> pty;
  sim::Hm660* hm660 = nullptr;
  if (!args.pty.empty()) {
    hm660 = args.concentrator.empty() ? &district.concentrator(0)
                                      : district.find_concentrator(args.concentrator);
    if (hm660 == nullptr) return fail("no concentrator named '" + args.concentrator + "'");
    std::string error;
    auto opened = sim::PtyLink::open(args.pty, error);
    if (!opened) return fail(error);
    pty.emplace(std::move(*opened));
    hm660->set_rs232_sender([&pty](protocol::Bytes bytes) { pty->write(bytes); });
  }

  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);
  sim::SteadyWallClock wall;
  sim::PacedRunner runner(district.queue(), wall, *pace);
  sim::ControlApi api(district, &runner);
  api.follow_runner(true);
  if (args.paused) api.handle({"POST", "/api/v1/pause", ""});
  std::optional<sim::ControlServer> control_server;
  if (control) {
    std::string error;
    control_server.emplace(io, api, control->first, control->second, error);
    if (!error.empty()) return fail("--control: " + error);
    control_server->stream(trace);
    std::fprintf(stderr, "heatlink sim: control API on http://%s:%u/api/v1/status\n",
                 control->first.c_str(), control_server->port());
  }
  std::fprintf(stderr, "heatlink sim: %zu meters, %zu DTUs, seed %llu\n", district.meter_count(),
               district.dtu_count(), static_cast<unsigned long long>(seed));
  if (server)
    std::fprintf(stderr, "heatlink sim: DTUs connect to %s:%u\n", server->first.c_str(),
                 server->second);
  if (pty) {
    std::fprintf(stderr, "heatlink sim: %s on %s -> %s at %u Bd\n", hm660->config().name.c_str(),
                 args.pty.c_str(), pty->device().c_str(), hm660->config().rs232_baud);
  }
  district.keep_answers(args.keep_answers);
  district.power_on_dtus();
  unsigned warned_baud = 0;
  const auto stop_at = static_cast<sim::Micros>(args.duration_s * 1e6);
  while (g_stop == 0) {
    if (api.paused()) {  // virtual time stands still; sockets and the API are still served
      io.run_for(std::chrono::milliseconds(20));
      continue;
    }
    runner.run_until(runner.virtual_now());
    if (stop_at > 0 && district.queue().now() >= stop_at) break;
    // Wait until the next event is due, serving sockets and the pty meanwhile.
    const auto next = district.queue().next_time();
    const sim::Micros deadline =
        next ? runner.wall_time_of(*next) : wall.now() + sim::milliseconds(100);
    // Rounded up: waiting 0 ms for an event less than 1 ms away would spin.
    const auto wait_ms =
        static_cast<int>(std::clamp<sim::Micros>((deadline - wall.now() + 999) / 1000, 0, 100));
    if (server || control) {
      // Back as soon as a socket brought something (bytes from the master schedule the
      // district's next events): a whole wait here would delay each hop by up to 100 ms of
      // wall time, seconds of virtual time at a high pace.
      if (io.run_one_for(std::chrono::milliseconds(pty ? std::min(wait_ms, 10) : wait_ms)) > 0)
        io.poll();
      runner.run_until(runner.virtual_now());
    }
    if (!pty) continue;
    pollfd p{pty->fd(), POLLIN, 0};
    if (::poll(&p, 1, server || control ? 0 : wait_ms) <= 0 || (p.revents & POLLIN) == 0) continue;
    std::vector<std::uint8_t> bytes = pty->read_available();
    if (bytes.empty()) continue;
    runner.run_until(runner.virtual_now());
    const unsigned client = pty->client_baud();
    if (client != 0 && client != hm660->config().rs232_baud) {
      // At the wrong rate a UART sees framing errors, not the bytes that were sent.
      if (warned_baud != client) {
        std::fprintf(stderr, "heatlink sim: the client talks at %u Bd, the concentrator at %u Bd\n",
                     client, hm660->config().rs232_baud);
        warned_baud = client;
      }
      for (auto& b : bytes) b = static_cast<std::uint8_t>(b ^ 0xA5);
    }
    hm660->receive_rs232(bytes);
  }
  return 0;
}

}  // namespace

void add_sim_command(CLI::App& app, int& status) {
  auto args = std::make_shared<SimArgs>();
  CLI::App* sim = app.add_subcommand("sim", "Run a simulated district");
  sim->add_option("--topology", args->topology, "the district (YAML, see docs/topology.md)")
      ->required();
  sim->add_option(
      "--topology-key", args->topology_key,
      "read the topology from this top-level key of the file (a scenario's `topology`)");
  sim->add_option("--pty", args->pty, "expose the concentrator's RS-232 side as a pty linked here");
  sim->add_option("--server", args->server, "HOST:PORT the simulated DTUs connect to");
  sim->add_option("--control", args->control,
                  "HOST:PORT to serve the control API on (docs/sim-api.md)");
  sim->add_option("--concentrator", args->concentrator, "which concentrator (default: the first)");
  sim->add_option("--seed", args->seed, "the seed (default: the topology's, else 1)");
  sim->add_option("--pace", args->pace, "realtime, or xN for N times real time");
  sim->add_option("--duration", args->duration_s, "stop after this many simulated seconds");
  sim->add_option("--keep-answers", args->keep_answers,
                  "each meter keeps its newest N answers (time, register) for GET /meters "
                  "(a bench's ground truth; default 0)")
      ->check(CLI::Range(0, 1000));
  sim->add_flag("--paused", args->paused,
                "start with virtual time standing until the control API's POST /resume");
  sim->add_option("--write-base-information", args->base_information,
                  "write the district as the master's base-information file here, and stop");
  sim->callback([args, &status] { status = run_sim(*args); });
}

}  // namespace heatlink::cli
