// CJ/T 188 (2004 and 2018 editions): frames, the heat-meter data of DI 901F, monthly
// settlement values, clock, address, valve and time commands.
//
// Frame: [FE x n] 68 T A0..A6 C L DI DI SER data CS 16; the preamble is not in CS.
// scan_frame() follows the same complete / need_more / invalid contract as mbus::scan_frame.
// Real meters disagree on the DI byte order and on whether a unit byte precedes or follows
// its value: decoding accepts both; encoding follows a VendorProfile.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "heatlink/protocol/bytes.h"
#include "heatlink/protocol/error.h"
#include "heatlink/protocol/mbus_frame.h"
#include "heatlink/protocol/mbus_telegram.h"

namespace heatlink::protocol::cjt188 {

inline constexpr std::uint8_t kPreamble = 0xFE;
inline constexpr std::uint8_t kStart = 0x68;
inline constexpr std::uint8_t kStop = 0x16;

// Meter types (T).
inline constexpr std::uint8_t kColdWater = 0x10;
inline constexpr std::uint8_t kHeatHeating = 0x20;
inline constexpr std::uint8_t kHeatCooling = 0x21;
inline constexpr std::uint8_t kHeatAndCooling = 0x22;
inline constexpr std::uint8_t kGas = 0x30;
const char* meter_type_name(std::uint8_t type) noexcept;

// Control code (C).
inline constexpr std::uint8_t kReadData = 0x01;
inline constexpr std::uint8_t kReadAddress = 0x03;
inline constexpr std::uint8_t kWriteData = 0x04;
inline constexpr std::uint8_t kWriteAddress = 0x15;
inline constexpr std::uint8_t kSync = 0x16;
inline constexpr std::uint8_t kReplyBit = 0x80;
inline constexpr std::uint8_t kErrorBit = 0x40;
inline constexpr std::uint8_t kFollowUpBit = 0x20;
const char* control_name(std::uint8_t control) noexcept;

// Data identifiers (DI).
inline constexpr std::uint16_t kDiCurrentData = 0x901F;
inline constexpr std::uint16_t kDiSettlementFirst = 0xD120;  // last month; D12B: 12 months ago
inline constexpr std::uint16_t kDiSettlementLast = 0xD12B;
inline constexpr std::uint16_t kDiClock = 0x907F;
inline constexpr std::uint16_t kDiSettlementDay = 0x8103;
inline constexpr std::uint16_t kDiReadingDay = 0x8104;
inline constexpr std::uint16_t kDiReadAddress = 0x810A;
inline constexpr std::uint16_t kDiSetTime = 0xA015;
inline constexpr std::uint16_t kDiValve = 0xA017;
inline constexpr std::uint16_t kDiWriteAddress = 0xA018;
bool is_known_di(std::uint16_t di) noexcept;

// Valve command bytes for DI A017.
inline constexpr std::uint8_t kValveOpen = 0x55;
inline constexpr std::uint8_t kValveClose = 0x99;
inline constexpr std::uint8_t kValveExercise = 0xAA;
inline constexpr std::uint8_t kValveHalfOpen = 0x77;

// A 7-byte BCD address, A0 (lowest digits) first as on the wire; AA x 7 is the wildcard.
struct Address {
  std::array<std::uint8_t, 7> bytes{};

  static Address wildcard() noexcept;
  // 14 digits, A6 first ("00000012345678"); "AAAAAAAAAAAAAA" is the wildcard.
  static Result<Address> parse(std::string_view digits);
  std::string to_string() const;  // 14 digits, A6 first
  bool is_wildcard() const noexcept;
  bool operator==(const Address&) const = default;
};

enum class DiOrder : std::uint8_t { high_first, low_first };  // 90 1F / 1F 90
enum class UnitPlacement : std::uint8_t { after_value, before_value };

struct VendorProfile {
  DiOrder di_order = DiOrder::high_first;
  UnitPlacement unit_placement = UnitPlacement::after_value;
  std::uint8_t preamble = 2;  // FE bytes before each frame
};

struct Frame {
  std::size_t preamble = 0;
  std::uint8_t meter_type = 0;
  Address address;
  std::uint8_t control = 0;
  Bytes body;  // the L bytes: DI, SER, data
  bool has_di = false;
  std::uint16_t di = 0;
  DiOrder di_order = DiOrder::high_first;
  std::uint8_t ser = 0;
  Bytes data;            // after SER (for error replies: the status bytes)
  std::size_t size = 0;  // bytes on the wire, preamble included

  bool is_reply() const noexcept { return (control & kReplyBit) != 0; }
  bool is_error() const noexcept { return (control & kErrorBit) != 0; }
  std::uint8_t function() const noexcept { return control & 0x1F; }
};

struct ScanResult {
  mbus::ScanStatus status = mbus::ScanStatus::need_more;
  std::size_t consumed = 0;
  std::size_t missing = 0;
  Frame frame;
  Error error;
};

ScanResult scan_frame(Bytes buffer) noexcept;
Result<Frame> decode_frame(Bytes bytes) noexcept;

enum class Valve : std::uint8_t { open, closed, fault, unknown };
const char* valve_name(Valve valve) noexcept;

struct Status {
  std::uint8_t st1 = 0;  // bits 0-1 valve, bit 2 low battery
  std::uint8_t st2 = 0;  // vendor defined
  Valve valve() const noexcept;
  bool battery_low() const noexcept { return (st1 & 0x04) != 0; }
};

struct Reply {
  std::vector<mbus::Record> records;  // the same record shape as M-Bus
  bool has_status = false;
  Status status;
  UnitPlacement unit_placement = UnitPlacement::after_value;
  Error error;
};

// Decodes the payload of `frame` (requests and replies) into `out`. Returns false when
// out.error is set; records decoded before the error are kept. Offsets are relative to
// the frame's first byte (its preamble, if any). Without a profile the unit placement of
// 901F data is detected (units must measure each slot's quantity and values be BCD); a
// profile settles the rare frames where both placements fit.
bool decode_reply(const Frame& frame, Reply& out, const VendorProfile* profile = nullptr);

// Encoders.
struct FrameSpec {
  std::uint8_t meter_type = kHeatHeating;
  Address address;
  std::uint8_t control = kReadData;
  bool has_di = true;
  std::uint16_t di = kDiCurrentData;
  std::uint8_t ser = 0;
  Bytes data;
};
Result<FrameBytes> encode_frame(const FrameSpec& spec, const VendorProfile& profile) noexcept;

FrameBytes read_data(std::uint8_t meter_type, const Address& address, std::uint16_t di,
                     std::uint8_t ser, const VendorProfile& profile = {}) noexcept;
FrameBytes read_address(std::uint8_t meter_type, std::uint8_t ser,
                        const VendorProfile& profile = {}) noexcept;
FrameBytes set_time(std::uint8_t meter_type, const Address& address, const mbus::TimePoint& time,
                    std::uint8_t ser, const VendorProfile& profile = {}) noexcept;
FrameBytes valve_control(std::uint8_t meter_type, const Address& address, std::uint8_t command,
                         std::uint8_t ser, const VendorProfile& profile = {}) noexcept;

// The heat meter's answer to 901F. Values are in hundredths of their unit; unit bytes are
// EN 1434 codes (0x05 kWh, 0x08 MWh, 0x0E MJ, 0x11 GJ, 0x17 kW, 0x1A MW, 0x29 l, 0x2C m3,
// 0x32 l/h, 0x35 m3/h).
struct HeatData {
  std::uint64_t settlement_heat = 0;
  std::uint8_t settlement_heat_unit = 0x05;
  std::uint64_t current_heat = 0;
  std::uint8_t current_heat_unit = 0x05;
  std::uint64_t power = 0;
  std::uint8_t power_unit = 0x17;
  std::uint64_t flow = 0;
  std::uint8_t flow_unit = 0x35;
  std::uint64_t volume = 0;
  std::uint8_t volume_unit = 0x2C;
  std::uint32_t supply_temperature = 0;  // hundredths of degC
  std::uint32_t return_temperature = 0;
  std::uint32_t operating_hours = 0;
  mbus::TimePoint time;
  Status status;
};

// The data bytes of a 901F reply (43 bytes) in the profile's unit placement.
Result<std::vector<std::uint8_t>> encode_heat_data(const HeatData& data,
                                                   const VendorProfile& profile);
// The 7 time bytes: ss mm hh DD MM YY CC, BCD.
std::array<std::uint8_t, 7> encode_time(const mbus::TimePoint& time) noexcept;

}  // namespace heatlink::protocol::cjt188
