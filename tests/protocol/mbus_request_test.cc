// Master requests: exact bytes for every builder, and the secondary-address mask.
#include "heatlink/protocol/mbus_request.h"

#include <gtest/gtest.h>

#include "test_frames.h"

namespace heatlink::protocol::mbus {
namespace {

using testing::hex;

TEST(MbusRequest, BuildsShortFrames) {
  EXPECT_EQ(snd_nke(1).to_vector(), hex("10 40 01 41 16"));
  EXPECT_EQ(snd_nke(kAddressSelected).to_vector(), hex("10 40 FD 3D 16"));
  EXPECT_EQ(req_ud2(1, false).to_vector(), hex("10 5B 01 5C 16"));
  EXPECT_EQ(req_ud2(1, true).to_vector(), hex("10 7B 01 7C 16"));
  EXPECT_EQ(req_ud1(0xFE, false).to_vector(), hex("10 5A FE 58 16"));
  EXPECT_EQ(req_ud1(0xFE, true).to_vector(), hex("10 7A FE 78 16"));
}

TEST(MbusRequest, BuildsSecondarySelectionWithWildcards) {
  const auto mask = SecondaryAddress::parse("1234FFFF2C2DFF04");
  ASSERT_TRUE(mask.ok()) << mask.error().message();
  EXPECT_EQ(select_secondary(*mask).to_vector(),
            testing::long_frame(0x53, 0xFD, 0x52, "FF FF 34 12 2D 2C FF 04"));
  EXPECT_EQ(select_secondary(*mask, true).to_vector(),
            testing::long_frame(0x53, 0xFD, 0x56, "12 34 FF FF 2C 2D FF 04"));
}

TEST(MbusRequest, ReadsBackTheMaskOfASelection) {
  const auto mask = *SecondaryAddress::parse("12345678FFFFFFFF");
  for (const bool high_first : {false, true}) {
    const FrameBytes f = select_secondary(mask, high_first);
    const auto frame = decode_frame(f.view());
    ASSERT_TRUE(frame.ok());
    const auto back = selection_of(*frame);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, mask);
  }
}

TEST(MbusRequest, MatchesMasksNibbleByNibble) {
  const auto device = *SecondaryAddress::parse("123456782C2D3404");
  EXPECT_TRUE(SecondaryAddress{}.matches(device));
  EXPECT_TRUE(SecondaryAddress::parse("1234FFFFFFFFFFFF")->matches(device));
  EXPECT_TRUE(SecondaryAddress::parse("FFFFFFFF2CFFFFFF")->matches(device));
  EXPECT_TRUE(SecondaryAddress::parse("FFFFFFFFFFFF3F04")->matches(device));
  EXPECT_FALSE(SecondaryAddress::parse("1235FFFFFFFFFFFF")->matches(device));
  EXPECT_FALSE(SecondaryAddress::parse("FFFFFFFFFFFFFF07")->matches(device));
  EXPECT_EQ(device.to_string(), "123456782C2D3404");
}

TEST(MbusRequest, RejectsMalformedSecondaryAddresses) {
  EXPECT_EQ(SecondaryAddress::parse("1234").error().code, Errc::bad_length);
  const auto bad_digit = SecondaryAddress::parse("1234567A2C2D3404");
  ASSERT_FALSE(bad_digit.ok());
  EXPECT_EQ(bad_digit.error().offset, 7u);
  EXPECT_EQ(SecondaryAddress::parse("12345678XC2D3404").error().offset, 8u);
}

TEST(MbusRequest, BuildsSetPrimaryAddress) {
  EXPECT_EQ(set_primary_address(1, 5).to_vector(),
            testing::long_frame(0x53, 0x01, 0x51, "01 7A 05"));
}

TEST(MbusRequest, BuildsClockSetAsTypeF) {
  TimePoint t;
  t.year = 2026;
  t.month = 12;
  t.day = 1;
  t.hour = 8;
  t.minute = 30;
  t.second = 45;  // type F has no seconds
  // Minute, hour, day with the year's low 3 bits (26 = 0b0011010), month with its high 4.
  EXPECT_EQ(set_clock(1, t).to_vector(),
            testing::long_frame(0x53, 0x01, 0x51, "04 6D 1E 08 41 3C"));
}

TEST(MbusRequest, BuildsApplicationResetAndDataSetSelection) {
  EXPECT_EQ(application_reset(1, std::nullopt).to_vector(), hex("68 03 03 68 53 01 50 A4 16"));
  EXPECT_EQ(application_reset(1, 0x10).to_vector(), testing::long_frame(0x53, 0x01, 0x50, "10"));
}

TEST(MbusRequest, BuildsBaudSwitch) {
  const auto f = switch_baud(1, 9600);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->to_vector(), hex("68 03 03 68 53 01 BD 11 16"));
  EXPECT_EQ(*baud_of_ci(0xB8), 300u);
  EXPECT_EQ(*baud_of_ci(0xBF), 38400u);
  EXPECT_FALSE(baud_of_ci(0x72).has_value());
  EXPECT_FALSE(baud_of_ci(0xC0).has_value());  // found by fuzz_hm660: 0xFE shifted by 70
  EXPECT_FALSE(baud_of_ci(0xFE).has_value());
  EXPECT_FALSE(is_command_ci(0xFE));
  EXPECT_FALSE(switch_baud(1, 115200).ok());
}

TEST(MbusRequest, BuildsSndUdWithFcb) {
  const auto f = snd_ud(3, 0x51, hex("01 7A 07"), true);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->bytes[4], 0x73);
}

}  // namespace
}  // namespace heatlink::protocol::mbus
