// FrameStream: the buffer a connection keeps between chunks.
#include "heatlink/protocol/frame_stream.h"

#include <gtest/gtest.h>

#include "test_frames.h"

namespace heatlink::protocol {
namespace {

using mbus::ScanStatus;

TEST(FrameStream, ReassemblesAFrameSplitAcrossChunks) {
  const auto frame = testing::long_frame(0x08, 1, 0x72, testing::kSharky775);
  FrameStream stream;
  stream.feed(Bytes{frame}.subspan(0, 40));
  EXPECT_EQ(stream.next().status, ScanStatus::need_more);
  EXPECT_EQ(stream.buffered(), 40u);
  stream.feed(Bytes{frame}.subspan(40));
  const AnyScanResult r = stream.next();
  ASSERT_EQ(r.status, ScanStatus::complete);
  EXPECT_EQ(r.protocol, Protocol::mbus);
  EXPECT_EQ(r.mbus.data.size(), frame.size() - 9);
  EXPECT_EQ(stream.position(), frame.size());
  EXPECT_EQ(stream.buffered(), 0u);
}

TEST(FrameStream, TakesNoMoreThanItsCapacityAndDrains) {
  const std::vector<std::uint8_t> noise(5000, 0x33);
  FrameStream stream(Protocol::any, 1024);
  const std::size_t taken = stream.feed(noise);
  EXPECT_EQ(taken, 1024u);
  const AnyScanResult r = stream.next();
  EXPECT_EQ(r.status, ScanStatus::invalid);
  EXPECT_EQ(r.consumed, 1024u);
  EXPECT_EQ(stream.feed(Bytes{noise}.subspan(taken)), 1024u);
  EXPECT_EQ(stream.position(), 1024u);
}

TEST(FrameStream, ClearForgetsAPartialFrame) {
  const auto frame = testing::long_frame(0x08, 1, 0x72, testing::kSonoMeter);
  FrameStream stream;
  stream.feed(Bytes{frame}.subspan(0, 10));
  stream.clear();
  EXPECT_EQ(stream.position(), 10u);
  stream.feed(testing::hex("E5"));
  EXPECT_EQ(stream.next().status, ScanStatus::complete);
  EXPECT_EQ(stream.position(), 11u);
}

}  // namespace
}  // namespace heatlink::protocol
