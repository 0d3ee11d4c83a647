// The stream scanner: no crash on any bytes, and the same frames whether the stream
// arrives whole or one byte at a time.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "heatlink/protocol/frame_stream.h"

namespace {

using heatlink::protocol::AnyScanResult;
using heatlink::protocol::Bytes;
using heatlink::protocol::Protocol;
using heatlink::protocol::mbus::ScanStatus;

struct Outcome {
  std::vector<std::vector<std::uint8_t>> frames;
  std::size_t skipped = 0;
};

Outcome scan(Bytes stream, Protocol protocol, std::size_t chunk) {
  Outcome out;
  heatlink::protocol::FrameStream frames(protocol);
  for (std::size_t pos = 0; pos < stream.size(); pos += chunk) {
    Bytes piece = stream.subspan(pos, std::min(chunk, stream.size() - pos));
    while (!piece.empty()) {  // a piece larger than the buffer goes in as it drains
      const std::size_t taken = frames.feed(piece);
      piece = piece.subspan(taken);
      bool progress = taken > 0;
      for (AnyScanResult r = frames.next(); r.status != ScanStatus::need_more; r = frames.next()) {
        if (r.consumed == 0) std::abort();
        progress = true;
        if (r.status == ScanStatus::complete) {
          const Bytes f = stream.subspan(frames.position() - r.consumed, r.consumed);
          out.frames.emplace_back(f.begin(), f.end());
        } else {
          out.skipped += r.consumed;
        }
      }
      if (!progress) std::abort();  // a full buffer that is not a frame: the stream is stuck
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes stream{data, size};
  for (const Protocol p : {Protocol::any, Protocol::mbus, Protocol::cjt188}) {
    const Outcome whole = scan(stream, p, size == 0 ? 1 : size);
    const Outcome bytewise = scan(stream, p, 1);
    if (whole.frames != bytewise.frames || whole.skipped != bytewise.skipped) std::abort();
  }
  return 0;
}
