// bench_decode: framing alone and full decode with normalised values, over realistic
// heat-meter telegrams (the vendor layouts of REFERENCE.md section 3, 70-100 bytes each).
// Counts heap allocations in the timed loop: the target is none per frame.
#include <benchmark/benchmark.h>

#include <vector>

#include "allocation_counter.h"
#include "heatlink/protocol/cjt188.h"
#include "heatlink/protocol/mbus_frame.h"
#include "heatlink/protocol/mbus_telegram.h"
#include "test_frames.h"

namespace {

namespace mbus = heatlink::protocol::mbus;
namespace cjt188 = heatlink::protocol::cjt188;
namespace vectors = heatlink::protocol::testing;

std::vector<std::vector<std::uint8_t>> heat_meter_frames() {
  return {vectors::long_frame(0x08, 1, 0x72, vectors::kMultical403),
          vectors::long_frame(0x08, 2, 0x72, vectors::kMultical603),
          vectors::long_frame(0x08, 3, 0x72, vectors::kSharky775),
          vectors::long_frame(0x08, 4, 0x72, vectors::kSonoMeter)};
}

void report(benchmark::State& state, std::size_t frames, std::size_t records, std::size_t bytes,
            std::size_t allocations) {
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
  if (records > 0) {
    state.counters["records/s"] =
        benchmark::Counter(static_cast<double>(records), benchmark::Counter::kIsRate);
  }
  state.counters["allocs/frame"] = static_cast<double>(allocations) / static_cast<double>(frames);
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

void BM_Framing(benchmark::State& state) {
  const auto frames = heat_meter_frames();
  std::size_t n = 0, bytes = 0;
  const std::size_t before = heatlink::testing::allocation_count();
  for (auto _ : state) {
    const auto& f = frames[n++ % frames.size()];
    const mbus::ScanResult r = mbus::scan_frame(f);
    benchmark::DoNotOptimize(r.frame.data.data());
    bytes += f.size();
  }
  report(state, n, 0, bytes, heatlink::testing::allocation_count() - before);
}
BENCHMARK(BM_Framing);

void BM_FullDecode(benchmark::State& state) {
  const auto frames = heat_meter_frames();
  mbus::Telegram telegram;
  telegram.records.reserve(32);
  std::size_t n = 0, records = 0, bytes = 0;
  const std::size_t before = heatlink::testing::allocation_count();
  for (auto _ : state) {
    const auto& f = frames[n++ % frames.size()];
    const mbus::ScanResult r = mbus::scan_frame(f);
    mbus::decode_telegram(r.frame, telegram);
    benchmark::DoNotOptimize(telegram.records.back().value);
    records += telegram.records.size();
    bytes += f.size();
  }
  report(state, n, records, bytes, heatlink::testing::allocation_count() - before);
}
BENCHMARK(BM_FullDecode);

void BM_Cjt188Decode(benchmark::State& state) {
  const auto frame = vectors::hex(
      "FE FE 68 20 78 56 34 12 00 00 00 81 2E 90 1F 01 56 34 12 00 05 67 45 23 00 05 34 12 00 00"
      " 17 56 00 00 00 35 67 45 03 00 2C 12 70 00 53 40 00 34 12 00 45 30 10 15 01 24 20 05 00 72 "
      "16");
  cjt188::Reply reply;
  reply.records.reserve(16);
  std::size_t n = 0, records = 0;
  const std::size_t before = heatlink::testing::allocation_count();
  for (auto _ : state) {
    const cjt188::ScanResult r = cjt188::scan_frame(frame);
    cjt188::decode_reply(r.frame, reply);
    benchmark::DoNotOptimize(reply.records.back().value);
    records += reply.records.size();
    ++n;
  }
  report(state, n, records, n * frame.size(), heatlink::testing::allocation_count() - before);
}
BENCHMARK(BM_Cjt188Decode);

}  // namespace

BENCHMARK_MAIN();
