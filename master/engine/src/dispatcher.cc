#include "heatlink/master/engine/dispatcher.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "cycle_json.h"
#include "heatlink/master/analysis/settlement.h"
#include "heatlink/master/engine/archived_meter.h"

namespace heatlink::master {

namespace {

using Json = nlohmann::ordered_json;

constexpr EpochSeconds kNever = std::numeric_limits<EpochSeconds>::max();

}  // namespace

Json cycle_json(const CycleStats& s) {
  Json j{{"cycle", s.concentrator},
         {"slot", s.slot},
         {"started_at", s.started_at},
         {"finished_at", s.finished_at},
         {"meters", s.meters},
         {"skipped", s.skipped},
         {"read", s.read},
         {"failed", s.failed},
         {"stored", s.stored},
         {"retried", s.retried},
         {"clock_set", s.clock_set},
         {"valves_set", s.valves_set},
         {"success_rate", s.success_rate()},
         {"overrun_s", s.overrun_s},
         {"late", s.late}};
  if (s.settlement) j["settlement"] = true;
  if (s.missed) j["missed"] = true;
  if (s.mismatched > 0) j["mismatched"] = s.mismatched;
  if (s.implausible > 0) j["implausible"] = s.implausible;
  if (s.storage_failed) {
    j["storage_failed"] = true;
    j["unstored"] = s.unstored;
    j["not_asked"] = s.not_asked;
  }
  if (s.job != 0) j["job"] = s.job;
  Json segments = Json::object();
  for (const auto& [channel, seg] : s.segments) {
    segments[std::to_string(channel)] = {
        {"meters", seg.meters},
        {"read", seg.read},
        {"failed", seg.failed},
        {"success_rate",
         seg.meters == 0 ? 1.0 : static_cast<double>(seg.read) / static_cast<double>(seg.meters)}};
  }
  j["segments"] = segments;
  if (!s.failed_meters.empty()) j["failed_meters"] = s.failed_meters;
  if (!s.found.empty()) j["found"] = s.found;
  if (!s.archive.empty()) {
    Json archive = Json::array();
    for (const auto& entry : s.archive) {
      const ArchivedMeter m = archived_meter(entry);
      archive.push_back(Json{{"channel", m.channel},
                             {"protocol", m.protocol},
                             {"primary", m.primary},
                             {"address", m.address}});
    }
    j["archive"] = archive;
  }
  if (!s.error.empty()) j["error"] = s.error;
  return j;
}

std::string stats_json(const CycleStats& stats) {
  return cycle_json(stats).dump();
}

Dispatcher::Dispatcher(Storage& storage, ReadingEngine& engine, Online online,
                       ReadingEngine::Now now, DispatcherOptions options, Report report, Log log)
    : storage_(storage),
      engine_(engine),
      online_(std::move(online)),
      now_(std::move(now)),
      options_(std::move(options)),
      report_(std::move(report)),
      log_(std::move(log)) {}

std::size_t Dispatcher::outstanding() const {
  std::size_t n = running_ + interrupted_.size() + yielded_.size();
  for (const auto& [id, queue] : pending_) n += queue.size();
  return n;
}

std::optional<StorageError> Dispatcher::tick() {
  const EpochSeconds now = now_();
  if (auto e = refresh(now)) return e;
  if (auto e = poll_jobs(now)) return e;
  if (auto e = schedule(now)) return e;
  for (Work& work : interrupted_) {
    const std::int64_t id = work.request.concentrator.id;
    pending_[id].push_front(std::move(work));
  }
  interrupted_.clear();
  for (Work& work : yielded_) {
    const std::int64_t id = work.request.concentrator.id;
    pending_[id].push_back(std::move(work));
  }
  yielded_.clear();
  start_pending();
  engine_.flush_due();
  return std::nullopt;
}

std::optional<StorageError> Dispatcher::refresh(EpochSeconds now) {
  if (now < next_refresh_) return std::nullopt;
  auto concentrators = storage_.concentrators();
  if (auto* e = std::get_if<StorageError>(&concentrators)) return *e;
  auto stations = storage_.stations();
  if (auto* e = std::get_if<StorageError>(&stations)) return *e;
  auto communities = storage_.communities();
  if (auto* e = std::get_if<StorageError>(&communities)) return *e;
  concentrators_ = std::move(std::get<std::vector<ConcentratorRecord>>(concentrators));
  station_names_.clear();
  for (const StationRecord& s : std::get<std::vector<StationRecord>>(stations))
    station_names_[s.id] = s.name;
  community_names_.clear();
  for (const CommunityRecord& c : std::get<std::vector<CommunityRecord>>(communities))
    community_names_[c.id] = c.name;
  next_refresh_ = now + options_.refresh_s;
  return std::nullopt;
}

std::optional<StorageError> Dispatcher::schedule(EpochSeconds now) {
  for (const ConcentratorRecord& c : concentrators_) {
    const std::string& station = station_names_[c.station_id];
    const std::string community = c.community_id ? community_names_[*c.community_id] : "";
    std::optional<EpochSeconds> due;
    bool settlement = false;
    std::vector<const Schedule*> scope;
    for (const Schedule& s : options_.schedules) {
      if (!in_scope(s, station, community)) continue;
      scope.push_back(&s);
      const EpochSeconds slot = current_slot(s, now, options_.utc_offset_s);
      if (!within_window(s, slot, now)) continue;
      if (!due || slot > *due) {
        due = slot;
        settlement = s.settlement;
      } else if (slot == *due) {
        settlement = settlement || s.settlement;
      }
    }
    if (backfilled_.insert(c.id).second) {
      if (auto e = backfill(c, scope, due, now)) return e;
    }
    // The slot due before is over (a new one began, or its window closed): missed unless its
    // cycle ran.
    auto& [last, last_settlement] = last_slot_[c.id];
    if (last != 0 && (!due || last != *due)) {
      if (auto e = miss_unless_run(c, last, last_settlement, now)) return e;
    }
    last = due.value_or(0);
    last_settlement = settlement;
    if (!due) continue;
    const auto key = std::make_pair(c.id, *due);
    const auto attempt = attempts_.find(key);
    if (attempt != attempts_.end() && attempt->second > now) continue;
    if (!online_(c.dtu_id)) continue;
    const CycleClaim claim{c.id, *due, settlement, options_.master};
    auto claimed = storage_.claim_cycle(claim, now, options_.lease_s);
    if (auto* e = std::get_if<StorageError>(&claimed)) return *e;
    if (!std::get<bool>(claimed)) {
      attempts_[key] = now + options_.claim_retry_s;  // another master's: look again later
      continue;
    }
    attempts_[key] = kNever;
    Work work;
    work.scheduled = true;
    work.request.concentrator = c;
    work.request.slot = *due;
    work.request.settlement = settlement;
    work.request.skip_already_read = true;
    // The slot's time is up when the next slot of any schedule reading the concentrator begins.
    EpochSeconds& end = work.request.slot_end;
    end = kNever;
    for (const Schedule* s : scope)
      end = std::min(end, next_slot(*s, current_slot(*s, *due, options_.utc_offset_s)));
    pending_[c.id].push_back(std::move(work));
  }
  // Forget slots long gone.
  for (auto it = attempts_.begin(); it != attempts_.end();) {
    it = it->first.second < now - 3 * 86400 ? attempts_.erase(it) : std::next(it);
  }
  return std::nullopt;
}

std::optional<StorageError> Dispatcher::miss_unless_run(const ConcentratorRecord& c,
                                                        EpochSeconds slot, bool settlement,
                                                        EpochSeconds now) {
  const auto key = std::make_pair(c.id, slot);
  bool queued = false;  // claimed here and waiting: it will not begin in its slot now
  if (const auto q = pending_.find(c.id); q != pending_.end()) {
    const auto n = std::erase_if(
        q->second, [slot](const Work& w) { return w.scheduled && w.request.slot == slot; });
    queued = n > 0;
  }
  const auto attempt = attempts_.find(key);
  if (!queued && attempt != attempts_.end() && attempt->second == kNever) return std::nullopt;
  attempts_[key] = kNever;
  return record_missed(c, slot, settlement, now,
                       queued ? "its cycle waited behind one that overran"
                              : "its cycle did not run in it (the DTU away, or cut off)");
}

// Slots of the concentrator that ended while this master did not run (it was restarted, or
// down for hours): each is missed unless a cycle ran in it - another master's, or this one's
// before it stopped (one it left unfinished is missed) - and a midnight among them is settled
// after the next cycle. Looked at once, from the newest slot the database holds for the
// concentrator, a day back at most.
std::optional<StorageError> Dispatcher::backfill(const ConcentratorRecord& c,
                                                 const std::vector<const Schedule*>& scope,
                                                 std::optional<EpochSeconds> due,
                                                 EpochSeconds now) {
  auto latest = storage_.latest_cycle_slot(c.id);
  if (auto* e = std::get_if<StorageError>(&latest)) return *e;
  const auto& newest = std::get<std::optional<EpochSeconds>>(latest);
  if (!newest) return std::nullopt;  // never read: nothing was owed before this master
  const EpochSeconds from = std::max(*newest, now - 86400);
  const EpochSeconds until = due.value_or(now);  // the slot due now is not over
  std::map<EpochSeconds, bool> over;             // slot -> settlement
  for (const Schedule* s : scope) {
    EpochSeconds slot = current_slot(*s, from, options_.utc_offset_s);
    if (slot < from) slot = next_slot(*s, slot);
    for (; slot < until; slot = next_slot(*s, slot)) over[slot] = over[slot] || s->settlement;
  }
  for (const auto& [slot, settlement] : over) {
    attempts_[{c.id, slot}] = kNever;
    if (auto e = record_missed(c, slot, settlement, now, "no master ran in it")) return e;
  }
  return std::nullopt;
}

// Keeps a slot missed, unless another master holds it or its cycle ran; reports it so.
std::optional<StorageError> Dispatcher::record_missed(const ConcentratorRecord& c,
                                                      EpochSeconds slot, bool settlement,
                                                      EpochSeconds now, const std::string& why) {
  auto marked = storage_.miss_cycle({c.id, slot, settlement, options_.master}, now);
  if (auto* e = std::get_if<StorageError>(&marked)) return *e;
  if (!std::get<bool>(marked)) return std::nullopt;  // another master's, or read in time
  auto meters = storage_.meters_of(c.id);
  if (auto* e = std::get_if<StorageError>(&meters)) return *e;
  CycleStats s;
  s.concentrator_id = c.id;
  s.concentrator = c.name;
  s.slot = slot;
  s.settlement = settlement;
  s.started_at = s.finished_at = now;
  s.meters = std::get<std::vector<MeterRecord>>(meters).size();
  s.missed = true;
  ++cycles_missed_;
  report_(s);
  log_("the slot " + std::to_string(slot) + " of " + c.name + " was missed: " + why);
  // The day is still settled, from the readings around its midnight, once there are some.
  if (settlement) unsettled_[c.id].push_back(slot);
  return std::nullopt;
}

bool Dispatcher::conflicted(const std::string& dtu_id) const {
  return conflicted_ && !dtu_id.empty() && conflicted_(dtu_id);
}

void Dispatcher::start_pending() {
  std::vector<std::int64_t> ready;
  for (auto& [id, queue] : pending_) {
    // A manual read waits for no cycle: it runs between two of the cycle's meters.
    while (!queue.empty() && !queue.front().scheduled && !queue.front().background() &&
           engine_.busy(id)) {
      Work work = queue.front();
      work.request.require_identity = conflicted(work.request.concentrator.dtu_id);
      if (!engine_.interject(work.request, [this, work](const CycleStats& stats) {
            --running_;
            finished(work, stats);
          }))
        break;
      ++running_;  // done comes later: an interjection waits for the cycle's current meter
      queue.pop_front();
    }
    if (!queue.empty() && !engine_.busy(id)) ready.push_back(id);
    // A background slice under way gives the bus up to a slot's cycle or a job after its
    // next step; another background job waits for the planned end of the slice.
    if (engine_.busy(id) &&
        std::any_of(queue.begin(), queue.end(), [](const Work& w) { return !w.background(); }))
      engine_.make_way(id);
  }
  std::erase_if(pending_, [](const auto& entry) { return entry.second.empty(); });
  for (const std::int64_t id : ready) {
    auto& queue = pending_[id];
    if (queue.empty() || engine_.busy(id)) continue;
    Work work = std::move(queue.front());
    queue.pop_front();
    if (queue.empty()) pending_.erase(id);
    work.request.require_identity = conflicted(work.request.concentrator.dtu_id);
    if (!online_(work.request.concentrator.dtu_id)) {  // went offline while queued
      if (work.scheduled) {
        attempts_[{id, work.request.slot}] = now_() + options_.resume_after_s;
      } else if (now_() < work.deadline) {
        pending_[id].push_front(std::move(work));  // a job waits for the DTU's next session
      } else {
        job_part_done(work.job, work.request.concentrator.name, nullptr);
      }
      continue;
    }
    ++running_;
    const bool started = engine_.read(work.request, [this, work](const CycleStats& stats) {
      --running_;
      finished(work, stats);
      start_pending();
    });
    if (!started) {  // a cycle of it is running after all: try again at the next tick
      --running_;
      pending_[id].push_front(std::move(work));
    }
  }
}

void Dispatcher::finished(const Work& work, const CycleStats& stats) {
  ++cycles_done_;
  CycleStats reported = stats;
  reported.job = work.job;
  report_(reported);
  if (stats.overrun_s > 0) {
    log_("the cycle of " + stats.concentrator + " for slot " + std::to_string(stats.slot) +
         " overran its slot by " + std::to_string(stats.overrun_s) + " s");
  }
  const EpochSeconds now = now_();
  if (!work.scheduled) {
    if (background_slice_done(work, stats)) return;
    if (const auto job = jobs_.find(work.job); job != jobs_.end()) ++job->second.attempts;
    if (!stats.error.empty() && now < work.deadline) {
      // The line was lost under the job (a reconnect, a session replaced by the DTU's new
      // one): again, on the DTU's next session.
      log_("read job " + std::to_string(work.job) + ": " + stats.concentrator + ": " + stats.error +
           "; trying again on the DTU's next session");
      resume_background(work);
      interrupted_.push_back(work);  // not at once: a line that fails at once would spin
      return;
    }
    return job_part_done(work.job, stats.concentrator, &stats);
  }
  const CycleClaim claim{stats.concentrator_id, stats.slot, stats.settlement, options_.master};
  if (!stats.error.empty()) {
    // The line or the database failed: resume the slot later, skipping what was stored.
    attempts_[{stats.concentrator_id, stats.slot}] = now + options_.resume_after_s;
    return;
  }
  auto done = storage_.finish_cycle(claim, now, stats.read, stats.failed);
  if (auto* e = std::get_if<StorageError>(&done)) log_(e->message);
  // Midnights whose settlement cycle was missed: this cycle's readings come after them.
  std::vector<EpochSeconds> midnights;
  if (const auto missed = unsettled_.find(stats.concentrator_id); missed != unsettled_.end()) {
    midnights = std::move(missed->second);
    unsettled_.erase(missed);
  }
  if (stats.settlement) midnights.push_back(stats.slot);
  for (const EpochSeconds midnight : midnights) settle_day(stats, midnight, now);
}

void Dispatcher::settle_day(const CycleStats& stats, EpochSeconds midnight, EpochSeconds now) {
  auto settled = settle(storage_, stats.concentrator_id, midnight, now, options_.consumption);
  if (auto* e = std::get_if<StorageError>(&settled)) {
    log_("settlement of " + stats.concentrator + ": " + e->message);
    return;
  }
  const auto& s = std::get<SettlementOutcome>(settled);
  log_("settled " + stats.concentrator + " at " + std::to_string(midnight) + ": " +
       std::to_string(s.snapshots) + " snapshots, " + std::to_string(s.aggregates) +
       " aggregates, " + std::to_string(s.rollups) + " roll-ups");
}

}  // namespace heatlink::master
