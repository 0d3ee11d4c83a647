// CJ/T 188 frames and payloads on arbitrary bytes, and the 901F encoder on arbitrary values.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "heatlink/protocol/cjt188.h"

namespace cjt188 = heatlink::protocol::cjt188;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const heatlink::protocol::Bytes bytes{data, size};
  cjt188::Reply reply;
  const cjt188::ScanResult r = cjt188::scan_frame(bytes);
  if (r.status == heatlink::protocol::mbus::ScanStatus::complete) {
    if (!cjt188::decode_reply(r.frame, reply) && reply.error.offset > r.consumed) std::abort();
  }
  // Heat data from the input's bytes must encode and decode back to the same values.
  if (size >= 24) {
    cjt188::HeatData h;
    std::uint32_t v[6];
    std::memcpy(v, data, sizeof v);
    h.current_heat = v[0] % 100000000;
    h.settlement_heat = v[1] % 100000000;
    h.power = v[2] % 100000000;
    h.volume = v[3] % 100000000;
    h.supply_temperature = v[4] % 1000000;
    h.return_temperature = v[5] % 1000000;
    cjt188::VendorProfile profile;
    profile.unit_placement =
        (data[0] & 1) ? cjt188::UnitPlacement::before_value : cjt188::UnitPlacement::after_value;
    profile.di_order = (data[1] & 1) ? cjt188::DiOrder::low_first : cjt188::DiOrder::high_first;
    const auto payload = cjt188::encode_heat_data(h, profile);
    if (!payload.ok()) std::abort();
    const auto frame =
        cjt188::encode_frame(cjt188::FrameSpec{cjt188::kHeatHeating, cjt188::Address::wildcard(),
                                               cjt188::kReadData | cjt188::kReplyBit, true,
                                               cjt188::kDiCurrentData, 0, *payload},
                             profile);
    if (!frame.ok()) std::abort();
    const auto decoded = cjt188::decode_frame(frame->view());
    if (!decoded.ok() || !cjt188::decode_reply(*decoded, reply, &profile)) std::abort();
    if (reply.records.size() != 9 ||
        reply.records[1].mantissa != static_cast<std::int64_t>(h.current_heat) ||
        reply.records[0].mantissa != static_cast<std::int64_t>(h.settlement_heat) ||
        reply.records[5].mantissa != static_cast<std::int64_t>(h.supply_temperature)) {
      std::abort();
    }
  }
  return 0;
}
