// The engine's cycle of a concentrator in concentrator mode (HM-660, docs/protocols/hm660.md):
// the concentrator reads its archived meters on its own cycle and buffers the replies; the
// master reads the archive (A3), collects the buffer (A8, acknowledged with A9) and matches
// each reply to a meter of the base information.
#include <cctype>
#include <set>

#include "engine_cycle.h"
#include "heatlink/master/engine/reading_extract.h"

namespace heatlink::master {

namespace {

namespace hm660 = protocol::hm660;

bool same_text(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) !=
        std::toupper(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

// The identity a buffered reply carries ("" when none).
std::string identity_of(const hm660::ArchiveEntry& entry, const std::vector<std::uint8_t>& frame) {
  if (entry.protocol == hm660::ArchiveEntry::cjt188) return identity_of_cjt188(frame);
  return identities_of_mbus(std::vector<std::vector<std::uint8_t>>{frame}).front();
}

// The meter of the base information at the address the archive entry reads: by the identity
// of the reply for meters selected by it, by channel and primary address for the others (whose
// identity the caller checks).
const MeterRecord* meter_of(const std::vector<MeterRecord>& meters,
                            const hm660::ArchiveEntry& entry, const std::string& identity) {
  if (entry.protocol == hm660::ArchiveEntry::cjt188) {
    for (const MeterRecord& m : meters) {
      if (m.protocol == MeterProtocol::cjt188 && same_text(m.secondary_address, identity))
        return &m;
    }
    return nullptr;
  }
  for (const MeterRecord& m : meters) {
    if (m.protocol != MeterProtocol::mbus) continue;
    const bool by_primary = m.secondary_address.empty() || m.primary_address != 0;
    if (!by_primary && same_text(m.secondary_address, identity)) return &m;
    if (by_primary && entry.protocol == hm660::ArchiveEntry::mbus_primary &&
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

void ReadingEngine::write_archive(const std::shared_ptr<Cycle>& cycle) {
  const auto write = cycle->request.archive_write;
  run_(cycle->concentrator().dtu_id, write, [this, cycle, write](const IoStatus& io) {
    if (!io.ok()) return line_failed(cycle, io, false);
    if (write->verdict() != protocol::link::Verdict::ok) {
      cycle->stats.error = "archive write: " + write->problem();
      return finish(cycle);
    }
    if (write->paused()) return finish(cycle);
    read_archive(cycle);  // written: what does the concentrator hold now?
  });
}

void ReadingEngine::scan(const std::shared_ptr<Cycle>& cycle) {
  const auto scan = cycle->request.scan;
  run_(cycle->concentrator().dtu_id, scan, [this, cycle, scan](const IoStatus& io) {
    if (!io.ok()) return line_failed(cycle, io, false);
    if (scan->verdict() != protocol::link::Verdict::ok)
      cycle->stats.error = "secondary scan: " + scan->problem();
    for (const auto& hit : scan->hits()) cycle->stats.found.push_back(hit.secondary.to_string());
    finish(cycle);
  });
}

void ReadingEngine::collected(const std::shared_ptr<Cycle>& cycle,
                              const std::vector<hm660::ArchiveEntry>& archive,
                              const std::vector<hm660::BufferedReading>& readings) {
  std::set<std::int64_t> answered;
  std::set<std::int64_t> mismatched;   // answered with another identity only
  std::set<std::int64_t> implausible;  // answers kept out (FaultMonitor::implausible)
  for (const hm660::BufferedReading& b : readings) {
    if (b.archive_index >= archive.size()) continue;
    const hm660::ArchiveEntry& entry = archive[b.archive_index];
    const std::string identity = identity_of(entry, b.frame);
    const MeterRecord* meter = meter_of(cycle->meters, entry, identity);
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
    if (!identity.empty() && !identity_matches(*meter, identity)) {
      if (answered.count(meter->id) == 0) mismatched.insert(meter->id);
      keep_aside(cycle, *meter, identity, r);
      continue;
    }
    if (kept_out(cycle, *meter, *r)) {
      ++cycle->stats.implausible;
      implausible.insert(meter->id);
      continue;
    }
    mismatched.erase(meter->id);
    keep(cycle, std::move(*r));
    if (answered.insert(meter->id).second) {
      ++cycle->stats.read;
      ++cycle->stats.segments[meter->channel].read;
    }
  }
  // The meters the concentrator has no reading of since the last collect failed this cycle.
  for (const MeterRecord& m : cycle->meters) {
    if (mismatched.count(m.id) > 0) {
      ++cycle->stats.mismatched;
      cycle->mismatched.push_back(m);
    } else if (implausible.count(m.id) > 0 && answered.count(m.id) == 0) {
      cycle->mismatched.push_back(m);  // failed, not tried again
    } else if (answered.count(m.id) == 0) {
      cycle->failed.push_back(m);
    }
  }
  cycle->index = cycle->meters.size();
  finish(cycle);
}

}  // namespace heatlink::master
