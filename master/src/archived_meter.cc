#include "heatlink/master/archived_meter.h"

#include "heatlink/protocol/cjt188.h"

namespace heatlink::master {

namespace hm660 = protocol::hm660;

ArchivedMeter archived_meter(const hm660::ArchiveEntry& entry) {
  ArchivedMeter m;
  m.channel = entry.channel;
  m.primary = entry.primary;
  switch (entry.protocol) {
    case hm660::ArchiveEntry::cjt188: {
      // The entry carries A3-A0 as the ID, A5 A4 as the manufacturer, A6 as the version.
      const auto& s = entry.secondary;
      protocol::cjt188::Address a;
      a.bytes = {static_cast<std::uint8_t>(s.id),
                 static_cast<std::uint8_t>(s.id >> 8),
                 static_cast<std::uint8_t>(s.id >> 16),
                 static_cast<std::uint8_t>(s.id >> 24),
                 static_cast<std::uint8_t>(s.manufacturer),
                 static_cast<std::uint8_t>(s.manufacturer >> 8),
                 s.version};
      m.protocol = "cjt188";
      m.address = a.to_string();
      break;
    }
    case hm660::ArchiveEntry::mbus_secondary:
      m.protocol = "mbus_secondary";
      m.address = entry.secondary.to_string();
      break;
    default:
      m.protocol = "mbus_primary";
      break;
  }
  return m;
}

}  // namespace heatlink::master
