// The application-layer decoder on arbitrary data: the first byte is the CI, the rest the
// data after it. No crash, no read outside the data, error offsets inside the frame.
#include <cstdint>
#include <cstdlib>

#include "heatlink/protocol/mbus_telegram.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || size > 253) return 0;
  namespace mbus = heatlink::protocol::mbus;
  mbus::Frame frame;
  frame.type = mbus::FrameType::long_frame;
  frame.c = mbus::kRspUd;
  frame.ci = data[0];
  frame.data = heatlink::protocol::Bytes{data + 1, size - 1};
  frame.size = size + 8;
  mbus::Telegram t;
  if (!mbus::decode_telegram(frame, t) && t.error.offset > frame.size) std::abort();
  for (const mbus::Record& r : t.records) {
    if (!r.data.empty() && (r.data.data() < data || r.data.data() + r.data.size() > data + size)) {
      std::abort();
    }
  }
  return 0;
}
