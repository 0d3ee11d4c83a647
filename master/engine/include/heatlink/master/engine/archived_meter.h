// An HM-660 archive entry as the base information writes a meter: channel, how the
// concentrator reaches it, and its address (docs/protocols/hm660.md).
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "heatlink/master/storage/storage.h"
#include "heatlink/protocol/hm660.h"

namespace heatlink::master {

struct ArchivedMeter {
  std::uint8_t channel = 0;
  std::string protocol;  // "mbus_primary", "mbus_secondary", "cjt188"
  std::uint8_t primary = 0;
  std::string address;  // 16 hex digits (M-Bus), 14 digits (CJ/T 188); empty for a primary entry
};

ArchivedMeter archived_meter(const protocol::hm660::ArchiveEntry& entry);

// The entry that archives a meter of the base information as the collecting cycle reads it
// (ReadingEngine::collect): an M-Bus meter by its primary address when it has one, else by
// its secondary address; a CJ/T 188 meter by its address. Why not, when its address is none.
std::variant<protocol::hm660::ArchiveEntry, std::string> archive_entry(const MeterRecord& meter);

}  // namespace heatlink::master
