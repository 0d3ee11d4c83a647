// The memory of `heatlink master` with 3,000,000 meters in its base information: 10,000
// concentrators of 300 meters each, 10,000 DTUs in the gateway's configuration, a SQLite
// database. The master starts, loads what it keeps in memory and ticks; its resident set is
// read from /proc (docs/BENCHMARKS.md).
//
// Usage: bench_master_memory [CONCENTRATORS] [METERS_PER_CONCENTRATOR]
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "heatlink/master/storage/storage.h"

extern char** environ;

namespace {

namespace master = heatlink::master;

template <class T>
T ok(master::StorageResult<T> result) {
  if (auto* e = std::get_if<master::StorageError>(&result)) {
    std::fprintf(stderr, "%s\n", e->message.c_str());
    std::exit(1);
  }
  return std::move(std::get<T>(result));
}

// VmRSS and VmHWM of a process, in KiB.
std::pair<long, long> memory_of(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  long rss = 0, hwm = 0;
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmRSS:")) rss = std::atol(line.c_str() + 6);
    if (line.starts_with("VmHWM:")) hwm = std::atol(line.c_str() + 6);
  }
  return {rss, hwm};
}

}  // namespace

int main(int argc, char** argv) {
  const int concentrators = argc > 1 ? std::atoi(argv[1]) : 10'000;
  const int per = argc > 2 ? std::atoi(argv[2]) : 300;
  const std::string dir = std::filesystem::temp_directory_path() / "heatlink-bench-memory";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  const auto built = std::chrono::steady_clock::now();
  {
    auto storage = ok(master::open_storage("sqlite:" + dir + "/heatlink.db"));
    ok(storage->migrate());
    const auto station = ok(storage->add_station({0, "station-1"}));
    std::vector<master::MeterRecord> meters(static_cast<std::size_t>(per));
    for (int c = 0; c < concentrators; ++c) {
      char dtu[16];
      std::snprintf(dtu, sizeof dtu, "139%08d", c);
      const auto id = ok(
          storage->add_concentrator({0, station, "hm660-" + std::to_string(c), dtu, std::nullopt}));
      for (int m = 0; m < per; ++m) {
        auto& meter = meters[static_cast<std::size_t>(m)];
        meter.concentrator_id = id;
        meter.channel = m < 250 ? 0 : 1;
        meter.primary_address = static_cast<std::uint8_t>(m < 250 ? m + 1 : 0);
        char secondary[24];
        std::snprintf(secondary, sizeof secondary, "%08d2C2D3404", c * 1000 + m);
        meter.secondary_address = m < 250 ? "" : secondary;
        meter.vendor = "multical403";
      }
      ok(storage->add_meters(meters));
    }
    std::fprintf(stderr, "bench_master_memory: %lld meters stored in %.1f s\n",
                 static_cast<long long>(ok(storage->count_meters())),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - built).count());
  }
  {
    std::ofstream gateway(dir + "/gateway.yaml");
    gateway << "listen: 127.0.0.1:0\nmodels:\n  - {name: MD-109G, convention: id_on_connect}\n"
            << "dtus:\n";
    for (int c = 0; c < concentrators; ++c) {
      char dtu[16];
      std::snprintf(dtu, sizeof dtu, "139%08d", c);
      gateway << "  - {id: \"" << dtu << "\", model: MD-109G}\n";
    }
    std::ofstream(dir + "/master.yaml")
        << "database: sqlite:" << dir
        << "/heatlink.db\ngateway: gateway.yaml\nlog_level: warning\napi: {listen: off}\n";
  }
  std::string config = dir + "/master.yaml";
  std::vector<char*> args = {const_cast<char*>(HEATLINK_BIN), const_cast<char*>("master"),
                             const_cast<char*>("--config"), config.data(), nullptr};
  pid_t pid = -1;
  if (::posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) return 1;
  // Started, the base information loaded, a few ticks of the schedules over it.
  std::this_thread::sleep_for(std::chrono::seconds(10));
  const auto [rss, hwm] = memory_of(pid);
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::printf("concentrators=%d meters=%d master_rss=%ld MiB master_peak_rss=%ld MiB\n",
              concentrators, concentrators * per, rss / 1024, hwm / 1024);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
