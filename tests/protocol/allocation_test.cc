// Decoding into reused storage allocates nothing per frame (the hot path of the gateway).
#include <gtest/gtest.h>

#include "allocation_counter.h"
#include "heatlink/protocol/cjt188.h"
#include "heatlink/protocol/mbus_telegram.h"
#include "test_frames.h"

namespace heatlink::protocol {
namespace {

TEST(Allocation, DecodingIntoReusedStorageAllocatesNothing) {
  const std::vector<std::vector<std::uint8_t>> frames = {
      testing::long_frame(0x08, 1, 0x72, testing::kMultical403),
      testing::long_frame(0x08, 2, 0x72, testing::kMultical603),
      testing::long_frame(0x08, 3, 0x72, testing::kSharky775),
      testing::long_frame(0x08, 4, 0x72, testing::kSonoMeter)};
  mbus::Telegram telegram;
  telegram.records.reserve(32);
  const std::size_t before = heatlink::testing::allocation_count();
  for (int round = 0; round < 1000; ++round) {
    for (const auto& f : frames) {
      const mbus::ScanResult r = mbus::scan_frame(f);
      ASSERT_EQ(r.status, mbus::ScanStatus::complete);
      ASSERT_TRUE(mbus::decode_telegram(r.frame, telegram));
    }
  }
  EXPECT_EQ(heatlink::testing::allocation_count() - before, 0u);
}

}  // namespace
}  // namespace heatlink::protocol
