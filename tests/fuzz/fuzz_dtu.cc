// The DTU decoders on arbitrary bytes: no crash, bounded buffers, and the same events whether
// the stream arrives whole or one byte at a time.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "heatlink/protocol/dtu.h"

namespace dtu = heatlink::protocol::dtu;

namespace {

std::vector<std::string> events(dtu::Convention convention, const std::uint8_t* data,
                                std::size_t size, std::size_t chunk) {
  dtu::UpstreamDecoder decoder(convention, 11,
                               convention == dtu::Convention::id_on_connect ? "HB" : "");
  std::vector<std::string> out;
  for (std::size_t at = 0; at < size; at += chunk) {
    const std::size_t n = std::min(chunk, size - at);
    for (const dtu::Event& e : decoder.feed({data + at, n})) {
      // Data and dropped noise may be grouped differently by chunking; their bytes may not.
      const std::string bytes(e.bytes.begin(), e.bytes.end());
      const std::string kind = dtu::event_name(e.kind);
      const bool mergeable = e.kind == dtu::EventKind::data || e.kind == dtu::EventKind::invalid;
      if (mergeable && !out.empty() && out.back().rfind(kind + ":", 0) == 0) {
        out.back() += bytes;
      } else {
        out.push_back(kind + ":" + (e.kind == dtu::EventKind::invalid ? "" : e.id) + ":" + bytes);
      }
    }
    if (decoder.buffered() > dtu::kDdpMaxPacket + dtu::kMaxIdLength) std::abort();
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Byte by byte for short inputs; long ones in small chunks, which keeps the runs fast.
  const std::size_t chunk = size <= 512 ? 1 : 7;
  for (const auto c :
       {dtu::Convention::id_on_connect, dtu::Convention::id_prefixed, dtu::Convention::ddp}) {
    if (events(c, data, size, size == 0 ? 1 : size) != events(c, data, size, chunk)) std::abort();
  }
  dtu::DownstreamDecoder downstream(dtu::Convention::ddp);
  downstream.feed({data, size});
  return 0;
}
