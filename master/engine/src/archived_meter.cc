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

std::variant<hm660::ArchiveEntry, std::string> archive_entry(const MeterRecord& meter) {
  const std::string name = "meter " + std::to_string(meter.id);
  if (meter.protocol == MeterProtocol::cjt188) {
    const auto address = protocol::cjt188::Address::parse(meter.secondary_address);
    if (!address) return name + ": '" + meter.secondary_address + "' is not a CJ/T 188 address";
    return hm660::cjt188_entry(meter.channel, *address, protocol::cjt188::kHeatHeating);
  }
  hm660::ArchiveEntry e;
  e.channel = meter.channel;
  if (!meter.secondary_address.empty()) {
    const auto secondary = protocol::mbus::SecondaryAddress::parse(meter.secondary_address);
    if (!secondary) return name + ": '" + meter.secondary_address + "' is not a secondary address";
    e.secondary = *secondary;
  }
  if (meter.primary_address != 0) {
    e.protocol = hm660::ArchiveEntry::mbus_primary;
    e.primary = meter.primary_address;
  } else if (!meter.secondary_address.empty()) {
    e.protocol = hm660::ArchiveEntry::mbus_secondary;
  } else {
    return name + ": neither a primary nor a secondary address";
  }
  return e;
}

}  // namespace heatlink::master
