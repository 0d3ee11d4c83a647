#include "heatlink/master/engine/archived_meter.h"

namespace heatlink::master {

namespace hm660 = protocol::hm660;

ArchivedMeter archived_meter(const hm660::ArchiveEntry& entry) {
  ArchivedMeter m;
  m.channel = entry.channel;
  m.primary = entry.primary;
  switch (entry.protocol) {
    case hm660::ArchiveEntry::cjt188: {
      m.protocol = "cjt188";
      m.address = hm660::cjt188_address(entry).to_string();
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
