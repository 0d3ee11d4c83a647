// Application layer: vendor telegrams, every data type, the VIF tables, and damaged records.
#include "heatlink/protocol/mbus_telegram.h"

#include <gtest/gtest.h>

#include <cmath>

#include "test_frames.h"

namespace heatlink::protocol::mbus {
namespace {

using testing::hex;
using testing::long_frame;

struct Decoded {
  std::vector<std::uint8_t> bytes;
  Telegram telegram;
  bool ok = false;
};

Decoded decode(std::uint8_t ci, std::string_view data_hex) {
  Decoded d;
  d.bytes = long_frame(0x08, 0x01, ci, data_hex);
  const auto frame = decode_frame(d.bytes);
  EXPECT_TRUE(frame.ok()) << frame.error().message();
  if (frame.ok()) d.ok = decode_telegram(*frame, d.telegram);
  return d;
}

void expect_value(const Record& r, Quantity q, double value, Unit unit) {
  EXPECT_EQ(r.quantity, q) << quantity_name(r.quantity);
  EXPECT_NEAR(r.value, value, std::abs(value) * 1e-12) << quantity_name(q);
  EXPECT_EQ(r.unit, unit) << unit_name(r.unit);
  EXPECT_EQ(r.error, Errc::ok);
}

TEST(MbusTelegram, DecodesKamstrupMultical403) {
  const Decoded d = decode(0x72, testing::kMultical403);
  ASSERT_TRUE(d.ok) << d.telegram.error.message();
  const Telegram& t = d.telegram;
  EXPECT_EQ(t.layout, Layout::variable);
  EXPECT_EQ(t.id, 0x12345678u);
  EXPECT_STREQ(manufacturer_letters(t.manufacturer).data(), "KAM");
  EXPECT_EQ(t.version, 0x34);
  EXPECT_STREQ(medium_name(t.medium), "heat_outlet");
  ASSERT_EQ(t.records.size(), 9u);
  expect_value(t.records[0], Quantity::energy, 12345, Unit::kwh);
  EXPECT_EQ(t.records[0].mantissa, 12345);
  EXPECT_EQ(t.records[0].exponent, 3);
  EXPECT_EQ(t.records[0].original_unit, Unit::wh);
  EXPECT_EQ(t.records[1].quantity, Quantity::manufacturer_specific);
  EXPECT_TRUE(t.records[1].manufacturer_vif);
  EXPECT_EQ(t.records[1].mantissa, 0x012345);
  expect_value(t.records[3], Quantity::volume, 1234.56, Unit::m3);
  expect_value(t.records[4], Quantity::flow, 0.35, Unit::m3_per_h);
  EXPECT_EQ(t.records[4].original_unit, Unit::m3_per_h);
  EXPECT_EQ(t.records[4].exponent, -3);
  expect_value(t.records[5], Quantity::flow_temperature, 70.12, Unit::deg_c);
  expect_value(t.records[6], Quantity::return_temperature, 40.53, Unit::deg_c);
  EXPECT_EQ(t.records[7].quantity, Quantity::manufacturer_specific);  // info code
  EXPECT_EQ(t.records[7].mantissa, 0);
  expect_value(t.records[8], Quantity::operating_time, 525600.0 * 60, Unit::s);
  EXPECT_TRUE(t.records[8].manufacturer_vif);  // FF 21 follows the VIF
}

TEST(MbusTelegram, DecodesKamstrupMultical603InMwhWithBillingValues) {
  const Decoded d = decode(0x72, testing::kMultical603);
  ASSERT_TRUE(d.ok) << d.telegram.error.message();
  const auto& r = d.telegram.records;
  ASSERT_EQ(r.size(), 11u);
  expect_value(r[0], Quantity::energy, 123400, Unit::kwh);
  EXPECT_EQ(r[0].original_unit, Unit::mwh);
  EXPECT_EQ(r[0].exponent, -1);
  EXPECT_EQ(r[1].function, Function::error);
  expect_value(r[1], Quantity::on_time, 16 * 3600, Unit::s);
  expect_value(r[2], Quantity::temperature_difference, 29.59, Unit::kelvin);
  expect_value(r[3], Quantity::power, 15, Unit::kw);
  EXPECT_EQ(r[4].function, Function::maximum);
  expect_value(r[4], Quantity::power, 25, Unit::kw);
  expect_value(r[5], Quantity::flow, 3.5, Unit::m3_per_h);
  expect_value(r[6], Quantity::flow, 7.0, Unit::m3_per_h);
  ASSERT_EQ(r[7].kind, ValueKind::time_point);
  EXPECT_EQ(r[7].time.type, 'F');
  EXPECT_EQ(r[7].time.year, 2024);
  EXPECT_EQ(r[7].time.month, 1);
  EXPECT_EQ(r[7].time.day, 15);
  EXPECT_EQ(r[7].time.hour, 10);
  EXPECT_EQ(r[7].time.minute, 30);
  EXPECT_EQ(r[8].storage, 1u);
  expect_value(r[8], Quantity::energy, 120000, Unit::kwh);
  EXPECT_EQ(r[9].storage, 1u);
  EXPECT_EQ(r[9].quantity, Quantity::date);
  EXPECT_EQ(r[9].time.type, 'G');
  EXPECT_EQ(r[9].time.year, 2023);
  EXPECT_EQ(r[9].time.month, 12);
  EXPECT_EQ(r[9].time.day, 31);
  EXPECT_EQ(r[10].quantity, Quantity::fabrication_number);
  EXPECT_EQ(r[10].kind, ValueKind::bcd);
  EXPECT_EQ(r[10].mantissa, 87654321);
}

TEST(MbusTelegram, DecodesEnergyInGigajoules) {
  const Decoded d = decode(0x72, testing::kMultical603Gj);
  ASSERT_TRUE(d.ok);
  const Record& r = d.telegram.records.at(0);
  EXPECT_EQ(r.original_unit, Unit::gj);
  EXPECT_EQ(r.mantissa, 5000);
  EXPECT_EQ(r.exponent, -1);
  expect_value(r, Quantity::energy, 500e9 / 3.6e6, Unit::kwh);
}

TEST(MbusTelegram, DecodesSharky775AllBcdWithNegativePower) {
  const Decoded d = decode(0x72, testing::kSharky775);
  ASSERT_TRUE(d.ok) << d.telegram.error.message();
  const auto& r = d.telegram.records;
  ASSERT_EQ(r.size(), 14u);
  EXPECT_STREQ(manufacturer_letters(d.telegram.manufacturer).data(), "HYD");
  expect_value(r[0], Quantity::energy, 12345, Unit::kwh);
  EXPECT_EQ(r[0].kind, ValueKind::bcd);
  EXPECT_EQ(r[1].tariff, 1u);
  expect_value(r[1], Quantity::energy, 100, Unit::kwh);
  EXPECT_EQ(r[2].tariff, 2u);
  expect_value(r[2], Quantity::volume, 0.05, Unit::m3);
  expect_value(r[3], Quantity::volume, 123.456, Unit::m3);
  expect_value(r[4], Quantity::power, -1.234, Unit::kw);
  EXPECT_EQ(r[4].mantissa, -1234);
  expect_value(r[5], Quantity::flow, 0.35, Unit::m3_per_h);
  expect_value(r[6], Quantity::flow_temperature, 70.1, Unit::deg_c);
  expect_value(r[7], Quantity::return_temperature, 40.5, Unit::deg_c);
  expect_value(r[8], Quantity::temperature_difference, 29.6, Unit::kelvin);
  expect_value(r[9], Quantity::operating_time, 365.0 * 86400, Unit::s);
  EXPECT_EQ(r[9].original_unit, Unit::d);
  EXPECT_EQ(r[11].storage, 1u);
  expect_value(r[11], Quantity::energy, 11000, Unit::kwh);
  EXPECT_EQ(r[13].quantity, Quantity::error_flags);
  EXPECT_EQ(r[13].mantissa, 4);
}

TEST(MbusTelegram, DecodesSonoMeterErrorCodeAsUnsignedFlags) {
  const Decoded d = decode(0x72, testing::kSonoMeter);
  ASSERT_TRUE(d.ok) << d.telegram.error.message();
  EXPECT_STREQ(manufacturer_letters(d.telegram.manufacturer).data(), "DFS");
  EXPECT_STREQ(medium_name(d.telegram.medium), "heat_cooling");
  const Record& e = d.telegram.records.back();
  EXPECT_EQ(e.quantity, Quantity::error_flags);
  EXPECT_EQ(e.mantissa, 0x0481);
  expect_value(d.telegram.records[4], Quantity::power, 10, Unit::kw);
}

TEST(MbusTelegram, DecodesEveryIntegerWidthSigned) {
  const Decoded d = decode(0x78,
                           "01 13 FF"                         // int8 -1 l
                           "02 13 00 80"                      // int16 -32768
                           "03 13 FF FF 7F"                   // int24 8388607
                           "04 13 FE FF FF FF"                // int32 -2
                           "06 13 01 00 00 00 00 00"          // int48 1
                           "07 13 00 00 00 00 00 00 00 80");  // int64 min
  ASSERT_TRUE(d.ok) << d.telegram.error.message();
  const auto& r = d.telegram.records;
  ASSERT_EQ(r.size(), 6u);
  EXPECT_EQ(r[0].mantissa, -1);
  EXPECT_EQ(r[1].mantissa, -32768);
  EXPECT_EQ(r[2].mantissa, 8388607);
  EXPECT_EQ(r[3].mantissa, -2);
  EXPECT_EQ(r[4].mantissa, 1);
  EXPECT_EQ(r[5].mantissa, INT64_MIN);
  expect_value(r[0], Quantity::volume, -0.001, Unit::m3);
}

TEST(MbusTelegram, DecodesReal32AsItsShortestDecimal) {
  const Decoded d = decode(0x78, "05 5B 00 00 8C 42");  // 70.0 in 1 degC? no: 0x428C0000 = 70.0
  ASSERT_TRUE(d.ok);
  const Record& r = d.telegram.records.at(0);
  EXPECT_EQ(r.kind, ValueKind::real);
  expect_value(r, Quantity::flow_temperature, 70.0, Unit::deg_c);
  const Decoded f = decode(0x78, "05 2B 9A 99 99 3F");  // 1.2 W as a float
  EXPECT_DOUBLE_EQ(f.telegram.records.at(0).real, 1.2);
}

TEST(MbusTelegram, DecodesBcdWidthsNegativeAndErrorValues) {
  const Decoded d = decode(0x78,
                           "09 13 42"                 // 2 digits
                           "0A 13 34 F2"              // 4 digits, leading F: -234
                           "0E 13 56 34 12 00 00 00"  // 12 digits
                           "0C 13 00 00 E0 00");      // E nibble: an error value
  ASSERT_TRUE(d.ok) << d.telegram.error.message();
  const auto& r = d.telegram.records;
  EXPECT_EQ(r[0].mantissa, 42);
  EXPECT_EQ(r[1].mantissa, -234);
  EXPECT_EQ(r[2].mantissa, 123456);
  EXPECT_EQ(r[3].kind, ValueKind::bcd_error);
}

TEST(MbusTelegram, DecodesVariableLengthTextAndNumbers) {
  const Decoded d = decode(0x78,
                           "0D FD0A 03 4D 41 4B"  // manufacturer "KAM", sent last char first
                           "0D 13 C2 34 12"       // positive BCD, 4 digits
                           "0D 13 D1 05"          // negative BCD
                           "0D 13 E2 FF 7F");     // binary, 2 bytes
  ASSERT_TRUE(d.ok) << d.telegram.error.message();
  const auto& r = d.telegram.records;
  EXPECT_EQ(r[0].kind, ValueKind::text);
  EXPECT_EQ(std::string(r[0].data.rbegin(), r[0].data.rend()), "KAM");
  EXPECT_EQ(r[1].mantissa, 1234);
  EXPECT_EQ(r[2].mantissa, -5);
  EXPECT_EQ(r[3].mantissa, 0x7FFF);
}

TEST(MbusTelegram, KeepsLongBinaryAsBytesAndRefusesReservedLengths) {
  const Decoded d = decode(0x78, "0D 13 E9 01 02 03 04 05 06 07 08 09");
  ASSERT_TRUE(d.ok) << d.telegram.error.message();
  EXPECT_EQ(d.telegram.records.at(0).kind, ValueKind::bytes);
  EXPECT_EQ(to_hex(d.telegram.records.at(0).data), "010203040506070809");
  const Decoded reserved = decode(0x78, "04 13 01 00 00 00 0D 13 CA 00");
  EXPECT_FALSE(reserved.ok);
  EXPECT_EQ(reserved.telegram.error.code, Errc::unsupported);
  EXPECT_EQ(reserved.telegram.error.offset, 7u + 8u);
  EXPECT_EQ(reserved.telegram.records.size(), 2u);
}

TEST(MbusTelegram, DecodesDifesUpToTen) {
  // Storage 1 + 0xF<<1 = 31, tariff 3, subunit 1 in the first DIFE; a second DIFE adds more.
  const Decoded d = decode(0x78, "C4 FF 01 13 00 00 00 00");
  ASSERT_TRUE(d.ok) << d.telegram.error.message();
  const Record& r = d.telegram.records.at(0);
  EXPECT_EQ(r.storage, 1u + (0xFu << 1) + (1u << 5));
  EXPECT_EQ(r.tariff, 3u);
  EXPECT_EQ(r.subunit, 1u);
  const Decoded eleven = decode(0x78, "84 80 80 80 80 80 80 80 80 80 80 00 13 00 00 00 00");
  EXPECT_FALSE(eleven.ok);
  EXPECT_EQ(eleven.telegram.error.code, Errc::bad_field);
}

TEST(MbusTelegram, AppliesMultiplicativeVifeCorrections) {
  const Decoded d = decode(0x78,
                           "04 86 75 0A 00 00 00"       // energy kWh * 10^(5-6): 1.0 kWh
                           "04 86 7D 0A 00 00 00"       // * 10^3
                           "04 93 3B 0A 00 00 00"       // volume l, accumulated if positive
                           "04 FB 82 22 05 00 00 00");  // reactive energy per hour (named)
  ASSERT_TRUE(d.ok) << d.telegram.error.message();
  const auto& r = d.telegram.records;
  expect_value(r[0], Quantity::energy, 1.0, Unit::kwh);
  EXPECT_EQ(r[0].exponent, 2);
  expect_value(r[1], Quantity::energy, 10000.0, Unit::kwh);
  EXPECT_EQ(r[2].vife_count, 1);
  EXPECT_EQ(r[2].vifes[0], 0x3B);
  EXPECT_EQ(r[3].quantity, Quantity::reactive_energy);
}

TEST(MbusTelegram, DecodesPlainTextVifInBothPlacements) {
  // Standard: VIF FC, VIFE chain, then length and text.  libmbus style: text right after FC.
  const Decoded standard = decode(0x78, "02 FC 74 03 68 2F 6C 0A 00");
  ASSERT_TRUE(standard.ok) << standard.telegram.error.message();
  const Record& s = standard.telegram.records.at(0);
  EXPECT_EQ(s.quantity, Quantity::plain_text_unit);
  EXPECT_EQ(std::string(s.text_unit().rbegin(), s.text_unit().rend()), "l/h");
  EXPECT_EQ(s.mantissa, 10);
  ASSERT_EQ(s.vife_count, 1);
  const Decoded direct = decode(0x78, "02 7C 03 68 2F 6C 0A 00");
  ASSERT_TRUE(direct.ok);
  EXPECT_EQ(direct.telegram.records.at(0).text_unit().size(), 3u);
  const Decoded libmbus = decode(0x78, "02 FC 03 68 2F 6C 74 0A 00");
  ASSERT_TRUE(libmbus.ok) << libmbus.telegram.error.message();
  EXPECT_EQ(libmbus.telegram.records.at(0).mantissa, 10);
  EXPECT_EQ(libmbus.telegram.records.at(0).text_unit().size(), 3u);
}

TEST(MbusTelegram, KeepsManufacturerDataAndSkipsFillers) {
  const Decoded d = decode(0x78, "2F 2F 04 13 01 00 00 00 2F 1F AA BB CC");
  ASSERT_TRUE(d.ok);
  const Telegram& t = d.telegram;
  ASSERT_EQ(t.records.size(), 2u);
  EXPECT_TRUE(t.more_records_follow);
  EXPECT_EQ(to_hex(t.manufacturer_data), "AABBCC");
  EXPECT_EQ(t.records[1].quantity, Quantity::manufacturer_specific);
}

TEST(MbusTelegram, DecodesDateTypes) {
  const Decoded d = decode(0x78,
                           "02 6C FF 2C"              // G: 2023-12-31
                           "04 6D 1E 8A 0F 31"        // F with summer time
                           "06 6D 2D 1E 0A 0F 31 00"  // I: 2024-01-15T10:30:45
                           "03 6D 2D 1E 0A");         // J: 10:30:45
  ASSERT_TRUE(d.ok) << d.telegram.error.message();
  const auto& r = d.telegram.records;
  EXPECT_EQ(r[0].time.type, 'G');
  EXPECT_EQ(r[1].time.type, 'F');
  EXPECT_TRUE(r[1].time.summer_time);
  EXPECT_EQ(r[2].time.type, 'I');
  EXPECT_EQ(r[2].time.second, 45);
  EXPECT_EQ(r[2].time.year, 2024);
  EXPECT_EQ(r[3].time.type, 'J');
  EXPECT_EQ(r[3].time.hour, 10);
}

TEST(MbusTelegram, DecodesHighByteFirstTelegrams) {
  const Decoded d = decode(0x76, "12345678 2C2D 34 04 01 00 0000 04 06 00 00 30 39");
  ASSERT_TRUE(d.ok) << d.telegram.error.message();
  EXPECT_EQ(d.telegram.id, 0x12345678u);
  EXPECT_STREQ(manufacturer_letters(d.telegram.manufacturer).data(), "KAM");
  expect_value(d.telegram.records.at(0), Quantity::energy, 12345, Unit::kwh);
}

TEST(MbusTelegram, DecodesFixedDataStructure) {
  // ID 12345678, access 1, status 0 (BCD, actual values), heat, counters in kWh and m3.
  const Decoded d = decode(0x73, "78563412 01 00 05 6C 45230100 89070000");
  ASSERT_TRUE(d.ok) << d.telegram.error.message();
  const Telegram& t = d.telegram;
  EXPECT_EQ(t.layout, Layout::fixed);
  EXPECT_EQ(t.id, 0x12345678u);
  EXPECT_EQ(t.medium, 4);
  ASSERT_EQ(t.records.size(), 2u);
  expect_value(t.records[0], Quantity::energy, 12345, Unit::kwh);
  expect_value(t.records[1], Quantity::volume, 789, Unit::m3);
}

TEST(MbusTelegram, DecodesApplicationError) {
  const Decoded d = decode(0x70, "08");
  ASSERT_TRUE(d.ok);
  EXPECT_EQ(d.telegram.layout, Layout::application_error);
  EXPECT_STREQ(application_error_name(d.telegram.application_error), "application_busy");
}

TEST(MbusTelegram, KeepsRecordsBeforeATruncatedOne) {
  const Decoded d = decode(0x78, "04 06 39 30 00 00 02 59 64 1B 04 13 01 02");
  EXPECT_FALSE(d.ok);
  const Telegram& t = d.telegram;
  ASSERT_EQ(t.records.size(), 3u);
  expect_value(t.records[0], Quantity::energy, 12345, Unit::kwh);
  expect_value(t.records[1], Quantity::flow_temperature, 70.12, Unit::deg_c);
  EXPECT_EQ(t.records[2].error, Errc::truncated);
  EXPECT_EQ(to_hex(t.records[2].data), "04130102");  // the undecoded rest is kept
  EXPECT_EQ(t.error.code, Errc::truncated);
  EXPECT_EQ(t.error.offset, d.bytes.size() - 2);  // the checksum byte: where the data ended
}

TEST(MbusTelegram, KeepsRecordsAroundUnknownVifes) {
  const Decoded d = decode(0x78, "04 86 1C 01 00 00 00 02 E0 7C 05 00 02 59 64 1B");
  ASSERT_TRUE(d.ok) << d.telegram.error.message();
  ASSERT_EQ(d.telegram.records.size(), 3u);
  expect_value(d.telegram.records[2], Quantity::flow_temperature, 70.12, Unit::deg_c);
}

TEST(MbusTelegram, StopsAtAReservedDifAndSaysWhere) {
  const Decoded d = decode(0x78, "04 06 39 30 00 00 3F 01 02");
  EXPECT_FALSE(d.ok);
  EXPECT_EQ(d.telegram.error.code, Errc::unsupported);
  EXPECT_EQ(d.telegram.error.offset, 7u + 6u);
  ASSERT_EQ(d.telegram.records.size(), 2u);
  EXPECT_EQ(to_hex(d.telegram.records[1].data), "3F0102");
}

TEST(MbusTelegram, ReportsAShortHeader) {
  const Decoded d = decode(0x72, "78563412 2D2C");
  EXPECT_FALSE(d.ok);
  EXPECT_EQ(d.telegram.error.code, Errc::truncated);
}

TEST(MbusTelegram, NamesManufacturers) {
  EXPECT_EQ(manufacturer_code("KAM"), 0x2C2D);
  EXPECT_EQ(manufacturer_code("HYD"), 0x2324);
  EXPECT_EQ(manufacturer_code("DME"), 0x11A5);
  EXPECT_EQ(manufacturer_code("DFS"), 0x10D3);
  EXPECT_STREQ(manufacturer_letters(0x2C2D).data(), "KAM");
}

TEST(MbusTelegram, ReusesRecordStorageAcrossDecodes) {
  const auto bytes = long_frame(0x08, 1, 0x72, testing::kMultical603);
  const auto frame = decode_frame(bytes);
  ASSERT_TRUE(frame.ok());
  Telegram t;
  ASSERT_TRUE(decode_telegram(*frame, t));
  const Record* storage = t.records.data();
  ASSERT_TRUE(decode_telegram(*frame, t));
  EXPECT_EQ(t.records.data(), storage);
}

}  // namespace
}  // namespace heatlink::protocol::mbus
