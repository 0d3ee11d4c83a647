// Hand-built frames for the protocol tests: vendor telegrams laid out per REFERENCE.md
// section 3, written byte by byte from the standard's rules (not produced by our encoder).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "heatlink/protocol/bytes.h"

namespace heatlink::protocol::testing {

// Test vectors are written by hand: a typo in one is a bug in the test, so stop loudly.
inline std::vector<std::uint8_t> hex(std::string_view text) {
  auto bytes = parse_hex(text);
  if (!bytes.ok()) {
    std::fprintf(stderr, "bad test vector: %s\n", bytes.error().message().c_str());
    std::abort();
  }
  return *bytes;
}

// 68 L L 68 C A CI data CS 16 around hand-written data; the checksum is summed here, apart
// from the library's own checksum().
inline std::vector<std::uint8_t> long_frame(std::uint8_t c, std::uint8_t a, std::uint8_t ci,
                                            std::string_view data_hex) {
  const auto data = hex(data_hex);
  const auto len = static_cast<std::uint8_t>(data.size() + 3);
  std::vector<std::uint8_t> f;
  f.reserve(data.size() + 9);
  for (const std::uint8_t b : {std::uint8_t{0x68}, len, len, std::uint8_t{0x68}, c, a, ci}) {
    f.push_back(b);
  }
  for (const std::uint8_t b : data) f.push_back(b);
  unsigned sum = 0;
  for (std::size_t i = 4; i < f.size(); ++i) sum += f[i];
  f.push_back(static_cast<std::uint8_t>(sum & 0xFF));
  f.push_back(0x16);
  return f;
}

// Kamstrup MULTICAL 403: ID 12345678, KAM, version 0x34, heat (outlet).
inline constexpr std::string_view kMultical403 =
    "78563412 2D2C 34 04 01 00 0000"
    "04 06 39300000"       // energy 12345 kWh
    "04 FF07 45230100"     // Kamstrup m3*degC integral (manufacturer specific)
    "04 FF08 89670000"     // second integral
    "04 14 40E20100"       // volume 1234.56 m3
    "04 3B 5E010000"       // flow 350 l/h
    "02 59 641B"           // flow temperature 70.12 degC
    "02 5D D50F"           // return temperature 40.53 degC
    "04 FF22 00000000"     // info code
    "04 A5FF21 20050800";  // operating time 525600 min

// Kamstrup MULTICAL 603 in MWh with billing-date values.
inline constexpr std::string_view kMultical603 =
    "11223344 2D2C 35 04 02 00 0000"
    "04 FB00 D2040000"  // energy 123.4 MWh
    "34 22 10000000"    // on time during error: 16 h
    "02 61 8F0B"        // temperature difference 29.59 K
    "04 2E 0F000000"    // power 15 kW
    "14 2E 19000000"    // maximum power 25 kW
    "04 3C 5E010000"    // flow 3.50 m3/h
    "14 3C BC020000"    // maximum flow 7.00 m3/h
    "04 6D 1E0A0F31"    // 2024-01-15T10:30
    "44 FB00 B0040000"  // billing-date energy 120.0 MWh (storage 1)
    "42 6C FF2C"        // billing date 2023-12-31
    "0C 78 21436587";   // fabrication number 87654321

// Kamstrup MULTICAL 603 in GJ.
inline constexpr std::string_view kMultical603Gj =
    "11223345 2D2C 35 04 03 00 0000"
    "04 FB08 88130000";  // energy 500.0 GJ

// Hydrometer Sharky 775: every value BCD.
inline constexpr std::string_view kSharky775 =
    "87654321 2423 2F 04 05 00 0000"
    "0C 06 45230100"    // energy 12345 kWh
    "8C10 06 00010000"  // tariff 1 energy 100 kWh
    "8C20 13 50000000"  // tariff 2 volume 0.050 m3
    "0C 13 56341200"    // volume 123.456 m3
    "0C 2B 341200F0"    // power -1234 W
    "0B 3B 500300"      // flow 0.350 m3/h
    "0A 5A 0107"        // flow temperature 70.1 degC
    "0A 5E 0504"        // return temperature 40.5 degC
    "0A 62 9602"        // temperature difference 29.6 K
    "0A 27 6503"        // operating days 365
    "04 6D 1E0A0F31"    // 2024-01-15T10:30
    "4C 06 00100100"    // billing-date energy 11000 kWh
    "42 6C FF2C"        // billing date 2023-12-31
    "01 FD17 04";       // error flags: E-4

// Danfoss SonoMeter 40 (heat/cooling).
inline constexpr std::string_view kSonoMeter =
    "55667788 D310 0B 0D 07 00 0000"
    "04 06 E8030000"     // energy 1000 kWh
    "04 14 10270000"     // volume 100.00 m3
    "02 59 641B"         // 70.12 degC
    "02 5D D50F"         // 40.53 degC
    "04 2B 10270000"     // power 10000 W
    "04 3B 5E010000"     // flow 350 l/h
    "04 6D 1E0A0F31"     // 2024-01-15T10:30
    "04 FD17 81040000";  // error code 0x0481

}  // namespace heatlink::protocol::testing
