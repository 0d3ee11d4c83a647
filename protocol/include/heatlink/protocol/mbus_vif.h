// EN 13757-3 value information: the primary VIF table, the FB and FD extension tables and
// the combinable (orthogonal) VIFE codes. Lookups are constant-time table reads.
#pragma once

#include <cstdint>

#include "heatlink/protocol/units.h"

namespace heatlink::protocol::mbus {

enum class VifKind : std::uint8_t {
  value,         // a number in `unit` * 10^exponent
  time_point,    // a date, date-time or time (types G, F, I, J by data size)
  text_unit,     // 0x7C/0xFC: the unit is ASCII text carried in the record
  extension_fb,  // 0xFB: the next byte indexes the FB table
  extension_fd,  // 0xFD: the next byte indexes the FD table
  any,           // 0x7E: "any VIF", used in readout requests
  manufacturer,  // 0x7F/0xFF
  reserved,
};

struct VifInfo {
  Quantity quantity = Quantity::reserved;
  Unit unit = Unit::none;
  std::int8_t exponent = 0;
  VifKind kind = VifKind::reserved;
  bool bitfield = false;  // identity or flag fields: integers are read unsigned
};

VifInfo primary_vif(std::uint8_t vif) noexcept;  // the extension bit is ignored
VifInfo fb_vif(std::uint8_t code) noexcept;
VifInfo fd_vif(std::uint8_t code) noexcept;

// Combinable VIFE codes (extension bit ignored) that scale the value.
// Returns the decimal exponent to add, or 0 when `code` does not scale.
int vife_exponent(std::uint8_t code) noexcept;
// True when the VIFE turns the value into a point in time ("date of ...").
bool vife_makes_time_point(std::uint8_t code) noexcept;
// Snake-case name of a combinable VIFE code: "per_hour", "multiplicative_correction", ...
const char* combinable_vife_name(std::uint8_t code) noexcept;

// VIFE 0x7F (with or without the extension bit): the rest is manufacturer specific.
inline constexpr std::uint8_t kVifeManufacturer = 0x7F;

}  // namespace heatlink::protocol::mbus
