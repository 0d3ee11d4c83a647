// The stream scanner: no crash on any bytes, and the same frames whether the stream
// arrives whole or one byte at a time.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "heatlink/protocol/frame_scan.h"

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
  std::vector<std::uint8_t> buffer;
  for (std::size_t pos = 0; pos < stream.size(); pos += chunk) {
    const Bytes piece = stream.subspan(pos, std::min(chunk, stream.size() - pos));
    buffer.insert(buffer.end(), piece.begin(), piece.end());
    for (;;) {
      const AnyScanResult r = heatlink::protocol::scan_any(buffer, protocol);
      if (r.status == ScanStatus::need_more) break;
      if (r.consumed == 0 || r.consumed > buffer.size()) std::abort();
      if (r.status == ScanStatus::complete) {
        out.frames.emplace_back(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(r.consumed));
      } else {
        out.skipped += r.consumed;
      }
      buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(r.consumed));
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
