#include "heatlink/protocol/mbus_frame.h"

#include <algorithm>

namespace heatlink::protocol::mbus {

const char* frame_type_name(FrameType type) noexcept {
  switch (type) {
    case FrameType::ack:
      return "ack";
    case FrameType::short_frame:
      return "short";
    case FrameType::control:
      return "control";
    case FrameType::long_frame:
      return "long";
  }
  return "unknown";
}

const char* control_name(std::uint8_t c) noexcept {
  if ((c & 0x40) == 0) {
    return (c & 0x0F) == 0x08 ? "RSP_UD" : (c & 0x0F) == 0x00 ? "ACK" : "unknown";
  }
  switch (c & 0x0F) {
    case 0x00:
      return "SND_NKE";
    case 0x03:
      return "SND_UD";
    case 0x0A:
      return "REQ_UD1";
    case 0x0B:
      return "REQ_UD2";
    default:
      return "unknown";
  }
}

std::uint8_t checksum(Bytes bytes) noexcept {
  unsigned sum = 0;
  for (const std::uint8_t b : bytes) sum += b;
  return static_cast<std::uint8_t>(sum);
}

namespace {

ScanResult need(std::size_t have, std::size_t total) noexcept {
  ScanResult r;
  r.status = ScanStatus::need_more;
  r.missing = total - have;
  return r;
}

ScanResult invalid(std::size_t consumed, Error error) noexcept {
  ScanResult r;
  r.status = ScanStatus::invalid;
  r.consumed = consumed;
  r.error = error;
  return r;
}

bool can_start_frame(std::uint8_t b) noexcept {
  return b == kAck || b == kShortStart || b == kLongStart;
}

// Noise: drop everything up to the next byte that could start a frame.
ScanResult skip_noise(Bytes buffer) noexcept {
  const auto next = std::find_if(buffer.begin() + 1, buffer.end(), can_start_frame);
  const auto n = static_cast<std::size_t>(next - buffer.begin());
  return invalid(
      n, Error{Errc::bad_start, 0, "frame start", "expected 0xE5, 0x10 or 0x68", -1, buffer[0]});
}

ScanResult scan_short(Bytes b) noexcept {
  if (b.size() < 5) return need(b.size(), 5);
  const std::uint8_t cs = checksum(b.subspan(1, 2));
  // A failed short frame is only five bytes: drop its start byte and re-scan the rest.
  if (b[3] != cs) return invalid(1, Error{Errc::bad_checksum, 3, "checksum", "", cs, b[3]});
  if (b[4] != kStop) return invalid(1, Error{Errc::bad_stop, 4, "stop byte", "", kStop, b[4]});
  ScanResult r;
  r.status = ScanStatus::complete;
  r.consumed = 5;
  r.frame = Frame{FrameType::short_frame, b[1], b[2], 0, {}, 5};
  return r;
}

ScanResult scan_long(Bytes b) noexcept {
  if (b.size() < 4) {
    // Reject a bad header as early as its bytes allow, so noise is dropped promptly.
    if (b.size() >= 2 && b[1] < 3) {
      return invalid(1, Error{Errc::bad_length, 1, "L field", "below the minimum of 3", -1, b[1]});
    }
    if (b.size() >= 3 && b[2] != b[1]) {
      return invalid(1, Error{Errc::bad_length, 2, "second L field", "", b[1], b[2]});
    }
    return need(b.size(), 4);
  }
  if (b[1] < 3) {
    return invalid(1, Error{Errc::bad_length, 1, "L field", "below the minimum of 3", -1, b[1]});
  }
  if (b[2] != b[1]) return invalid(1, Error{Errc::bad_length, 2, "second L field", "", b[1], b[2]});
  if (b[3] != kLongStart) {
    return invalid(1, Error{Errc::bad_start, 3, "second start byte", "", kLongStart, b[3]});
  }
  const std::size_t len = b[1];
  const std::size_t total = len + 6;
  if (b.size() < total) return need(b.size(), total);
  // The header was consistent, so this was a frame: a failed check drops all of it.
  const std::uint8_t cs = checksum(b.subspan(4, len));
  if (b[4 + len] != cs) {
    return invalid(total, Error{Errc::bad_checksum, 4 + len, "checksum", "", cs, b[4 + len]});
  }
  if (b[5 + len] != kStop) {
    return invalid(total, Error{Errc::bad_stop, 5 + len, "stop byte", "", kStop, b[5 + len]});
  }
  ScanResult r;
  r.status = ScanStatus::complete;
  r.consumed = total;
  r.frame.type = len == 3 ? FrameType::control : FrameType::long_frame;
  r.frame.c = b[4];
  r.frame.a = b[5];
  r.frame.ci = b[6];
  r.frame.data = b.subspan(7, len - 3);
  r.frame.size = total;
  return r;
}

}  // namespace

ScanResult scan_frame(Bytes buffer) noexcept {
  if (buffer.empty()) return need(0, 1);
  switch (buffer[0]) {
    case kAck: {
      ScanResult r;
      r.status = ScanStatus::complete;
      r.consumed = 1;
      r.frame = Frame{FrameType::ack, 0, 0, 0, {}, 1};
      return r;
    }
    case kShortStart:
      return scan_short(buffer);
    case kLongStart:
      return scan_long(buffer);
    default:
      return skip_noise(buffer);
  }
}

Result<Frame> decode_frame(Bytes bytes) noexcept {
  const ScanResult r = scan_frame(bytes);
  switch (r.status) {
    case ScanStatus::complete:
      if (r.consumed != bytes.size()) {
        return Error{Errc::bad_length, r.consumed, "frame end", "bytes follow the stop byte"};
      }
      return r.frame;
    case ScanStatus::need_more:
      return Error{Errc::truncated, bytes.size(), "frame", "input ends inside the frame"};
    case ScanStatus::invalid:
      break;
  }
  return r.error;
}

FrameBytes encode_ack() noexcept {
  FrameBytes out;
  out.bytes[0] = kAck;
  out.size = 1;
  return out;
}

FrameBytes encode_short(std::uint8_t c, std::uint8_t a) noexcept {
  FrameBytes out;
  out.bytes = {kShortStart, c, a, static_cast<std::uint8_t>(c + a), kStop};
  out.size = 5;
  return out;
}

FrameBytes encode_control(std::uint8_t c, std::uint8_t a, std::uint8_t ci) noexcept {
  return *encode_long(c, a, ci, {});
}

Result<FrameBytes> encode_long(std::uint8_t c, std::uint8_t a, std::uint8_t ci,
                               Bytes data) noexcept {
  if (data.size() > kMaxUserData) {
    return Error{Errc::too_long, data.size(), "long frame", "more than 252 data bytes"};
  }
  FrameBytes out;
  const auto len = static_cast<std::uint8_t>(data.size() + 3);
  auto& b = out.bytes;
  b[0] = kLongStart;
  b[1] = len;
  b[2] = len;
  b[3] = kLongStart;
  b[4] = c;
  b[5] = a;
  b[6] = ci;
  std::copy(data.begin(), data.end(), b.begin() + 7);
  b[4 + len] = checksum(Bytes{b.data() + 4, len});
  b[5 + len] = kStop;
  out.size = std::size_t{len} + 6;
  return out;
}

}  // namespace heatlink::protocol::mbus
