#include "heatlink/protocol/error.h"

#include <cstdio>

namespace heatlink::protocol {

const char* errc_name(Errc code) noexcept {
  switch (code) {
    case Errc::ok:
      return "ok";
    case Errc::truncated:
      return "truncated";
    case Errc::bad_start:
      return "bad start";
    case Errc::bad_length:
      return "bad length";
    case Errc::bad_checksum:
      return "bad checksum";
    case Errc::bad_stop:
      return "bad stop byte";
    case Errc::bad_field:
      return "bad field";
    case Errc::unsupported:
      return "unsupported";
    case Errc::too_long:
      return "too long";
  }
  return "unknown";
}

std::string Error::message() const {
  std::string text = field[0] != '\0' ? field : errc_name(code);
  char buf[64];
  if (expected >= 0 && found >= 0) {
    std::snprintf(buf, sizeof buf, ": expected 0x%02X, found 0x%02X", expected, found);
    text += buf;
  } else if (found >= 0) {
    std::snprintf(buf, sizeof buf, ": unexpected 0x%02X", found);
    text += buf;
  }
  if (detail[0] != '\0') {
    text += (expected >= 0 || found >= 0) ? " (" : ": ";
    text += detail;
    if (expected >= 0 || found >= 0) text += ')';
  }
  return text;
}

}  // namespace heatlink::protocol
