// The engine's cycle of a concentrator in concentrator mode (HM-660, docs/protocols/hm660.md):
// the concentrator reads its archived meters on its own cycle and buffers the replies; the
// master reads the archive (A3), collects the buffer (A8, acknowledged with A9) and matches
// each reply to a meter of the base information.
#include <cctype>
#include <set>

#include "engine_cycle.h"
#include "heatlink/master/engine/reading_extract.h"
#include "heatlink/protocol/frame_scan.h"
#include "heatlink/protocol/mbus_telegram.h"

namespace heatlink::master {

namespace {

namespace hm660 = protocol::hm660;
namespace mbus = protocol::mbus;

// The secondary address in an RSP_UD's header, as the base information writes it.
std::string header_address(const std::vector<std::uint8_t>& frame) {
  const auto decoded = mbus::decode_frame(frame);
  if (!decoded) return "";
  mbus::Telegram t;
  mbus::decode_telegram(*decoded, t);
  if (!t.has_identity) return "";
  mbus::SecondaryAddress a;
  a.id = t.id;
  a.manufacturer = t.manufacturer;
  a.version = t.version;
  a.medium = t.medium;
  return a.to_string();
}

bool same_text(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) !=
        std::toupper(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

// The meter a buffered reply came from: by the address in the reply, else by the archive
// entry's channel and primary address.
const MeterRecord* meter_of(const std::vector<MeterRecord>& meters,
                            const hm660::ArchiveEntry& entry,
                            const std::vector<std::uint8_t>& frame) {
  if (entry.protocol == hm660::ArchiveEntry::cjt188) {
    const auto scanned = protocol::scan_any(frame, protocol::Protocol::cjt188);
    if (scanned.status != mbus::ScanStatus::complete) return nullptr;
    const std::string address = scanned.cjt188.address.to_string();
    for (const MeterRecord& m : meters) {
      if (m.protocol == MeterProtocol::cjt188 && same_text(m.secondary_address, address)) return &m;
    }
    return nullptr;
  }
  const std::string secondary = header_address(frame);
  for (const MeterRecord& m : meters) {
    if (m.protocol != MeterProtocol::mbus) continue;
    if (!m.secondary_address.empty() && same_text(m.secondary_address, secondary)) return &m;
    if (m.secondary_address.empty() && entry.protocol == hm660::ArchiveEntry::mbus_primary &&
        m.channel == entry.channel && m.primary_address == entry.primary)
      return &m;
  }
  return nullptr;
}

}  // namespace

void ReadingEngine::collect(const std::shared_ptr<Cycle>& cycle) {
  auto archive = std::make_shared<hm660::EntryListRead>(hm660::kArchiveRead, options_.retries);
  run_(cycle->concentrator().dtu_id, archive, [this, cycle, archive](const IoStatus& io) {
    if (!io.ok()) return line_failed(cycle, io, false);
    if (archive->verdict() != protocol::link::Verdict::ok) {
      cycle->stats.error = "archive read: " + archive->problem();
      return finish(cycle);
    }
    auto buffer = std::make_shared<hm660::ReadingsCollect>(32, options_.retries);
    run_(cycle->concentrator().dtu_id, buffer, [this, cycle, archive, buffer](const IoStatus& s) {
      if (!s.ok()) return line_failed(cycle, s, false);
      if (buffer->verdict() != protocol::link::Verdict::ok) {
        cycle->stats.error = "readings collect: " + buffer->problem();
        return finish(cycle);
      }
      collected(cycle, archive->entries(), buffer->readings());
    });
  });
}

void ReadingEngine::read_archive(const std::shared_ptr<Cycle>& cycle) {
  auto archive = std::make_shared<hm660::EntryListRead>(hm660::kArchiveRead, options_.retries);
  run_(cycle->concentrator().dtu_id, archive, [this, cycle, archive](const IoStatus& io) {
    if (!io.ok()) return line_failed(cycle, io, false);
    if (archive->verdict() != protocol::link::Verdict::ok) {
      cycle->stats.error = "archive read: " + archive->problem();
    } else {
      cycle->stats.archive = archive->entries();
    }
    finish(cycle);
  });
}

void ReadingEngine::collected(const std::shared_ptr<Cycle>& cycle,
                              const std::vector<hm660::ArchiveEntry>& archive,
                              const std::vector<hm660::BufferedReading>& readings) {
  std::set<std::int64_t> answered;
  for (const hm660::BufferedReading& b : readings) {
    if (b.archive_index >= archive.size()) continue;
    const MeterRecord* meter = meter_of(cycle->meters, archive[b.archive_index], b.frame);
    if (meter == nullptr) continue;  // a meter the concentrator has and the base information not
    ExtractOptions extract;
    extract.meter_id = meter->id;
    extract.keep_raw = options_.keep_raw;
    extract.meter_utc_offset_s = options_.meter_utc_offset_s;
    extract.received_at = now_();
    auto reading =
        meter->protocol == MeterProtocol::cjt188
            ? reading_from_cjt188(b.frame, extract)
            : reading_from_mbus(std::vector<std::vector<std::uint8_t>>{b.frame}, extract);
    auto* r = std::get_if<Reading>(&reading);
    if (r == nullptr) continue;
    // A meter without a clock: its values are of the time the concentrator read it.
    if (!r->meter_time)
      r->read_at = epoch_of(b.time, options_.meter_utc_offset_s).value_or(r->read_at);
    keep(cycle, std::move(*r));
    if (answered.insert(meter->id).second) {
      ++cycle->stats.read;
      ++cycle->stats.segments[meter->channel].read;
    }
  }
  // The meters the concentrator has no reading of since the last collect failed this cycle.
  for (const MeterRecord& m : cycle->meters) {
    if (answered.count(m.id) == 0) cycle->failed.push_back(m);
  }
  cycle->index = cycle->meters.size();
  finish(cycle);
}

}  // namespace heatlink::master
