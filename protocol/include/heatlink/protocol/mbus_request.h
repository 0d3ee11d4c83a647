// Master requests of EN 13757-2/-3: the frames a master sends to meters.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "heatlink/protocol/bytes.h"
#include "heatlink/protocol/error.h"
#include "heatlink/protocol/mbus_frame.h"
#include "heatlink/protocol/mbus_telegram.h"

namespace heatlink::protocol::mbus {

// A secondary address or a selection mask. Every nibble is kept as sent; in a mask an F
// nibble is a wildcard. Text form (libmbus's): 16 hex digits "IIIIIIIIMMMMVVDD" - the
// 8-digit ID, the manufacturer code, version and medium.
struct SecondaryAddress {
  std::uint32_t id = 0xFFFFFFFF;
  std::uint16_t manufacturer = 0xFFFF;
  std::uint8_t version = 0xFF;
  std::uint8_t medium = 0xFF;

  static Result<SecondaryAddress> parse(std::string_view text);
  std::string to_string() const;
  // True when this mask selects `device` (each F nibble of the mask matches any nibble).
  bool matches(const SecondaryAddress& device) const noexcept;
  bool operator==(const SecondaryAddress&) const = default;
};

inline constexpr std::uint8_t kCiDataSend = 0x51;
inline constexpr std::uint8_t kCiSelect = 0x52;
inline constexpr std::uint8_t kCiSelectHighFirst = 0x56;
inline constexpr std::uint8_t kCiApplicationReset = 0x50;
inline constexpr std::uint8_t kCiBaudFirst = 0xB8;  // 0xB8 300 Bd ... 0xBF 38400 Bd
inline constexpr std::uint8_t kCiBaudLast = 0xBF;

FrameBytes snd_nke(std::uint8_t address) noexcept;
FrameBytes req_ud2(std::uint8_t address, bool fcb) noexcept;
FrameBytes req_ud1(std::uint8_t address, bool fcb) noexcept;
FrameBytes select_secondary(const SecondaryAddress& mask, bool high_byte_first = false) noexcept;
// SND_UD with the record "01 7A new_address".
FrameBytes set_primary_address(std::uint8_t address, std::uint8_t new_address) noexcept;
// SND_UD with the record "04 6D" and `time` as EN 13757-3 type F (minute resolution): sets the
// meter's clock.
FrameBytes set_clock(std::uint8_t address, const TimePoint& time) noexcept;
// Application reset; with a sub-code it selects a data set (Danfoss SonoMeter).
FrameBytes application_reset(std::uint8_t address, std::optional<std::uint8_t> subcode) noexcept;
// Baud switch; Errc::bad_field for a rate other than 300 * 2^n up to 38400.
Result<FrameBytes> switch_baud(std::uint8_t address, unsigned baud) noexcept;
// SND_UD with any CI and data (FCV set; FCB as given).
Result<FrameBytes> snd_ud(std::uint8_t address, std::uint8_t ci, Bytes data, bool fcb) noexcept;

// True for the CI values of master commands without data records: selection (0x52, 0x56),
// application reset (0x50) and baud switch (0xB8-0xBF).
bool is_command_ci(std::uint8_t ci) noexcept;
// The baud rate a CI 0xB8-0xBF asks for, if `ci` is one.
std::optional<unsigned> baud_of_ci(std::uint8_t ci) noexcept;
// The mask of a secondary selection frame (CI 0x52 or 0x56 with 8 data bytes).
std::optional<SecondaryAddress> selection_of(const Frame& frame) noexcept;
// The secondary address a variable-data header (CI 0x72/0x76) carries.
SecondaryAddress address_of_header(std::uint32_t id, std::uint16_t manufacturer,
                                   std::uint8_t version, std::uint8_t medium) noexcept;

}  // namespace heatlink::protocol::mbus
