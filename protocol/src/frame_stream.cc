#include "heatlink/protocol/frame_stream.h"

#include <algorithm>

namespace heatlink::protocol {

FrameStream::FrameStream(Protocol protocol, std::size_t capacity)
    : protocol_(protocol), capacity_(std::max(capacity, kMaxFrameSize)) {
  buffer_.reserve(capacity_);
}

std::size_t FrameStream::feed(Bytes bytes) {
  if (begin_ == buffer_.size()) {  // drained: start over at the front
    buffer_.clear();
    begin_ = 0;
  } else if (begin_ > 0 && buffer_.size() + bytes.size() > capacity_) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(begin_));
    begin_ = 0;
  }
  const std::size_t n = std::min(bytes.size(), capacity_ - buffer_.size());
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
  return n;
}

AnyScanResult FrameStream::next() {
  const Bytes pending{buffer_.data() + begin_, buffer_.size() - begin_};
  AnyScanResult r = scan_any(pending, protocol_);
  if (r.status != mbus::ScanStatus::need_more) {
    begin_ += r.consumed;
    position_ += r.consumed;
  }
  return r;
}

void FrameStream::clear() noexcept {
  position_ += buffered();
  buffer_.clear();
  begin_ = 0;
}

}  // namespace heatlink::protocol
