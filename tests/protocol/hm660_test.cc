// The HM-660 concentrator-mode codec shared by the simulator and the master.
#include "heatlink/protocol/hm660.h"

#include <gtest/gtest.h>

namespace heatlink::protocol::hm660 {
namespace {

TEST(Hm660Codec, ArchiveEntriesRoundTripIn16Bytes) {
  const ArchiveEntry e{2, ArchiveEntry::mbus_secondary, 0,
                       *mbus::SecondaryAddress::parse("12345678ABCD0F06"), 1};
  std::vector<std::uint8_t> bytes;
  encode_entry(e, bytes);
  ASSERT_EQ(bytes.size(), kEntrySize);
  EXPECT_EQ(to_hex(bytes), "02010078563412CDAB0F060100000000");
  const ArchiveEntry back = decode_entry(bytes);
  EXPECT_TRUE(back.same_meter(e));
  EXPECT_EQ(back.flags, 1);
}

TEST(Hm660Codec, CommandsAreSndUdToFe) {
  const std::uint8_t interval[4] = {0x10, 0x0E, 0, 0};
  const auto frame = mbus::decode_frame(command(kCycleSet, interval).view());
  ASSERT_TRUE(frame.ok());
  EXPECT_EQ(frame->c, mbus::kSndUd);
  EXPECT_EQ(frame->a, kAddress);
  EXPECT_EQ(frame->ci, kCycleSet);
  EXPECT_EQ(frame->data.size(), 4u);
}

}  // namespace
}  // namespace heatlink::protocol::hm660
