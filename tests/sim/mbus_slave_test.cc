// The slave side of the link layer, driven the way a master drives it: request frames built
// with the protocol library, replies decoded with it.
#include "heatlink/sim/mbus_slave.h"

#include <gtest/gtest.h>

#include "heatlink/protocol/mbus_encode.h"
#include "heatlink/protocol/mbus_telegram.h"

namespace heatlink::sim {
namespace {

namespace mbus = protocol::mbus;

// A meter with a three-part answer; each part carries its index in a volume record, and a
// counter that changes on every telegram (so a repeat is recognisably a fresh one).
class ThreePartMeter final : public MbusDevice {
 public:
  protocol::FrameBytes telegram(std::uint8_t address, std::size_t part, bool* more) override {
    *more = part + 1 < 3;
    mbus::TelegramHeader h;
    h.id = 0x12345678;
    h.manufacturer = mbus::manufacturer_code("KAM");
    h.version = 0x35;
    h.medium = 0x04;
    h.access_number = static_cast<std::uint8_t>(++telegrams);
    const mbus::RecordSpec records[] = {
        mbus::RecordSpec::make({0x13}, 0x2, static_cast<std::int64_t>(part))};
    return *mbus::encode_rsp_ud(address, h, records, *more);
  }
  void application_reset(std::optional<std::uint8_t> subcode) override { reset_subcode = subcode; }
  void baud_changed(unsigned rate) override { baud = rate; }

  int telegrams = 0;
  std::optional<std::uint8_t> reset_subcode;
  unsigned baud = 2400;
};

class MbusSlaveTest : public ::testing::Test {
 protected:
  std::optional<protocol::FrameBytes> send(const protocol::FrameBytes& request) {
    const auto frame = mbus::decode_frame(request.view());
    EXPECT_TRUE(frame.ok());
    return slave.receive(*frame);
  }
  // The part number the reply carries, or -1 for an ACK, or -2 for silence.
  int part_of(const std::optional<protocol::FrameBytes>& reply) {
    if (!reply) return -2;
    const auto frame = mbus::decode_frame(reply->view());
    EXPECT_TRUE(frame.ok());
    if (frame->type == mbus::FrameType::ack) return -1;
    EXPECT_TRUE(mbus::decode_telegram(*frame, telegram)) << telegram.error.message();
    return static_cast<int>(telegram.records.at(0).mantissa);
  }

  ThreePartMeter meter;
  MbusSlave slave{meter, 5, *mbus::SecondaryAddress::parse("123456782C2D3504")};
  mbus::Telegram telegram;
};

TEST_F(MbusSlaveTest, AnswersSndNkeOnlyWhenAddressed) {
  EXPECT_EQ(part_of(send(mbus::snd_nke(5))), -1);
  EXPECT_EQ(part_of(send(mbus::snd_nke(6))), -2);
  EXPECT_EQ(part_of(send(mbus::snd_nke(mbus::kAddressBroadcast))), -2);  // acts, stays silent
  EXPECT_EQ(part_of(send(mbus::snd_nke(mbus::kAddressBroadcastReply))), -1);
}

TEST_F(MbusSlaveTest, WalksAMultiTelegramAnswerWithTheFcb) {
  send(mbus::snd_nke(5));
  EXPECT_EQ(part_of(send(mbus::req_ud2(5, true))), 0);
  EXPECT_TRUE(telegram.more_records_follow);
  EXPECT_EQ(part_of(send(mbus::req_ud2(5, false))), 1);  // toggled: next part
  EXPECT_EQ(part_of(send(mbus::req_ud2(5, true))), 2);
  EXPECT_FALSE(telegram.more_records_follow);
  EXPECT_EQ(part_of(send(mbus::req_ud2(5, false))), 0);  // after the last part: from the start
}

TEST_F(MbusSlaveTest, RepeatsThePartOnAnUntoggledFcbWithCurrentValues) {
  send(mbus::snd_nke(5));
  EXPECT_EQ(part_of(send(mbus::req_ud2(5, true))), 0);
  EXPECT_EQ(part_of(send(mbus::req_ud2(5, false))), 1);
  const auto first_access = telegram.access_number;
  EXPECT_EQ(part_of(send(mbus::req_ud2(5, false))), 1);  // the master lost our reply
  EXPECT_NE(telegram.access_number, first_access);       // regenerated, not a stale copy
}

TEST_F(MbusSlaveTest, SndNkeRestartsTheAnswer) {
  send(mbus::req_ud2(5, true));
  send(mbus::req_ud2(5, false));
  send(mbus::snd_nke(5));
  EXPECT_EQ(part_of(send(mbus::req_ud2(5, false))), 0);
}

TEST_F(MbusSlaveTest, SelectsBySecondaryAddressWithWildcards) {
  EXPECT_EQ(part_of(send(mbus::req_ud2(mbus::kAddressSelected, true))), -2);
  EXPECT_EQ(
      part_of(send(mbus::select_secondary(*mbus::SecondaryAddress::parse("1234FFFFFFFFFFFF")))),
      -1);
  EXPECT_TRUE(slave.selected());
  EXPECT_EQ(part_of(send(mbus::req_ud2(mbus::kAddressSelected, true))), 0);
  EXPECT_EQ(telegram.id, 0x12345678u);
}

TEST_F(MbusSlaveTest, HighByteFirstSelectionWorksToo) {
  EXPECT_EQ(part_of(send(
                mbus::select_secondary(*mbus::SecondaryAddress::parse("12345678FFFF35FF"), true))),
            -1);
  EXPECT_TRUE(slave.selected());
}

TEST_F(MbusSlaveTest, DeselectsOnANonMatchingSelectionSilently) {
  send(mbus::select_secondary(*mbus::SecondaryAddress::parse("12345678FFFFFFFF")));
  ASSERT_TRUE(slave.selected());
  EXPECT_EQ(
      part_of(send(mbus::select_secondary(*mbus::SecondaryAddress::parse("87654321FFFFFFFF")))),
      -2);
  EXPECT_FALSE(slave.selected());
  EXPECT_EQ(part_of(send(mbus::req_ud2(mbus::kAddressSelected, true))), -2);
}

TEST_F(MbusSlaveTest, SndNkeToTheSelectedAddressDeselects) {
  send(mbus::select_secondary(*mbus::SecondaryAddress::parse("12345678FFFFFFFF")));
  EXPECT_EQ(part_of(send(mbus::snd_nke(mbus::kAddressSelected))), -1);
  EXPECT_FALSE(slave.selected());
}

TEST_F(MbusSlaveTest, SetsItsPrimaryAddress) {
  EXPECT_EQ(part_of(send(mbus::set_primary_address(5, 17))), -1);
  EXPECT_EQ(slave.primary(), 17);
  EXPECT_EQ(part_of(send(mbus::req_ud2(5, true))), -2);
  const auto reply = send(mbus::req_ud2(17, true));
  EXPECT_EQ(part_of(reply), 0);
  EXPECT_EQ(mbus::decode_frame(reply->view())->a, 17);  // the reply comes from the new address
}

TEST_F(MbusSlaveTest, PassesDataSetSelectionAndBaudSwitchToTheDevice) {
  EXPECT_EQ(part_of(send(mbus::application_reset(5, 0x10))), -1);
  EXPECT_EQ(meter.reset_subcode, std::optional<std::uint8_t>(0x10));
  EXPECT_EQ(part_of(send(*mbus::switch_baud(5, 9600))), -1);  // acknowledged at the old rate
  EXPECT_EQ(meter.baud, 9600u);
}

TEST_F(MbusSlaveTest, AnswersReqUd1WithAckWhenThereIsNoAlarm) {
  EXPECT_EQ(part_of(send(mbus::req_ud1(5, true))), -1);
}

TEST_F(MbusSlaveTest, IgnoresOtherSlavesReplies) {
  const std::uint8_t ack[] = {0xE5};
  EXPECT_FALSE(slave.receive(*mbus::decode_frame(ack)).has_value());
  bool more = false;
  EXPECT_FALSE(slave.receive(*mbus::decode_frame(meter.telegram(5, 0, &more).view())).has_value());
}

}  // namespace
}  // namespace heatlink::sim
