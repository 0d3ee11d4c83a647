#include "heatlink/protocol/bytes.h"

namespace heatlink::protocol {

std::string to_hex(Bytes bytes) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.resize(bytes.size() * 2);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0x0F];
  }
  return out;
}

namespace {
int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
bool is_separator(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == ',' ||
         c == ':';
}
}  // namespace

Result<std::vector<std::uint8_t>> parse_hex(std::string_view text) {
  std::vector<std::uint8_t> out;
  out.reserve(text.size() / 2);
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (is_separator(c)) {
      ++i;
      continue;
    }
    if (c == '0' && i + 1 < text.size() && (text[i + 1] == 'x' || text[i + 1] == 'X')) {
      i += 2;
      continue;
    }
    const int hi = hex_value(c);
    if (hi < 0) {
      return Error{Errc::bad_field,   i,  "hex text",
                   "not a hex digit", -1, static_cast<unsigned char>(c)};
    }
    if (i + 1 >= text.size() || hex_value(text[i + 1]) < 0) {
      return Error{Errc::bad_field, i, "hex text", "odd number of hex digits in a group"};
    }
    out.push_back(static_cast<std::uint8_t>(hi << 4 | hex_value(text[i + 1])));
    i += 2;
  }
  return out;
}

bool bcd_to_uint(Bytes lsb_first, std::uint64_t& out) noexcept {
  std::uint64_t value = 0;
  for (std::size_t i = lsb_first.size(); i-- > 0;) {
    const unsigned hi = lsb_first[i] >> 4;
    const unsigned lo = lsb_first[i] & 0x0F;
    if (hi > 9 || lo > 9) return false;
    value = value * 100 + std::uint64_t{hi} * 10 + lo;
  }
  out = value;
  return true;
}

void uint_to_bcd(std::uint64_t value, std::span<std::uint8_t> lsb_first) noexcept {
  for (auto& byte : lsb_first) {
    const auto lo = static_cast<std::uint8_t>(value % 10);
    value /= 10;
    const auto hi = static_cast<std::uint8_t>(value % 10);
    value /= 10;
    byte = static_cast<std::uint8_t>(hi << 4 | lo);
  }
}

}  // namespace heatlink::protocol
