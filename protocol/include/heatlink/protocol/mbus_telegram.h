// EN 13757-3 application layer: RSP_UD telegrams and their data records.
//
// decode_telegram() fills a caller-owned Telegram. It clears and refills `records` (whose
// capacity is kept), so a caller that reuses one Telegram decodes without heap allocation.
// Byte views in Telegram and Record point into the frame's buffer and are valid while it is.
// One bad record never loses the ones before it: decoding stops at the first record it cannot
// delimit, marks that record with the error (its data then holds every byte from the record's
// start to the end of the telegram), and reports it in Telegram::error as well. Records with
// unknown or reserved VIF codes are not errors: their data field is kept and named.
// Error offsets are relative to the first byte of the frame (the 0x68).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "heatlink/protocol/bytes.h"
#include "heatlink/protocol/error.h"
#include "heatlink/protocol/mbus_frame.h"
#include "heatlink/protocol/units.h"

namespace heatlink::protocol::mbus {

enum class Function : std::uint8_t { instantaneous, maximum, minimum, error };
const char* function_name(Function function) noexcept;

enum class ValueKind : std::uint8_t {
  none,        // no data (data field 0 or 8)
  integer,     // mantissa holds the value
  real,        // real holds the value (data field 5)
  bcd,         // mantissa holds the value
  bcd_error,   // BCD with A-E nibbles: the meter marks an error value; see data
  time_point,  // time holds the value
  text,        // data holds ASCII, last character first (as sent)
  bytes,       // data holds the value (manufacturer data, long binary)
};

struct TimePoint {
  std::uint16_t year = 0;
  std::uint8_t month = 0, day = 0, hour = 0, minute = 0, second = 0;
  char type = 0;             // 'G' date, 'J' time, 'F' date-time, 'I' date-time with seconds
  bool invalid = false;      // IV flag set by the meter
  bool summer_time = false;  // SU flag
};

inline constexpr std::size_t kMaxDife = 10;
inline constexpr std::size_t kMaxVife = 10;

struct Record {
  // The record as sent: DIF and DIFEs from head, then VIF and VIFEs (and a plain-text unit).
  Bytes dif() const noexcept { return {head, dif_size}; }
  Bytes vif() const noexcept { return {head + dif_size, vif_size}; }
  // Plain-text VIF: the unit, last character first, inside vif().
  Bytes text_unit() const noexcept { return {head + dif_size + text_offset, text_size}; }

  Bytes data;  // the data field as sent
  const std::uint8_t* head = nullptr;
  std::uint64_t storage = 0;  // up to 41 bits
  std::int64_t mantissa = 0;  // integer and BCD values as sent
  double real = 0;            // data field 5, before the exponent
  double value = 0;           // normalised, in `unit`
  std::uint32_t tariff = 0;   // up to 20 bits
  std::uint16_t subunit = 0;  // up to 10 bits
  TimePoint time;

  std::uint8_t dif_size = 0;
  std::uint8_t vif_size = 0;
  std::uint8_t text_offset = 0;  // from the start of vif()
  std::uint8_t text_size = 0;
  std::uint8_t coding = 0;  // the DIF data field, 0x0..0xF
  Function function = Function::instantaneous;
  Quantity quantity = Quantity::unknown;
  Unit original_unit = Unit::none;  // the telegram's own unit
  Unit unit = Unit::none;           // the normalised unit
  ValueKind kind = ValueKind::none;
  std::int8_t exponent = 0;  // value = mantissa * 10^exponent original_unit
  std::uint8_t vife_count = 0;
  std::array<std::uint8_t, kMaxVife> vifes{};  // combinable VIFE codes, as sent
  bool manufacturer_vif = false;               // VIF 0x7F/0xFF, or a VIFE 0x7F/0xFF seen
  // ok, or why this record is incomplete. Decoding stops at such a record, so it is the
  // last one, and Telegram::error (or cjt188::Reply::error) holds the whole message.
  Errc error = Errc::ok;
};

enum class Layout : std::uint8_t {
  variable,           // CI 0x72 / 0x76: long header and data records
  fixed,              // CI 0x73 / 0x77: fixed data structure
  application_error,  // CI 0x70
  no_header,          // CI 0x78, or CI 0x51 from a master: records only
  short_header,       // CI 0x7A: access number, status, signature, records
  unsupported,
};
const char* layout_name(Layout layout) noexcept;

struct Telegram {
  std::uint8_t ci = 0;
  Layout layout = Layout::unsupported;
  bool msb_first = false;  // CI 0x76 / 0x77
  bool has_identity = false;
  std::uint32_t id = 0;  // BCD digits as sent: 0x12345678 is secondary ID "12345678"
  std::uint16_t manufacturer = 0;
  std::uint8_t version = 0;
  std::uint8_t medium = 0;
  std::uint8_t access_number = 0;
  std::uint8_t status = 0;
  std::uint16_t signature = 0;
  std::uint8_t application_error = 0;  // CI 0x70
  bool more_records_follow = false;    // DIF 0x1F seen
  Bytes manufacturer_data;             // after DIF 0x0F / 0x1F
  std::vector<Record> records;
  Error error;
};

// Decodes the application layer of a long frame. Returns false when Telegram::error is set;
// the records decoded before the error are still in Telegram::records.
bool decode_telegram(const Frame& frame, Telegram& out);

// Decodes the variable data records in `data` (no header) with the given byte order into
// `out`, appending. `base` is added to error offsets. Returns the first error, or an ok Error.
Error decode_records(Bytes data, bool msb_first, std::size_t base, std::vector<Record>& out,
                     bool* more_records_follow, Bytes* manufacturer_data);

// "KAM" from 0x2C2D; "???" for a code outside A-Z.
std::array<char, 4> manufacturer_letters(std::uint16_t code) noexcept;
std::uint16_t manufacturer_code(const char letters[3]) noexcept;
const char* medium_name(std::uint8_t medium) noexcept;
const char* application_error_name(std::uint8_t code) noexcept;

// EN 1434 / fixed-data unit codes, also used by CJ/T 188 (05 kWh, 2C m3, ...).
struct UnitCode {
  Quantity quantity = Quantity::unknown;
  Unit unit = Unit::none;
  std::int8_t exponent = 0;
  bool known = false;
};
UnitCode en1434_unit(std::uint8_t code) noexcept;

}  // namespace heatlink::protocol::mbus
