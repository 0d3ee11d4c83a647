// An HM-660 archive entry as the base information writes a meter: channel, how the
// concentrator reaches it, and its address (docs/protocols/hm660.md).
#pragma once

#include <cstdint>
#include <string>

#include "heatlink/protocol/hm660.h"

namespace heatlink::master {

struct ArchivedMeter {
  std::uint8_t channel = 0;
  std::string protocol;  // "mbus_primary", "mbus_secondary", "cjt188"
  std::uint8_t primary = 0;
  std::string address;  // 16 hex digits (M-Bus), 14 digits (CJ/T 188); empty for a primary entry
};

ArchivedMeter archived_meter(const protocol::hm660::ArchiveEntry& entry);

}  // namespace heatlink::master
