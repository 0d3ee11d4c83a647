// The HM-660's concentrator-mode commands (docs/protocols/hm660.md): the codec both sides
// share - the simulated concentrator and the master.
#pragma once

#include <cstdint>
#include <vector>

#include "heatlink/protocol/bytes.h"
#include "heatlink/protocol/cjt188.h"
#include "heatlink/protocol/mbus_frame.h"
#include "heatlink/protocol/mbus_request.h"

namespace heatlink::protocol::hm660 {

inline constexpr std::uint8_t kAddress = 0xFE;  // commands go to, and answers come from, 0xFE
inline constexpr std::uint8_t kInfo = 0xA0;
inline constexpr std::uint8_t kArchiveClear = 0xA1;
inline constexpr std::uint8_t kArchiveAdd = 0xA2;
inline constexpr std::uint8_t kArchiveRead = 0xA3;
inline constexpr std::uint8_t kArchiveCompare = 0xA4;
inline constexpr std::uint8_t kScanStart = 0xA5;
inline constexpr std::uint8_t kScanRead = 0xA6;
inline constexpr std::uint8_t kCycleSet = 0xA7;
inline constexpr std::uint8_t kReadingsFetch = 0xA8;
inline constexpr std::uint8_t kReadingsAcknowledge = 0xA9;
inline constexpr std::uint8_t kClockSet = 0xAA;
inline constexpr std::uint8_t kError = 0xAF;

inline constexpr std::size_t kEntrySize = 16;
inline constexpr std::size_t kEntriesPerFrame = 14;  // in an answer
inline constexpr std::size_t kEntriesPerAdd = 15;    // in an archive add

struct ArchiveEntry {
  enum Protocol : std::uint8_t { mbus_primary = 0, mbus_secondary = 1, cjt188 = 2 };
  std::uint8_t channel = 0;
  std::uint8_t protocol = mbus_primary;
  std::uint8_t primary = 0;
  mbus::SecondaryAddress secondary;  // CJ/T 188: A3-A0 as the ID, A5 A4, A6, the meter type
  std::uint8_t flags = 0;            // bit 0: answered in the last cycle; bit 7: see compare

  bool same_meter(const ArchiveEntry& other) const noexcept {
    return channel == other.channel && protocol == other.protocol && secondary == other.secondary &&
           (protocol != mbus_primary || primary == other.primary);
  }
};

// 16 bytes, as the archive commands carry an entry.
void encode_entry(const ArchiveEntry& entry, std::vector<std::uint8_t>& out);

// A CJ/T 188 meter's entry: A3-A0 as the ID, A5 A4 as the manufacturer, A6 as the version, the
// meter type as the medium; and the address back from such an entry.
ArchiveEntry cjt188_entry(std::uint8_t channel, const cjt188::Address& address,
                          std::uint8_t meter_type) noexcept;
cjt188::Address cjt188_address(const ArchiveEntry& entry) noexcept;
// `bytes` must hold kEntrySize bytes.
ArchiveEntry decode_entry(Bytes bytes) noexcept;

// A command frame: SND_UD to 0xFE with `ci` and `data`.
FrameBytes command(std::uint8_t ci, Bytes data = {}) noexcept;

}  // namespace heatlink::protocol::hm660
