// EN 13757-2 link-layer frames: decode, encode, and a streaming scanner.
//
// scan_frame() is sans-I/O: it looks at the bytes the caller has gathered so far and answers
//   complete  - a frame occupies buffer[0, consumed);
//   need_more - buffer is the start of a frame that is not finished (consumed == 0);
//   invalid   - buffer[0, consumed) is no frame (line noise, or a frame that failed a check);
//               the Error says why, with offsets relative to the buffer.
// The answer depends only on the bytes, never on how they were chunked: feeding a stream one
// byte at a time yields the same frames as feeding it whole. Views in Frame point into the
// caller's buffer and are valid while it is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "heatlink/protocol/bytes.h"
#include "heatlink/protocol/error.h"

namespace heatlink::protocol::mbus {

inline constexpr std::uint8_t kAck = 0xE5;
inline constexpr std::uint8_t kShortStart = 0x10;
inline constexpr std::uint8_t kLongStart = 0x68;
inline constexpr std::uint8_t kStop = 0x16;
inline constexpr std::size_t kMaxUserData = 252;  // data bytes after CI in a long frame

// C field values (REFERENCE.md section 2).
inline constexpr std::uint8_t kSndNke = 0x40;
inline constexpr std::uint8_t kSndUd = 0x53;
inline constexpr std::uint8_t kReqUd2 = 0x5B;
inline constexpr std::uint8_t kReqUd1 = 0x5A;
inline constexpr std::uint8_t kRspUd = 0x08;
inline constexpr std::uint8_t kFcb = 0x20;  // master frames; ACD in slave frames
inline constexpr std::uint8_t kFcv = 0x10;  // master frames; DFC in slave frames

// Primary addresses with a meaning of their own.
inline constexpr std::uint8_t kAddressUnconfigured = 0;
inline constexpr std::uint8_t kAddressSelected = 0xFD;  // the slave selected by secondary address
inline constexpr std::uint8_t kAddressBroadcastReply = 0xFE;
inline constexpr std::uint8_t kAddressBroadcast = 0xFF;

enum class FrameType : std::uint8_t { ack, short_frame, control, long_frame };
const char* frame_type_name(FrameType type) noexcept;

struct Frame {
  FrameType type = FrameType::ack;
  std::uint8_t c = 0;
  std::uint8_t a = 0;
  std::uint8_t ci = 0;   // control and long frames
  Bytes data;            // long frames: the bytes after CI
  std::size_t size = 1;  // bytes on the wire

  bool from_master() const noexcept { return (c & 0x40) != 0; }
};

// What a C field means, for people: "SND_NKE", "REQ_UD2", "RSP_UD", ...
const char* control_name(std::uint8_t c) noexcept;

enum class ScanStatus : std::uint8_t { complete, need_more, invalid };

struct ScanResult {
  ScanStatus status = ScanStatus::need_more;
  std::size_t consumed = 0;  // complete: the frame's size; invalid: bytes to drop
  std::size_t missing = 0;   // need_more: at least this many more bytes are needed
  Frame frame;               // complete only
  Error error;               // invalid only
};

ScanResult scan_frame(Bytes buffer) noexcept;

// Decodes exactly one frame that must fill `bytes` completely.
Result<Frame> decode_frame(Bytes bytes) noexcept;

// Encoders. Long frames with more than kMaxUserData data bytes are Errc::too_long.
FrameBytes encode_ack() noexcept;
FrameBytes encode_short(std::uint8_t c, std::uint8_t a) noexcept;
FrameBytes encode_control(std::uint8_t c, std::uint8_t a, std::uint8_t ci) noexcept;
Result<FrameBytes> encode_long(std::uint8_t c, std::uint8_t a, std::uint8_t ci,
                               Bytes data) noexcept;

// Sum of bytes mod 256, the M-Bus and CJ/T 188 checksum.
std::uint8_t checksum(Bytes bytes) noexcept;

}  // namespace heatlink::protocol::mbus
