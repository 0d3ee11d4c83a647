// One scanner for a byte stream that may carry M-Bus and CJ/T 188 frames, as a Chinese
// concentrator's bus does. Same contract as mbus::scan_frame; the result does not depend on
// how the stream was chunked (when both protocols could complete, the shorter frame wins,
// which is also the one a byte-by-byte feed completes first).
#pragma once

#include <cstdint>
#include <string_view>

#include "heatlink/protocol/bytes.h"
#include "heatlink/protocol/cjt188.h"
#include "heatlink/protocol/mbus_frame.h"

namespace heatlink::protocol {

enum class Protocol : std::uint8_t { any, mbus, cjt188 };
Result<Protocol> parse_protocol(std::string_view name);  // "auto", "mbus", "cjt188"

struct AnyScanResult {
  mbus::ScanStatus status = mbus::ScanStatus::need_more;
  std::size_t consumed = 0;
  std::size_t missing = 0;
  Protocol protocol = Protocol::any;  // complete: which protocol framed it
  Bytes bytes;                        // complete: the whole frame as received
  mbus::Frame mbus;
  cjt188::Frame cjt188;
  Error error;
};

AnyScanResult scan_any(Bytes buffer, Protocol protocol) noexcept;

}  // namespace heatlink::protocol
