// CJ/T 188: framing, addresses, the heat-meter 901F data in both layouts and DI orders,
// settlement values, commands and error replies. Vectors are hand-built per REFERENCE.md
// section 4 with checksums summed outside the library.
#include "heatlink/protocol/cjt188.h"

#include <gtest/gtest.h>

#include "heatlink/protocol/frame_scan.h"
#include "test_frames.h"

namespace heatlink::protocol::cjt188 {
namespace {

using testing::hex;

constexpr std::string_view kRead901F = "FE FE 68 20 78 56 34 12 00 00 00 01 03 90 1F 00 4F 16";
constexpr std::string_view kReply901F =
    "FE FE 68 20 78 56 34 12 00 00 00 81 2E 90 1F 01"
    " 56 34 12 00 05  67 45 23 00 05  34 12 00 00 17  56 00 00 00 35  67 45 03 00 2C"
    " 12 70 00  53 40 00  34 12 00  45 30 10 15 01 24 20  05 00 72 16";
// The same reply with unit bytes before values, DI low byte first and no preamble.
constexpr std::string_view kReply901FUnitFirst =
    "68 20 78 56 34 12 00 00 00 81 2E 1F 90 01"
    " 05 56 34 12 00  05 67 45 23 00  17 34 12 00 00  35 56 00 00 00  2C 67 45 03 00"
    " 12 70 00  53 40 00  34 12 00  45 30 10 15 01 24 20  05 00 72 16";

// The Frame views `bytes`, which must outlive it.
Frame frame_of(const std::vector<std::uint8_t>& bytes) {
  const auto f = decode_frame(bytes);
  EXPECT_TRUE(f.ok()) << f.error().message();
  return f.ok() ? *f : Frame{};
}
Frame frame_of(std::vector<std::uint8_t>&& bytes) = delete;

TEST(Cjt188, DecodesAReadRequest) {
  const auto bytes = hex(kRead901F);
  const Frame f = frame_of(bytes);
  EXPECT_EQ(f.preamble, 2u);
  EXPECT_EQ(f.meter_type, kHeatHeating);
  EXPECT_EQ(f.address.to_string(), "00000012345678");
  EXPECT_EQ(f.control, kReadData);
  EXPECT_EQ(f.di, kDiCurrentData);
  EXPECT_EQ(f.di_order, DiOrder::high_first);
  EXPECT_FALSE(f.is_reply());
}

TEST(Cjt188, EncodesTheSameReadRequest) {
  const auto address = Address::parse("00000012345678");
  ASSERT_TRUE(address.ok());
  EXPECT_EQ(read_data(kHeatHeating, *address, kDiCurrentData, 0).to_vector(), hex(kRead901F));
}

void expect_heat_records(const Reply& reply) {
  ASSERT_EQ(reply.records.size(), 9u);
  const auto& r = reply.records;
  EXPECT_EQ(r[0].quantity, Quantity::energy);
  EXPECT_EQ(r[0].storage, 1u);  // settlement-day heat
  EXPECT_DOUBLE_EQ(r[0].value, 1234.56);
  EXPECT_EQ(r[1].storage, 0u);
  EXPECT_DOUBLE_EQ(r[1].value, 2345.67);
  EXPECT_EQ(r[1].unit, Unit::kwh);
  EXPECT_EQ(r[2].quantity, Quantity::power);
  EXPECT_DOUBLE_EQ(r[2].value, 12.34);
  EXPECT_EQ(r[3].quantity, Quantity::flow);
  EXPECT_DOUBLE_EQ(r[3].value, 0.56);
  EXPECT_EQ(r[4].quantity, Quantity::volume);
  EXPECT_DOUBLE_EQ(r[4].value, 345.67);
  EXPECT_EQ(r[5].quantity, Quantity::flow_temperature);
  EXPECT_DOUBLE_EQ(r[5].value, 70.12);
  EXPECT_DOUBLE_EQ(r[6].value, 40.53);
  EXPECT_EQ(r[7].quantity, Quantity::operating_time);
  EXPECT_DOUBLE_EQ(r[7].value, 1234.0 * 3600);
  EXPECT_EQ(r[8].quantity, Quantity::datetime);
  EXPECT_EQ(r[8].time.year, 2024);
  EXPECT_EQ(r[8].time.month, 1);
  EXPECT_EQ(r[8].time.day, 15);
  EXPECT_EQ(r[8].time.hour, 10);
  EXPECT_EQ(r[8].time.minute, 30);
  EXPECT_EQ(r[8].time.second, 45);
  ASSERT_TRUE(reply.has_status);
  EXPECT_EQ(reply.status.valve(), Valve::closed);
  EXPECT_TRUE(reply.status.battery_low());
}

TEST(Cjt188, DecodesHeatMeterDataWithUnitsAfterValues) {
  const auto bytes = hex(kReply901F);
  const Frame f = frame_of(bytes);
  EXPECT_TRUE(f.is_reply());
  EXPECT_EQ(f.ser, 1);
  Reply reply;
  ASSERT_TRUE(decode_reply(f, reply)) << reply.error.message();
  EXPECT_EQ(reply.unit_placement, UnitPlacement::after_value);
  expect_heat_records(reply);
}

TEST(Cjt188, DecodesHeatMeterDataWithUnitsFirstAndSwappedDi) {
  const auto bytes = hex(kReply901FUnitFirst);
  const Frame f = frame_of(bytes);
  EXPECT_EQ(f.di, kDiCurrentData);
  EXPECT_EQ(f.di_order, DiOrder::low_first);
  Reply reply;
  ASSERT_TRUE(decode_reply(f, reply)) << reply.error.message();
  EXPECT_EQ(reply.unit_placement, UnitPlacement::before_value);
  expect_heat_records(reply);
}

TEST(Cjt188, EncodesHeatDataPerVendorProfile) {
  HeatData h;
  h.settlement_heat = 123456;
  h.current_heat = 234567;
  h.power = 1234;
  h.flow = 56;
  h.volume = 34567;
  h.supply_temperature = 7012;
  h.return_temperature = 4053;
  h.operating_hours = 1234;
  h.time = mbus::TimePoint{2024, 1, 15, 10, 30, 45, 'I'};
  h.status = Status{0x05, 0x00};
  const auto address = *Address::parse("00000012345678");
  for (const auto& [profile, expected] :
       {std::pair{VendorProfile{}, kReply901F},
        std::pair{VendorProfile{DiOrder::low_first, UnitPlacement::before_value, 0},
                  kReply901FUnitFirst}}) {
    const auto data = encode_heat_data(h, profile);
    ASSERT_TRUE(data.ok()) << data.error().message();
    const auto frame = encode_frame(
        FrameSpec{kHeatHeating, address, kReadData | kReplyBit, true, kDiCurrentData, 1, *data},
        profile);
    ASSERT_TRUE(frame.ok());
    EXPECT_EQ(frame->to_vector(), hex(expected));
  }
}

TEST(Cjt188, RefusesHeatDataWithAWrongUnit) {
  HeatData h;
  h.power_unit = 0x2C;  // m3 is not a power
  EXPECT_EQ(encode_heat_data(h, VendorProfile{}).error().code, Errc::bad_field);
}

TEST(Cjt188, ReadsAddressesWithTheWildcard) {
  const auto request = hex("FE FE 68 20 AA AA AA AA AA AA AA 03 03 81 0A 02 C1 16");
  EXPECT_EQ(read_address(kHeatHeating, 2).to_vector(), request);
  const Frame f = frame_of(request);
  EXPECT_TRUE(f.address.is_wildcard());
  EXPECT_EQ(f.di, kDiReadAddress);
  const auto reply_bytes = hex("FE FE 68 20 78 56 34 12 00 00 00 83 03 81 0A 02 AF 16");
  const Frame reply = frame_of(reply_bytes);
  EXPECT_EQ(reply.address.to_string(), "00000012345678");
  EXPECT_EQ(reply.function(), kReadAddress);
}

TEST(Cjt188, BuildsValveControlAndReadsTheAcknowledgement) {
  const auto address = *Address::parse("00000012345678");
  EXPECT_EQ(valve_control(kHeatHeating, address, kValveClose, 3).to_vector(),
            hex("FE FE 68 20 78 56 34 12 00 00 00 04 04 A0 17 03 99 F7 16"));
  const auto ack_bytes = hex("FE FE 68 20 78 56 34 12 00 00 00 84 05 A0 17 03 01 00 E0 16");
  const Frame ack = frame_of(ack_bytes);
  Reply reply;
  ASSERT_TRUE(decode_reply(ack, reply));
  ASSERT_TRUE(reply.has_status);
  EXPECT_EQ(reply.status.valve(), Valve::closed);
}

TEST(Cjt188, BuildsSetTime) {
  const auto address = *Address::parse("00000012345678");
  const mbus::TimePoint t{2024, 1, 15, 10, 30, 45, 'I'};
  EXPECT_EQ(set_time(kHeatHeating, address, t, 5).to_vector(),
            hex("FE FE 68 20 78 56 34 12 00 00 00 04 0A A0 15 05 45 30 10 15 01 24 20 43 16"));
}

TEST(Cjt188, DecodesMonthlySettlementValuesAndClock) {
  Reply reply;
  const auto settlement_bytes =
      hex("FE FE 68 20 78 56 34 12 00 00 00 81 08 D1 23 04 00 50 12 00 05 84 16");
  const Frame settlement = frame_of(settlement_bytes);
  ASSERT_TRUE(decode_reply(settlement, reply)) << reply.error.message();
  ASSERT_EQ(reply.records.size(), 1u);
  EXPECT_EQ(reply.records[0].storage, 4u);  // D123: four months back
  EXPECT_DOUBLE_EQ(reply.records[0].value, 1250.0);
  const auto clock_bytes =
      hex("FE FE 68 20 78 56 34 12 00 00 00 81 0A 90 7F 07 45 30 10 15 01 24 20 1C 16");
  const Frame clock = frame_of(clock_bytes);
  ASSERT_TRUE(decode_reply(clock, reply));
  EXPECT_EQ(reply.records.at(0).time.year, 2024);
}

TEST(Cjt188, DecodesErrorReplies) {
  const auto bytes = hex("FE FE 68 20 78 56 34 12 00 00 00 C1 03 06 03 00 69 16");
  const Frame f = frame_of(bytes);
  EXPECT_TRUE(f.is_error());
  EXPECT_EQ(f.ser, 6);
  Reply reply;
  ASSERT_TRUE(decode_reply(f, reply));
  ASSERT_TRUE(reply.has_status);
  EXPECT_EQ(reply.status.valve(), Valve::fault);
}

TEST(Cjt188, RejectsBadChecksumAndStop) {
  auto bytes = hex(kRead901F);
  bytes[bytes.size() - 2] ^= 0x10;
  const auto bad = decode_frame(bytes);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::bad_checksum);
  EXPECT_EQ(bad.error().offset, bytes.size() - 2);
  auto stop = hex(kRead901F);
  stop.back() = 0x17;
  EXPECT_EQ(decode_frame(stop).error().code, Errc::bad_stop);
}

TEST(Cjt188, ReportsTruncatedHeatData) {
  auto bytes = hex("68 20 78 56 34 12 00 00 00 81 05 90 1F 01 56 34 5C 16");
  const Frame f = frame_of(bytes);
  Reply reply;
  EXPECT_FALSE(decode_reply(f, reply));
  EXPECT_EQ(reply.error.code, Errc::truncated);
}

TEST(Cjt188, AddressesRejectNonDigits) {
  EXPECT_EQ(Address::parse("0000001234567").error().code, Errc::bad_length);
  EXPECT_EQ(Address::parse("0000001234567X").error().offset, 13u);
  EXPECT_TRUE(Address::parse("AAAAAAAAAAAAAA")->is_wildcard());
}

TEST(FrameScan, TellsMbusFromCjt188OnOneStream) {
  std::vector<std::uint8_t> stream = hex(kReply901FUnitFirst);
  const auto mbus_frame = testing::long_frame(0x08, 1, 0x72, testing::kMultical403);
  stream.insert(stream.end(), mbus_frame.begin(), mbus_frame.end());
  const auto cjt = hex(kReply901F);
  stream.insert(stream.end(), cjt.begin(), cjt.end());
  std::vector<Protocol> seen;
  Bytes rest{stream};
  while (!rest.empty()) {
    const AnyScanResult r = scan_any(rest, Protocol::any);
    ASSERT_EQ(r.status, mbus::ScanStatus::complete);
    seen.push_back(r.protocol);
    rest = rest.subspan(r.consumed);
  }
  EXPECT_EQ(seen, (std::vector<Protocol>{Protocol::cjt188, Protocol::mbus, Protocol::cjt188}));
}

}  // namespace
}  // namespace heatlink::protocol::cjt188
