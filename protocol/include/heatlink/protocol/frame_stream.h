// A byte stream cut into frames: feed bytes as they arrive (from a socket, a serial port, a
// simulated bus), take frames and noise reports out. Built on scan_any(), so the frames do
// not depend on how the bytes were chunked.
//
// Not thread-safe; one per connection. Views in the results of next() point into the
// stream's buffer and are valid until the next call to feed() or next().
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "heatlink/protocol/bytes.h"
#include "heatlink/protocol/frame_scan.h"

namespace heatlink::protocol {

class FrameStream {
 public:
  // `capacity` bounds the buffered bytes; it must hold the longest frame (kMaxFrameSize).
  explicit FrameStream(Protocol protocol = Protocol::any, std::size_t capacity = 4096);

  // Appends bytes and returns how many were taken: fewer than offered only when the buffer
  // is full, which cannot happen while the caller drains next() after each feed().
  std::size_t feed(Bytes bytes);

  // The next frame (complete), noise or a frame that failed its checks (invalid, already
  // dropped), or need_more when the buffered bytes are not yet a frame. Error offsets are
  // relative to position() as it was before this call.
  AnyScanResult next();

  // Bytes consumed so far: the stream offset of the first buffered byte.
  std::size_t position() const noexcept { return position_; }
  std::size_t buffered() const noexcept { return buffer_.size() - begin_; }
  // Drops the buffered bytes (after a reconnect, or a serial buffer overflow); position()
  // moves past them.
  void clear() noexcept;

 private:
  Protocol protocol_;
  std::size_t capacity_;
  std::vector<std::uint8_t> buffer_;
  std::size_t begin_ = 0;
  std::size_t position_ = 0;
};

}  // namespace heatlink::protocol
