// A full cycle of 10,000 simulated meters end to end: 34 HM-660s of 300 meters each (250 by
// primary address, 50 by secondary on a second channel) in this process on the district's
// virtual clock, read by the dispatcher and the reading engine through the link procedures,
// decoded, checked by the fault rules and stored (docs/BENCHMARKS.md).
//
// Usage: bench_cycle [CONCENTRATORS]; the database is a SQLite file, or PostgreSQL when
// HEATLINK_BENCH_POSTGRESQL names one (it must be empty).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "heatlink/master/analysis/fault_monitor.h"
#include "heatlink/master/engine/dispatcher.h"
#include "heatlink/master/program/base_information.h"
#include "heatlink/master/program/master_config.h"
#include "heatlink/sim/base_information.h"
#include "heatlink/sim/topology.h"
#include "sim_line.h"

namespace {

namespace master = heatlink::master;
namespace sim = heatlink::sim;

std::string topology_yaml(int concentrators) {
  std::ostringstream t;
  t << "seed: 3\nstart: \"2026-12-01T00:00:00\"\nstations:\n  - name: station-1\n"
    << "    concentrators:\n";
  for (int c = 0; c < concentrators; ++c) {
    const int first = 10'000'000 + c * 1000;
    t << "      - name: hm660-" << c << "\n        rs232_baud: 9600\n        channels:\n"
      << "          - name: ch1\n            max_unit_loads: 400\n            meters:\n"
      << "              - {mix: {multical403: 50, sharky775: 30, sonometer30: 20}, count: 250, "
      << "id: " << first << ", primary: 1}\n"
      << "          - name: ch2\n            meters:\n"
      << "              - {kind: multical603, count: 50, id: " << first + 500 << ", primary: 0}\n";
  }
  return t.str();
}

void check(const std::optional<master::StorageError>& e) {
  if (e) {
    std::fprintf(stderr, "%s\n", e->message.c_str());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int concentrators = argc > 1 ? std::atoi(argv[1]) : 34;
  const std::string dir = std::filesystem::temp_directory_path() / "heatlink-bench-cycle";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/district.yaml") << topology_yaml(concentrators);
  auto loaded = sim::load_topology(dir + "/district.yaml");
  if (auto* e = std::get_if<sim::TopologyError>(&loaded)) {
    std::fprintf(stderr, "%s\n", e->to_string().c_str());
    return 1;
  }
  const auto& topology = std::get<sim::Topology>(loaded);
  sim::District district(topology, 3);
  std::vector<std::unique_ptr<heatlink::test::SimLine>> lines;
  for (std::size_t i = 0; i < district.concentrator_count(); ++i) {
    lines.push_back(
        std::make_unique<heatlink::test::SimLine>(district.queue(), district.concentrator(i)));
  }
  const char* pg = std::getenv("HEATLINK_BENCH_POSTGRESQL");
  auto opened = master::open_storage(pg != nullptr ? pg : "sqlite:" + dir + "/heatlink.db");
  if (auto* e = std::get_if<master::StorageError>(&opened)) {
    std::fprintf(stderr, "%s\n", e->message.c_str());
    return 1;
  }
  auto storage = std::move(std::get<std::unique_ptr<master::Storage>>(opened));
  const auto migrated = storage->migrate();
  if (const auto* e = std::get_if<master::StorageError>(&migrated)) check(*e);
  std::ofstream(dir + "/base.yaml") << sim::base_information_yaml(topology, district);
  auto imported = master::import_base_information(dir + "/base.yaml", *storage);
  if (auto* e = std::get_if<std::string>(&imported)) {
    std::fprintf(stderr, "%s\n", e->c_str());
    return 1;
  }

  const auto records = std::get<std::vector<master::ConcentratorRecord>>(storage->concentrators());
  constexpr master::EpochSeconds kStart = 1'796'054'400;
  auto now = [&district] { return kStart + district.queue().now() / 1'000'000; };
  master::FaultMonitor monitor(*storage);
  check(monitor.load());
  // Each concentrator's line, in the base information's order (no DTUs here).
  std::map<std::int64_t, std::size_t> line_of;
  for (std::size_t i = 0; i < records.size(); ++i) line_of[records[i].id] = i;
  std::size_t current = 0;
  master::ReadingEngine engine(
      *storage,
      [&](const std::string&, auto procedure, auto done) {
        lines[current]->run(std::move(procedure), done);
      },
      now, master::EngineOptions{}, &monitor);

  std::vector<master::CycleStats> cycles;
  const auto wall = std::chrono::steady_clock::now();
  for (const auto& c : records) {
    current = line_of[c.id];
    master::CycleRequest request;
    request.concentrator = c;
    request.slot = now();
    engine.read(request, [&](const master::CycleStats& s) { cycles.push_back(s); });
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count();
  std::size_t read = 0, meters = 0;
  master::EpochSeconds longest = 0;
  for (const auto& s : cycles) {
    read += s.read;
    meters += s.meters;
    longest = std::max(longest, s.finished_at - s.started_at);
  }
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  std::printf(
      "backend=%s concentrators=%zu meters=%zu read=%zu stored_rows=%lld wall=%.2fs "
      "readings_per_wall_s=%.0f longest_cycle_virtual=%llds max_rss=%ld MiB\n",
      storage->backend(), cycles.size(), meters, read,
      static_cast<long long>(std::get<std::int64_t>(storage->count_readings())), seconds,
      static_cast<double>(read) / seconds, static_cast<long long>(longest), after.ru_maxrss / 1024);
  return read == meters ? 0 : 1;
}
