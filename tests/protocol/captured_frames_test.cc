// Real meters' frames: every valid one decodes completely, every broken one is refused.
#include <gtest/gtest.h>

#include "heatlink/protocol/mbus_frame.h"
#include "heatlink/protocol/mbus_telegram.h"
#include "vectors.h"

namespace heatlink::protocol::mbus {
namespace {

TEST(CapturedFrames, EveryValidFrameDecodesWithoutError) {
  const auto frames = testing::captured_frames();
  ASSERT_GE(frames.size(), 19u);
  int valid = 0;
  for (const auto& c : frames) {
    SCOPED_TRACE(c.name + " (" + c.comment + ")");
    const auto frame = decode_frame(c.bytes);
    if (!c.valid) {
      EXPECT_FALSE(frame.ok());
      continue;
    }
    ++valid;
    ASSERT_TRUE(frame.ok()) << frame.error().message();
    Telegram t;
    EXPECT_TRUE(decode_telegram(*frame, t)) << t.error.message() << " at " << t.error.offset;
    EXPECT_FALSE(t.records.empty());
    for (const Record& r : t.records) {
      EXPECT_EQ(r.error, Errc::ok) << t.error.message();
    }
  }
  EXPECT_EQ(valid, 17);
}

TEST(CapturedFrames, ElsterF2HeatMeterValues) {
  for (const auto& c : testing::captured_frames()) {
    if (c.name != "testMsg3") continue;
    Telegram t;
    ASSERT_TRUE(decode_telegram(*decode_frame(c.bytes), t));
    EXPECT_STREQ(manufacturer_letters(t.manufacturer).data(), "SVM");
    EXPECT_EQ(t.id, 0x00919675u);
    EXPECT_EQ(t.records.at(0).quantity, Quantity::energy);
    EXPECT_DOUBLE_EQ(t.records.at(0).value, 78800.0);  // 7880 * 10 kWh
    EXPECT_EQ(t.records.at(3).quantity, Quantity::flow_temperature);
    EXPECT_DOUBLE_EQ(t.records.at(3).value, 63.3);
    EXPECT_TRUE(t.more_records_follow);
    return;
  }
  FAIL() << "testMsg3 missing";
}

}  // namespace
}  // namespace heatlink::protocol::mbus
