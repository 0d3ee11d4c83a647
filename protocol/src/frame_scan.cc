#include "heatlink/protocol/frame_scan.h"

#include <algorithm>
#include <type_traits>

namespace heatlink::protocol {

Result<Protocol> parse_protocol(std::string_view name) {
  if (name == "auto" || name == "any") return Protocol::any;
  if (name == "mbus") return Protocol::mbus;
  if (name == "cjt188") return Protocol::cjt188;
  return Error{Errc::bad_field, 0, "protocol", "expected auto, mbus or cjt188"};
}

namespace {

template <class ScanResult>
AnyScanResult from(const ScanResult& r) noexcept {
  AnyScanResult out;
  out.status = r.status;
  out.consumed = r.consumed;
  out.missing = r.missing;
  out.error = r.error;
  if constexpr (std::is_same_v<ScanResult, mbus::ScanResult>) {
    out.protocol = Protocol::mbus;
    out.mbus = r.frame;
  } else {
    out.protocol = Protocol::cjt188;
    out.cjt188 = r.frame;
  }
  return out;
}

bool can_start_any_frame(std::uint8_t b) noexcept {
  return b == mbus::kAck || b == mbus::kShortStart || b == mbus::kLongStart ||
         b == cjt188::kPreamble;
}

// Noise from `from` on: up to the next byte that could start a frame of either protocol.
std::size_t noise_end(Bytes buffer, std::size_t from) noexcept {
  const auto next = std::find_if(buffer.begin() + static_cast<std::ptrdiff_t>(from), buffer.end(),
                                 can_start_any_frame);
  return static_cast<std::size_t>(next - buffer.begin());
}

bool looks_like_mbus_header(Bytes b) noexcept {
  return b.size() >= 4 && b[0] == mbus::kLongStart && b[1] == b[2] && b[3] == mbus::kLongStart;
}

}  // namespace

namespace {

AnyScanResult scan(Bytes buffer, Protocol protocol) noexcept {
  using mbus::ScanStatus;
  if (protocol == Protocol::mbus) return from(mbus::scan_frame(buffer));
  if (protocol == Protocol::cjt188) return from(cjt188::scan_frame(buffer));
  if (buffer.empty()) return from(mbus::scan_frame(buffer));
  const std::uint8_t first = buffer[0];
  if (first == mbus::kAck || first == mbus::kShortStart) return from(mbus::scan_frame(buffer));
  if (first == cjt188::kPreamble) {
    AnyScanResult r = from(cjt188::scan_frame(buffer));
    // CJ/T 188 alone would skip noise up to its own start bytes; here an M-Bus start ends it.
    if (r.status == ScanStatus::invalid && r.error.code == Errc::bad_start) {
      r.consumed = std::max<std::size_t>(noise_end(buffer, r.error.offset + 1), 1);
      r.consumed = std::min(r.consumed, buffer.size());
    }
    return r;
  }
  if (first != mbus::kLongStart) {
    // Noise: skip to the next byte that could start a frame of either protocol.
    AnyScanResult r;
    r.status = ScanStatus::invalid;
    r.consumed = noise_end(buffer, 1);
    r.error =
        Error{Errc::bad_start, 0, "frame start", "expected 0xE5, 0x10, 0x68 or 0xFE", -1, first};
    return r;
  }
  const mbus::ScanResult m = mbus::scan_frame(buffer);
  const cjt188::ScanResult c = cjt188::scan_frame(buffer);
  const bool m_done = m.status == ScanStatus::complete;
  const bool c_done = c.status == ScanStatus::complete;
  if (m_done && c_done) return m.consumed <= c.consumed ? from(m) : from(c);
  if (m_done) return from(m);
  if (c_done) return from(c);
  if (m.status == ScanStatus::need_more || c.status == ScanStatus::need_more) {
    AnyScanResult r;
    r.missing = m.status == ScanStatus::need_more && c.status == ScanStatus::need_more
                    ? std::min(m.missing, c.missing)
                    : (m.status == ScanStatus::need_more ? m.missing : c.missing);
    return r;
  }
  // Both refused. A consistent M-Bus header made it an M-Bus frame that failed its checks:
  // drop all of it, as an M-Bus-only scan would. Otherwise drop the lesser amount.
  const bool mbus_header = looks_like_mbus_header(buffer);
  AnyScanResult r = mbus_header ? from(m) : from(c);
  r.consumed = mbus_header ? m.consumed : std::min(m.consumed, c.consumed);
  r.protocol = Protocol::any;
  return r;
}

}  // namespace

AnyScanResult scan_any(Bytes buffer, Protocol protocol) noexcept {
  AnyScanResult r = scan(buffer, protocol);
  if (r.status == mbus::ScanStatus::complete) r.bytes = buffer.subspan(0, r.consumed);
  return r;
}

}  // namespace heatlink::protocol
