#include "heatlink/master/engine/reading_engine.h"

#include <set>

#include "engine_cycle.h"
#include "heatlink/master/analysis/fault_monitor.h"
#include "heatlink/master/engine/reading_extract.h"
#include "heatlink/protocol/cjt188_procedures.h"
#include "heatlink/protocol/mbus_procedures.h"

namespace heatlink::master {

namespace {

namespace mbus = protocol::mbus;
namespace cjt188 = protocol::cjt188;

// How the engine reaches a meter, from its base information: by its primary address when it
// has one (1-250) or no identity is known, else by selecting its secondary address.
std::variant<mbus::Target, cjt188::MeterId, std::string> target_of(const MeterRecord& m) {
  if (m.protocol == MeterProtocol::cjt188) {
    auto address = cjt188::Address::parse(m.secondary_address);
    if (!address)
      return "meter " + std::to_string(m.id) + ": CJ/T 188 address '" + m.secondary_address + "'";
    cjt188::MeterId id;
    id.address = *address;
    return id;
  }
  // A primary address is the fast way (no selection); the identity is checked on the answer.
  if (m.secondary_address.empty() || m.primary_address != 0) {
    mbus::Target t;
    t.primary = m.primary_address;
    return t;
  }
  auto secondary = mbus::SecondaryAddress::parse(m.secondary_address);
  if (!secondary)
    return "meter " + std::to_string(m.id) + ": secondary address '" + m.secondary_address + "'";
  mbus::Target t;
  t.by_secondary = true;
  t.secondary = *secondary;
  return t;
}

}  // namespace

ReadingEngine::ReadingEngine(Storage& storage, RunProcedure run, Now now, EngineOptions options,
                             FaultMonitor* monitor)
    : storage_(storage),
      run_(std::move(run)),
      now_(std::move(now)),
      options_(options),
      monitor_(monitor) {}

bool ReadingEngine::read_concentrator(const ConcentratorRecord& concentrator,
                                      std::function<void(const CycleStats&)> done) {
  CycleRequest request;
  request.concentrator = concentrator;
  request.slot = now_();
  return read(request, std::move(done));
}

bool ReadingEngine::read(const CycleRequest& request, std::function<void(const CycleStats&)> done) {
  if (busy(request.concentrator.id)) return false;
  return start(request, std::move(done), false);
}

bool ReadingEngine::interject(const CycleRequest& request,
                              std::function<void(const CycleStats&)> done) {
  const auto running = cycles_.find(request.concentrator.id);
  if (running == cycles_.end() || request.only_meters.empty() || request.archive) return false;
  Cycle& cycle = *running->second;
  if (cycle.nested || cycle.request.archive || cycle.request.scan || cycle.request.archive_write ||
      cycle.concentrator().mode != ConcentratorMode::transparent)
    return false;
  cycle.interjections.emplace_back(request, std::move(done));
  return true;
}

bool ReadingEngine::make_way(std::int64_t concentrator_id) {
  const auto running = cycles_.find(concentrator_id);
  if (running == cycles_.end()) return false;
  const CycleRequest& request = running->second->request;
  if (request.scan) request.scan->pause_soon();
  if (request.archive_write) request.archive_write->pause_soon();
  return request.scan || request.archive_write;
}

// The running cycle steps aside for the first interjection and resumes when it is done.
void ReadingEngine::run_interjection(const std::shared_ptr<Cycle>& cycle) {
  auto [request, done] = std::move(cycle->interjections.front());
  cycle->interjections.erase(cycle->interjections.begin());
  cycles_.erase(cycle->request.concentrator.id);
  start(
      request,
      [this, cycle, done = std::move(done)](const CycleStats& stats) {
        done(stats);
        cycles_[cycle->request.concentrator.id] = cycle;
        next(cycle);
      },
      true);
}

bool ReadingEngine::start(const CycleRequest& request, std::function<void(const CycleStats&)> done,
                          bool nested) {
  const ConcentratorRecord& concentrator = request.concentrator;
  auto cycle = std::make_shared<Cycle>();
  cycle->nested = nested;
  cycle->request = request;
  cycle->done = std::move(done);
  cycle->stats.concentrator_id = concentrator.id;
  cycle->stats.concentrator = concentrator.name;
  cycle->stats.slot = request.slot;
  cycle->stats.settlement = request.settlement;
  cycle->stats.started_at = now_();
  auto fail = [&](const StorageError& e) {
    cycle->stats.error = e.message;
    cycle->stats.finished_at = now_();
    cycle->done(cycle->stats);
    return true;
  };
  auto meters = storage_.meters_of(concentrator.id);
  if (auto* e = std::get_if<StorageError>(&meters)) return fail(*e);
  std::set<std::int64_t> skip;
  if (request.skip_already_read) {
    auto read = storage_.read_since(concentrator.id, request.slot);
    if (auto* e = std::get_if<StorageError>(&read)) return fail(*e);
    skip.insert(std::get<0>(read).begin(), std::get<0>(read).end());
  }
  const std::set<std::int64_t> only(request.only_meters.begin(), request.only_meters.end());
  for (MeterRecord& m : std::get<std::vector<MeterRecord>>(meters)) {
    if (!only.empty() && only.count(m.id) == 0) continue;
    if (skip.count(m.id) > 0) {
      ++cycle->stats.skipped;
      continue;
    }
    ++cycle->stats.segments[m.channel].meters;
    cycle->meters.push_back(std::move(m));
  }
  cycle->stats.meters = cycle->meters.size();
  if (monitor_ != nullptr && !nested) {
    if (auto e = monitor_->begin_cycle(concentrator.id)) return fail(*e);
  }
  cycles_[concentrator.id] = cycle;
  if (request.archive || request.scan || request.archive_write) {
    cycle->meters.clear();
    cycle->stats.meters = 0;
    cycle->stats.segments.clear();
    if (request.scan) {
      scan(cycle);
    } else if (request.archive_write) {
      write_archive(cycle);
    } else {
      read_archive(cycle);
    }
  } else if (concentrator.mode == ConcentratorMode::collect) {
    collect(cycle);
  } else {
    next(cycle);
  }
  return true;
}

void ReadingEngine::next(const std::shared_ptr<Cycle>& cycle) {
  if (!cycle->interjections.empty()) return run_interjection(cycle);
  if (cycle->index >= cycle->meters.size()) {
    if (cycle->failed.empty() || cycle->pass >= options_.failed_meter_passes) return finish(cycle);
    // Another pass over the meters that failed: a collision or a burst of noise is often gone.
    ++cycle->pass;
    cycle->stats.retried += cycle->failed.size();
    cycle->meters = std::move(cycle->failed);
    cycle->failed.clear();
    cycle->index = 0;
  }
  const MeterRecord meter = cycle->meters[cycle->index++];
  const auto target = target_of(meter);
  if (std::holds_alternative<std::string>(target)) {  // base information the line cannot use
    cycle->failed.push_back(meter);
    return next(cycle);
  }
  if (cycle->request.valve && cycle->valve_sent.insert(meter.id).second) {
    return command_valve(cycle, meter);
  }
  ExtractOptions extract;
  extract.meter_id = meter.id;
  extract.keep_raw = options_.keep_raw;
  extract.meter_utc_offset_s = options_.meter_utc_offset_s;
  // Runs the read, then turns its answer into a reading with `reading_of` - filed under the
  // meter only when every identity `identities_of` finds in it is the meter's.
  auto run_read = [&](auto read, auto reading_of, auto identities_of) {
    run_(
        cycle->concentrator().dtu_id, read,
        [this, cycle, read, extract, meter, reading_of, identities_of](const IoStatus& io) mutable {
          if (!io.ok()) return line_failed(cycle, io, true);
          extract.received_at = now_();
          if (read->verdict() != protocol::link::Verdict::ok)
            return record(cycle, meter, read->problem());
          auto reading = reading_of(*read, extract);
          const bool strict = cycle->request.require_identity;
          for (const std::string& answered : identities_of(*read)) {
            if (answered.empty() && !strict) continue;  // nothing to check it with
            if (!identity_matches(meter, answered) || (strict && meter.secondary_address.empty()))
              return mismatch(cycle, meter, answered, std::move(reading));
          }
          record(cycle, meter, std::move(reading));
        });
  };
  if (const auto* cjt = std::get_if<cjt188::MeterId>(&target)) {
    return run_read(
        std::make_shared<cjt188::DataRead>(*cjt, cjt188::kDiCurrentData, options_.retries),
        [](const cjt188::DataRead& r, const ExtractOptions& o) {
          return reading_from_cjt188(r.reply(), o);
        },
        [](const cjt188::DataRead& r) {
          return std::vector<std::string>{identity_of_cjt188(r.reply())};
        });
  }
  mbus::ReadOptions read_options;
  read_options.retries = options_.retries;
  run_read(
      std::make_shared<mbus::MeterRead>(std::get<mbus::Target>(target), read_options),
      [](const mbus::MeterRead& r, const ExtractOptions& o) {
        return reading_from_mbus(r.telegrams(), o);
      },
      [](const mbus::MeterRead& r) { return identities_of_mbus(r.telegrams()); });
}

void ReadingEngine::record(const std::shared_ptr<Cycle>& cycle, const MeterRecord& meter,
                           std::variant<Reading, std::string> reading) {
  auto* r = std::get_if<Reading>(&reading);
  if (r == nullptr) {
    cycle->failed.push_back(meter);
    return next(cycle);
  }
  if (kept_out(cycle, meter, *r)) {
    ++cycle->stats.implausible;
    cycle->mismatched.push_back(meter);  // failed, not tried again
    return next(cycle);
  }
  const bool drifted = options_.clock_sync_threshold_s > 0 && r->meter_time &&
                       std::abs(*r->meter_time - r->received_at) > options_.clock_sync_threshold_s;
  const EpochSeconds slot_end = cycle->request.slot_end;
  if (slot_end > 0 && r->received_at >= slot_end) ++cycle->stats.late;
  keep(cycle, std::move(*r));
  ++cycle->stats.read;
  ++cycle->stats.segments[meter.channel].read;
  if (!cycle->stats.error.empty()) return finish(cycle);  // the database failed
  if (drifted) return sync_clock(cycle, meter);
  next(cycle);
}

void ReadingEngine::mismatch(const std::shared_ptr<Cycle>& cycle, const MeterRecord& meter,
                             const std::string& answered,
                             std::variant<Reading, std::string> reading) {
  keep_aside(cycle, meter, answered, std::get_if<Reading>(&reading));
  ++cycle->stats.mismatched;
  cycle->mismatched.push_back(meter);
  next(cycle);
}

void ReadingEngine::keep_aside(const std::shared_ptr<Cycle>& cycle, const MeterRecord& meter,
                               const std::string& answered, const Reading* reading) {
  const EpochSeconds now = now_();
  if (reading != nullptr) {
    UnassignedReading u;
    u.concentrator_id = cycle->concentrator().id;
    u.channel = meter.channel;
    u.primary_address = meter.primary_address;
    u.identity = answered;
    u.meter_id = meter.id;
    u.expected_identity = meter.secondary_address;
    u.reading = *reading;
    u.reading.meter_id = 0;
    auto stored = storage_.store_unassigned(std::span(&u, 1));
    if (auto* e = std::get_if<StorageError>(&stored)) cycle->stats.error = e->message;
  }
  if (monitor_ == nullptr) return;
  if (auto e = monitor_->observe_mismatch(cycle->concentrator().id, meter.id, now,
                                          meter.secondary_address, answered))
    cycle->stats.error = e->message;
}

bool ReadingEngine::kept_out(const std::shared_ptr<Cycle>& cycle, const MeterRecord& meter,
                             const Reading& reading) {
  if (monitor_ == nullptr) return false;
  const auto why = monitor_->implausible(cycle->concentrator().id, reading);
  if (!why) return false;
  UnassignedReading u;
  u.concentrator_id = cycle->concentrator().id;
  u.channel = meter.channel;
  u.primary_address = meter.primary_address;
  u.identity = meter.secondary_address;
  u.meter_id = meter.id;
  u.expected_identity = meter.secondary_address;
  u.reading = reading;
  u.reading.meter_id = 0;
  auto stored = storage_.store_unassigned(std::span(&u, 1));
  if (auto* e = std::get_if<StorageError>(&stored)) cycle->stats.error = e->message;
  if (auto e = monitor_->observe_implausible(cycle->concentrator().id, meter.id, now_(), *why))
    cycle->stats.error = e->message;
  return true;
}

// The valve first; the meter's reading after it shows where the valve is.
void ReadingEngine::command_valve(const std::shared_ptr<Cycle>& cycle, const MeterRecord& meter) {
  const auto target = target_of(meter);
  const auto* cjt = std::get_if<cjt188::MeterId>(&target);
  if (cjt == nullptr) {
    cycle->stats.valve_error =
        "meter " + std::to_string(meter.id) + " has no valve the master can drive";
    --cycle->index;  // read it all the same
    return next(cycle);
  }
  cjt188::ValveOptions options;
  options.retries = options_.retries;
  auto command = std::make_shared<cjt188::ValveCommand>(*cjt, *cycle->request.valve, options);
  run_(cycle->concentrator().dtu_id, command, [this, cycle, command, meter](const IoStatus& io) {
    if (!io.ok()) return line_failed(cycle, io, true);
    if (command->verdict() == protocol::link::Verdict::ok) {
      ++cycle->stats.valves_set;
    } else {
      cycle->stats.valve_error =
          "valve of meter " + std::to_string(meter.id) + ": " + command->problem();
    }
    --cycle->index;  // now read it
    next(cycle);
  });
}

void ReadingEngine::sync_clock(const std::shared_ptr<Cycle>& cycle, const MeterRecord& meter) {
  const mbus::TimePoint time = meter_clock_at(now_(), options_.meter_utc_offset_s);
  const auto target = target_of(meter);
  std::shared_ptr<protocol::link::ProcedureBase> set;
  if (const auto* cjt = std::get_if<cjt188::MeterId>(&target)) {
    set = std::make_shared<cjt188::TimeSet>(*cjt, time, options_.retries);
  } else {
    set = std::make_shared<mbus::SetClock>(std::get<mbus::Target>(target), time, options_.retries);
  }
  run_(cycle->concentrator().dtu_id, set, [this, cycle, set](const IoStatus& io) {
    if (!io.ok()) return line_failed(cycle, io, false);
    if (set->verdict() == protocol::link::Verdict::ok) ++cycle->stats.clock_set;
    next(cycle);
  });
}

void ReadingEngine::keep(const std::shared_ptr<Cycle>& cycle, Reading reading) {
  if (waiting_.empty()) waiting_since_ = now_();
  waiting_.push_back(std::move(reading));
  waiting_of_.push_back(cycle);
  if (waiting_.size() >= options_.batch) flush();
}

void ReadingEngine::flush_due() {
  if (!waiting_.empty() && now_() - waiting_since_ >= options_.flush_after_s) flush();
}

void ReadingEngine::flush() {
  if (waiting_.empty()) return;
  const std::vector<Reading> readings = std::move(waiting_);
  const std::vector<std::shared_ptr<Cycle>> cycles = std::move(waiting_of_);
  waiting_.clear();
  waiting_of_.clear();
  auto stored = storage_.store_readings(readings);
  if (auto* e = std::get_if<StorageError>(&stored)) {
    // The meters answered; the database did not take their readings (a full disk, the
    // database down): unstored, and the cycle stops - no meter or bus is blamed for it.
    for (const auto& c : cycles) {
      c->stats.error = "storing readings: " + e->message;
      c->stats.storage_failed = true;
      ++c->stats.unstored;
    }
    return;
  }
  if (stored_) stored_(readings);
  // Each cycle's readings, as stored (new, or there already: a re-read of the same values).
  std::map<Cycle*, std::vector<Reading>> by_cycle;
  for (std::size_t i = 0; i < readings.size(); ++i)
    by_cycle[cycles[i].get()].push_back(readings[i]);
  for (auto& [c, list] : by_cycle) {
    c->stats.stored += list.size();
    if (monitor_ == nullptr) continue;
    if (auto e = monitor_->observe(c->request.concentrator.id, list)) c->stats.error = e->message;
  }
}

void ReadingEngine::line_failed(const std::shared_ptr<Cycle>& cycle, const IoStatus& io,
                                bool meter_unanswered) {
  cycle->stats.error = io.error;
  if (meter_unanswered) --cycle->index;  // it counts as not reached
  finish(cycle);
}

void ReadingEngine::finish(const std::shared_ptr<Cycle>& cycle) {
  flush();  // this cycle's readings, and those of others waiting with them
  const EpochSeconds now = now_();
  // Meters not reached count as failed when the line failed (they could not be read), as not
  // asked when the database failed (nothing is known of them); those that answered with
  // another identity count as failed.
  for (std::size_t i = cycle->index; i < cycle->meters.size(); ++i) {
    if (cycle->stats.storage_failed)
      ++cycle->stats.not_asked;
    else
      cycle->failed.push_back(cycle->meters[i]);
  }
  cycle->index = cycle->meters.size();
  cycle->failed.insert(cycle->failed.end(), cycle->mismatched.begin(), cycle->mismatched.end());
  cycle->mismatched.clear();
  cycle->stats.failed = cycle->failed.size();
  for (const MeterRecord& m : cycle->failed) {
    cycle->stats.failed_meters.push_back(m.id);
    ++cycle->stats.segments[m.channel].failed;
  }
  const EpochSeconds slot_end = cycle->request.slot_end;
  if (slot_end > 0 && now > slot_end) cycle->stats.overrun_s = now - slot_end;
  if (monitor_ != nullptr && cycle->stats.error.empty()) {
    // A lost line says nothing of the meters or the bus: only a cycle that ran counts.
    const CycleRequest& request = cycle->request;
    std::optional<StorageError> e;
    for (const MeterRecord& m : cycle->failed) {
      if (!e) e = monitor_->observe_failure(request.concentrator.id, m.id, now);
    }
    if (!e && request.only_meters.empty())
      e = monitor_->observe_cycle(request.concentrator.id, now, cycle->stats.meters,
                                  cycle->stats.failed);
    if (!e && slot_end > 0)
      e = monitor_->observe_overrun(request.concentrator.id, now, cycle->stats.overrun_s);
    if (e) cycle->stats.error = e->message;
  }
  if (monitor_ != nullptr && !cycle->nested) monitor_->end_cycle(cycle->request.concentrator.id);
  cycle->stats.finished_at = now;
  cycles_.erase(cycle->request.concentrator.id);
  auto waiting = std::move(cycle->interjections);  // a cycle stopped early leaves them behind
  cycle->done(cycle->stats);
  for (auto& [request, done] : waiting) {
    if (!interject(request, done) && !read(request, done)) {
      CycleStats refused;
      refused.concentrator_id = request.concentrator.id;
      refused.concentrator = request.concentrator.name;
      refused.error = "the concentrator is busy";
      done(refused);
    }
  }
}

}  // namespace heatlink::master
