// bench_sim: the simulator's capacity figures (docs/BENCHMARKS.md).
// - bytes of state per simulated meter, everything counted (target: under 512);
// - simulated meter reads per second on one core at the fastest pace (target: over 200,000);
// - the time to build a 3,000,000-meter district.
#include <benchmark/benchmark.h>

#include <fstream>
#include <memory>
#include <string>

#include "heatlink/protocol/mbus_request.h"
#include "heatlink/sim/district.h"

namespace {

using namespace heatlink;

// Resident memory of this process, from /proc/self/statm.
std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * 4096;
}

// `meters` multical403 meters, 250 per channel, 8 channels per concentrator.
sim::Topology district_of(std::size_t meters) {
  sim::Topology t;
  std::size_t left = meters;
  std::uint32_t id = 10000000;
  while (left > 0) {
    sim::StationSpec& station = t.stations.emplace_back();
    station.name = "station";
    for (int c = 0; c < 10 && left > 0; ++c) {
      sim::ConcentratorSpec& concentrator = station.concentrators.emplace_back();
      for (int ch = 0; ch < 8 && left > 0; ++ch) {
        sim::ChannelSpec& channel = concentrator.channels.emplace_back();
        channel.segment.name = "ch";
        channel.segment.max_unit_loads = 250;
        sim::MeterGroup group;
        group.mix = {{sim::MeterKind::multical403, 40},
                     {sim::MeterKind::sharky775, 30},
                     {sim::MeterKind::sonometer30, 20},
                     {sim::MeterKind::multical603, 10}};
        group.count = std::min<std::size_t>(250, left);
        group.first_id = id;
        group.first_primary = 1;
        id += static_cast<std::uint32_t>(group.count);
        left -= group.count;
        channel.groups.push_back(group);
      }
    }
  }
  return t;
}

void BM_BuildDistrict(benchmark::State& state) {
  const auto meters = static_cast<std::size_t>(state.range(0));
  const sim::Topology topology = district_of(meters);
  for (auto _ : state) {
    const std::size_t before = resident_bytes();
    auto district = std::make_unique<sim::District>(topology, 1);
    const std::size_t after = resident_bytes();
    benchmark::DoNotOptimize(district->meter_count());
    state.counters["meters"] = static_cast<double>(district->meter_count());
    state.counters["bytes/meter"] =
        static_cast<double>(after - before) / static_cast<double>(meters);
    state.counters["sizeof(SimulatedMeter)"] = sizeof(sim::SimulatedMeter);
    state.PauseTiming();
    district.reset();
    state.ResumeTiming();
  }
}
BENCHMARK(BM_BuildDistrict)->Arg(3'000'000)->Iterations(1)->Unit(benchmark::kSecond);

// REQ_UD2 to every meter of one channel in turn, through the segment: request on the wire,
// the slave, the model brought up to date, the vendor telegram, the reply back. Virtual time
// jumps from event to event.
void BM_MeterReads(benchmark::State& state) {
  const sim::Topology topology = district_of(250);
  sim::District district(topology, 1);
  sim::MbusSegment& segment = district.concentrator(0).channel(0);
  std::size_t bytes = 0;
  segment.set_receiver([&bytes](protocol::Bytes b) { bytes += b.size(); });
  std::size_t reads = 0;
  for (auto _ : state) {
    const auto primary = static_cast<std::uint8_t>(1 + reads % 250);
    segment.transmit(protocol::mbus::req_ud2(primary, reads / 250 % 2 == 0).view());
    while (district.queue().step()) {
    }
    ++reads;
  }
  state.counters["reads/s"] =
      benchmark::Counter(static_cast<double>(reads), benchmark::Counter::kIsRate);
  state.counters["reply_bytes/read"] = static_cast<double>(bytes) / static_cast<double>(reads);
  state.counters["virtual_s/read"] =
      static_cast<double>(district.queue().now()) / 1e6 / static_cast<double>(reads);
}
BENCHMARK(BM_MeterReads);

}  // namespace

BENCHMARK_MAIN();
