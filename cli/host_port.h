// "HOST:PORT" as the commands take it (--server, --control, --tcp, --listen).
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace heatlink::cli {

// The host and port, or nothing when malformed. Port 0 only when `allow_any_port`.
inline std::optional<std::pair<std::string, std::uint16_t>> parse_host_port(
    const std::string& text, bool allow_any_port = false) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  unsigned port = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data() + colon + 1, end, port);
  if (ec != std::errc{} || ptr != end || port > 65535 || (port == 0 && !allow_any_port))
    return std::nullopt;
  return std::pair{text.substr(0, colon), static_cast<std::uint16_t>(port)};
}

}  // namespace heatlink::cli
