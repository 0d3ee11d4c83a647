#include "heatlink/protocol/hm660.h"

namespace heatlink::protocol::hm660 {

void encode_entry(const ArchiveEntry& e, std::vector<std::uint8_t>& out) {
  const auto& s = e.secondary;
  const std::uint8_t bytes[kEntrySize] = {e.channel,
                                          e.protocol,
                                          e.primary,
                                          static_cast<std::uint8_t>(s.id),
                                          static_cast<std::uint8_t>(s.id >> 8),
                                          static_cast<std::uint8_t>(s.id >> 16),
                                          static_cast<std::uint8_t>(s.id >> 24),
                                          static_cast<std::uint8_t>(s.manufacturer),
                                          static_cast<std::uint8_t>(s.manufacturer >> 8),
                                          s.version,
                                          s.medium,
                                          e.flags,
                                          0,
                                          0,
                                          0,
                                          0};
  out.insert(out.end(), bytes, bytes + kEntrySize);
}

ArchiveEntry cjt188_entry(std::uint8_t channel, const cjt188::Address& address,
                          std::uint8_t meter_type) noexcept {
  ArchiveEntry e;
  e.channel = channel;
  e.protocol = ArchiveEntry::cjt188;
  const auto& a = address.bytes;
  e.secondary =
      mbus::SecondaryAddress{std::uint32_t{a[0]} | std::uint32_t{a[1]} << 8 |
                                 std::uint32_t{a[2]} << 16 | std::uint32_t{a[3]} << 24,
                             static_cast<std::uint16_t>(a[4] | a[5] << 8), a[6], meter_type};
  return e;
}

cjt188::Address cjt188_address(const ArchiveEntry& entry) noexcept {
  const auto& s = entry.secondary;
  cjt188::Address a;
  a.bytes = {static_cast<std::uint8_t>(s.id),
             static_cast<std::uint8_t>(s.id >> 8),
             static_cast<std::uint8_t>(s.id >> 16),
             static_cast<std::uint8_t>(s.id >> 24),
             static_cast<std::uint8_t>(s.manufacturer),
             static_cast<std::uint8_t>(s.manufacturer >> 8),
             s.version};
  return a;
}

ArchiveEntry decode_entry(Bytes b) noexcept {
  ArchiveEntry e;
  e.channel = b[0];
  e.protocol = b[1];
  e.primary = b[2];
  e.secondary.id = std::uint32_t{b[3]} | std::uint32_t{b[4]} << 8 | std::uint32_t{b[5]} << 16 |
                   std::uint32_t{b[6]} << 24;
  e.secondary.manufacturer = static_cast<std::uint16_t>(b[7] | b[8] << 8);
  e.secondary.version = b[9];
  e.secondary.medium = b[10];
  e.flags = b[11];
  return e;
}

FrameBytes command(std::uint8_t ci, Bytes data) noexcept {
  const auto frame = mbus::encode_long(mbus::kSndUd, kAddress, ci,
                                       data.subspan(0, std::min(data.size(), mbus::kMaxUserData)));
  return *frame;
}

}  // namespace heatlink::protocol::hm660
