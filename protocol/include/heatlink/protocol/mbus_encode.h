// RSP_UD encoder: records in, frame out. The simulator impersonates meters with it.
//
// Every write is bounds-checked: a telegram that does not fit 252 data bytes, a value that
// does not fit its data field, or a malformed VIF is an Error naming the record, never an
// overflow. decode_telegram(encode(x)) gives back x (tested as a property).
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>

#include "heatlink/protocol/bytes.h"
#include "heatlink/protocol/error.h"
#include "heatlink/protocol/mbus_telegram.h"

namespace heatlink::protocol::mbus {

// One data record to encode. The VIF bytes are given as sent (VIF, VIFEs, and for a
// plain-text VIF the length and text); the value goes in the field the coding asks for.
struct RecordSpec {
  Function function = Function::instantaneous;
  std::uint64_t storage = 0;
  std::uint32_t tariff = 0;
  std::uint16_t subunit = 0;
  std::uint8_t coding = 0x4;  // DIF data field: 0-7, 9-C, E; 0xD variable (text or bytes)
  std::array<std::uint8_t, 16> vif{};
  std::uint8_t vif_size = 0;
  std::int64_t mantissa = 0;  // integer and BCD codings
  float real = 0;             // coding 5
  TimePoint time;             // used when `is_time` (codings 2, 3, 4, 6 -> types G, J, F, I)
  bool is_time = false;
  Bytes bytes;  // coding 0xD: text (as sent, last character first) or binary
  bool bytes_are_text = true;

  static RecordSpec make(std::initializer_list<std::uint8_t> vif_bytes, std::uint8_t coding,
                         std::int64_t mantissa, std::uint64_t storage = 0,
                         Function function = Function::instantaneous, std::uint32_t tariff = 0);
};

struct TelegramHeader {
  std::uint8_t ci = 0x72;  // 0x72 or 0x76 (high byte first)
  std::uint32_t id = 0;    // BCD digits, 0x12345678 for "12345678"
  std::uint16_t manufacturer = 0;
  std::uint8_t version = 0;
  std::uint8_t medium = 0;
  std::uint8_t access_number = 0;
  std::uint8_t status = 0;
  std::uint16_t signature = 0;
};

// Appends one record to `out` at `*size`; on error `*size` is unchanged.
Error encode_record(const RecordSpec& spec, bool msb_first, std::span<std::uint8_t> out,
                    std::size_t* size) noexcept;

// A whole RSP_UD. `more_records_follow` ends the records with DIF 0x1F; manufacturer data
// follows a DIF 0x0F (or the 0x1F). `c` is the C field (0x08, plus ACD 0x20 / DFC 0x10).
Result<FrameBytes> encode_rsp_ud(std::uint8_t address, const TelegramHeader& header,
                                 std::span<const RecordSpec> records,
                                 bool more_records_follow = false, Bytes manufacturer_data = {},
                                 std::uint8_t c = kRspUd) noexcept;

}  // namespace heatlink::protocol::mbus
