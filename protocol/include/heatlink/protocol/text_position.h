// Where a byte of a text file is, for error messages: its line and its column, both 1-based,
// the column counted in characters of the UTF-8 before it on its line; and the first byte of a
// text that is not UTF-8.
#pragma once

#include <utf8cpp/utf8.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace heatlink::protocol {

struct TextPosition {
  long line = 1;
  long column = 1;
};

inline TextPosition position_of(std::string_view text, std::size_t offset) {
  const std::string_view before = text.substr(0, std::min(offset, text.size()));
  const std::size_t newline = before.rfind('\n');
  const std::string_view line =
      newline == std::string_view::npos ? before : before.substr(newline + 1);
  TextPosition p;
  p.line = static_cast<long>(std::count(before.begin(), before.end(), '\n')) + 1;
  // Every byte but a continuation byte (10xxxxxx) begins a character.
  p.column = static_cast<long>(std::count_if(
                 line.begin(), line.end(),
                 [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; })) +
             1;
  return p;
}

struct TextProblem {
  TextPosition at;
  std::string what;
};

// The first byte of `text` that is not UTF-8: where it is, and "not UTF-8 (byte 0xC3)".
inline std::optional<TextProblem> invalid_utf8(std::string_view text) {
  const auto bad = utf8::find_invalid(text.begin(), text.end());
  if (bad == text.end()) return std::nullopt;
  char what[32];
  std::snprintf(what, sizeof what, "not UTF-8 (byte 0x%02X)",
                static_cast<unsigned>(static_cast<unsigned char>(*bad)));
  return TextProblem{position_of(text, static_cast<std::size_t>(bad - text.begin())), what};
}

}  // namespace heatlink::protocol
