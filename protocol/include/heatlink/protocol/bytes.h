// Byte views and a fixed-capacity frame buffer shared by the codecs.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "heatlink/protocol/error.h"

namespace heatlink::protocol {

using Bytes = std::span<const std::uint8_t>;

// The longest frame any of our codecs produces: an M-Bus long frame is 6 + 255 bytes, a
// CJ/T 188 frame 4 preamble bytes + 13 + 255.
inline constexpr std::size_t kMaxFrameSize = 272;

// Encoder output that lives on the stack: no allocation per frame.
struct FrameBytes {
  std::array<std::uint8_t, kMaxFrameSize> bytes{};
  std::size_t size = 0;

  Bytes view() const noexcept { return {bytes.data(), size}; }
  std::vector<std::uint8_t> to_vector() const {
    return {bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(size)};
  }
  bool operator==(const FrameBytes& other) const noexcept {
    return view().size() == other.view().size() &&
           std::equal(view().begin(), view().end(), other.view().begin());
  }
};

// Upper-case hex with no separators ("68030368").
std::string to_hex(Bytes bytes);

// Parses hex text: any whitespace, optional "0x" prefixes, ',' and ':' separators; digits
// in pairs. On failure the Error's offset is the character offset into `text`.
Result<std::vector<std::uint8_t>> parse_hex(std::string_view text);

// Little-endian BCD helpers. Each returns false on a nibble above 9.
bool bcd_to_uint(Bytes lsb_first, std::uint64_t& out) noexcept;
void uint_to_bcd(std::uint64_t value, std::span<std::uint8_t> lsb_first) noexcept;

}  // namespace heatlink::protocol
