// The dispatcher's read jobs: manual reads, valve commands, archive reads, and the background
// jobs of commissioning - a secondary scan, an archive write - which run in slices that leave
// the schedule its slots, store their progress after each, and carry on where they stopped,
// in a master restarted under the same name too.
#include <nlohmann/json.hpp>

#include "cycle_json.h"
#include "heatlink/master/engine/archived_meter.h"
#include "heatlink/master/engine/dispatcher.h"

namespace heatlink::master {

namespace {

using Json = nlohmann::ordered_json;
namespace hm660 = protocol::hm660;
namespace mbus = protocol::mbus;

bool background(const std::string& kind) {
  return kind == "scan" || kind == "archive_write";
}

// What a job stored of itself: its progress after its last slice (an object, maybe empty).
Json stored_detail(const ReadJob& job) {
  Json detail = Json::parse(job.detail, nullptr, false);
  return detail.is_object() ? detail : Json::object();
}

// Names the list of entries an archive write writes, so that a resumed write knows whether the
// base information changed meanwhile (FNV-1a over the entries as the concentrator gets them).
std::string fingerprint(const std::vector<hm660::ArchiveEntry>& entries) {
  std::vector<std::uint8_t> bytes;
  for (const hm660::ArchiveEntry& e : entries) hm660::encode_entry(e, bytes);
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const std::uint8_t b : bytes) hash = (hash ^ b) * 0x100000001b3ULL;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int shift = 60; shift >= 0; shift -= 4) out += kHex[(hash >> shift) & 0xF];
  return out;
}

// Where the archive read back after a write differs from what was written ("" when nowhere).
std::string archive_difference(const std::vector<hm660::ArchiveEntry>& written,
                               const std::vector<hm660::ArchiveEntry>& read) {
  for (std::size_t i = 0; i < std::min(written.size(), read.size()); ++i) {
    if (!written[i].same_meter(read[i]))
      return "entry " + std::to_string(i) + " read back is not the meter written there";
  }
  if (written.size() != read.size())
    return "the archive holds " + std::to_string(read.size()) + " entries, not the " +
           std::to_string(written.size()) + " written";
  return "";
}

}  // namespace

std::optional<StorageError> Dispatcher::poll_jobs(EpochSeconds now) {
  if (now < next_job_poll_) return std::nullopt;
  next_job_poll_ = now + 1;
  // Jobs this master claimed and holds no more: a previous run of it stopped in them.
  auto running = storage_.running_read_jobs(options_.master);
  if (auto* e = std::get_if<StorageError>(&running)) return *e;
  for (const ReadJob& job : std::get<std::vector<ReadJob>>(running)) {
    if (jobs_.count(job.id) > 0) continue;
    if (auto e = take_job(job, now, true)) return e;
  }
  if (auto e = keep_jobs(now)) return e;
  auto queued = storage_.queued_read_jobs();
  if (auto* e = std::get_if<StorageError>(&queued)) return *e;
  for (const ReadJob& job : std::get<std::vector<ReadJob>>(queued)) {
    if (auto e = take_job(job, now, false)) return e;
  }
  return std::nullopt;
}

// Says this master is alive in its running jobs, and takes over those of a master that was
// not for a job lease: they carry on as a restart of their master would carry them on.
std::optional<StorageError> Dispatcher::keep_jobs(EpochSeconds now) {
  if (now < next_job_lease_) return std::nullopt;
  next_job_lease_ = now + std::max<EpochSeconds>(1, options_.job_lease_s / 5);
  if (const auto kept = storage_.keep_read_jobs(options_.master, now);
      std::holds_alternative<StorageError>(kept))
    return std::get<StorageError>(kept);
  const EpochSeconds before = now - options_.job_lease_s;
  auto orphans = storage_.orphaned_read_jobs(options_.master, before);
  if (auto* e = std::get_if<StorageError>(&orphans)) return *e;
  for (const ReadJob& job : std::get<std::vector<ReadJob>>(orphans)) {
    auto taken = storage_.take_over_read_job(job.id, options_.master, before, now);
    if (auto* e = std::get_if<StorageError>(&taken)) return *e;
    if (!std::get<bool>(taken)) continue;  // another master was quicker
    log_("read job " + std::to_string(job.id) + " taken over from " + job.claimed_by +
         ", silent since before " + std::to_string(before));
    if (auto e = take_job(job, now, true)) return e;
  }
  return std::nullopt;
}

std::optional<StorageError> Dispatcher::take_job(const ReadJob& job, EpochSeconds now,
                                                 bool resumed) {
  // The concentrators the job reads, and for a meter which one.
  std::vector<ConcentratorRecord> targets;
  std::vector<std::int64_t> only;
  std::string unknown;
  std::optional<bool> valve;
  if (job.kind == "valve_open" || job.kind == "valve_close") valve = job.kind == "valve_open";
  if (job.kind == "meter" || valve) {
    std::int64_t id = 0;
    try {
      id = std::stoll(job.target);
    } catch (const std::exception&) {
      unknown = "no meter '" + job.target + "'";
    }
    if (unknown.empty()) {
      auto meter = storage_.meter(id);
      if (auto* e = std::get_if<StorageError>(&meter)) return *e;
      const auto& m = std::get<std::optional<MeterRecord>>(meter);
      if (!m) unknown = "no meter " + job.target;
      for (const ConcentratorRecord& c : concentrators_) {
        if (m && c.id == m->concentrator_id) targets.push_back(c);
      }
      only.push_back(id);
    }
  } else if (job.kind == "concentrator" || job.kind == "community" || job.kind == "archive" ||
             background(job.kind)) {
    for (const ConcentratorRecord& c : concentrators_) {
      const bool match = job.kind != "community"
                             ? c.name == job.target
                             : (c.community_id && community_names_[*c.community_id] == job.target);
      if (match) targets.push_back(c);
    }
    if (targets.empty()) unknown = "no " + job.kind + " '" + job.target + "'";
  } else {
    unknown = "unknown kind '" + job.kind +
              "' (meter, concentrator, community, valve_open, valve_close, archive, "
              "archive_write or scan)";
  }
  if (resumed && targets.empty() && unknown.empty())
    unknown = "no concentrator of the base information reads " + job.kind + " " + job.target;
  bool reachable = false;
  for (const ConcentratorRecord& c : targets) reachable = reachable || online_(c.dtu_id);
  const bool expired = now - job.requested_at > options_.job_timeout_s;
  if (!resumed) {
    if (unknown.empty() && !reachable && !expired) return std::nullopt;  // another master's
    auto claimed = storage_.claim_read_job(job.id, options_.master, now);
    if (auto* e = std::get_if<StorageError>(&claimed)) return *e;
    if (!std::get<bool>(claimed)) return std::nullopt;
  }
  JobProgress progress;
  progress.archive = job.kind == "archive";
  if (unknown.empty() && background(job.kind)) {
    if (auto why = prepare_background(job, progress, targets, resumed)) unknown = *why;
  }
  if (!unknown.empty() || (!reachable && !resumed)) {
    const std::string why =
        !unknown.empty() ? unknown : "no master has the DTUs of " + job.kind + " " + job.target;
    auto done = storage_.finish_read_job(job.id, "failed", Json{{"error", why}}.dump(), now);
    if (auto* e = std::get_if<StorageError>(&done)) return *e;
    ++jobs_done_;
    return std::nullopt;
  }
  progress.total.concentrator = job.kind + " " + job.target;
  progress.total.started_at = job.started_at.value_or(now);
  for (const ConcentratorRecord& c : targets) {
    // A resumed job waits for its DTUs to come back (they are reconnecting after the master's
    // restart too), until its deadline.
    if (!resumed && !online_(c.dtu_id)) {
      progress.offline.push_back(c.name);
      continue;
    }
    Work work;
    work.job = job.id;
    work.deadline =
        (resumed || background(job.kind) ? now : job.requested_at) + options_.job_timeout_s;
    work.request.concentrator = c;
    work.request.slot = now;
    work.request.only_meters = only;
    work.request.valve = valve;
    work.request.archive = progress.archive;
    work.request.scan = progress.scan;
    work.request.archive_write = progress.write;
    pending_[c.id].push_front(std::move(work));  // ahead of the schedule
    ++progress.remaining;
  }
  log_("read job " + std::to_string(job.id) + (resumed ? " resumed: " : ": ") + job.kind + " " +
       job.target + ", " + std::to_string(progress.remaining) + " concentrator(s)");
  jobs_[job.id] = std::move(progress);
  return std::nullopt;
}

// A scan or an archive write, from its start or - resumed - from the progress it stored.
// Why it cannot run, if it cannot.
std::optional<std::string> Dispatcher::prepare_background(
    const ReadJob& job, JobProgress& progress, const std::vector<ConcentratorRecord>& targets,
    bool resumed) {
  const Json stored = resumed ? stored_detail(job) : Json::object();
  if (job.kind == "scan") {
    progress.scan = std::make_shared<mbus::SecondaryScan>();
    const Json& at = stored.contains("scan") ? stored["scan"] : Json::object();
    mbus::SecondaryScan::Checkpoint checkpoint;
    checkpoint.cursor = at.value("cursor", "");
    checkpoint.probes = at.value("probes", std::size_t{0});
    if (stored.contains("found") && stored["found"].is_array()) {
      for (const Json& a : stored["found"]) {
        const auto address =
            mbus::SecondaryAddress::parse(a.is_string() ? a.get<std::string>() : "");
        if (address) checkpoint.found.push_back(*address);
      }
    }
    progress.slices = at.value("slices", 0u);
    if (!checkpoint.cursor.empty() && progress.scan->restore(checkpoint)) {
      progress.scan->resume(options_.scan_slice_probes);
    } else {
      progress.slices = 0;  // nothing to carry on from: from the start
      progress.scan->pause_after(options_.scan_slice_probes);
    }
    return std::nullopt;
  }
  // An archive write: the concentrator's meters of the base information.
  auto meters = storage_.meters_of(targets.front().id);
  if (auto* e = std::get_if<StorageError>(&meters)) return e->message;
  std::vector<hm660::ArchiveEntry> entries;
  std::string why;
  for (const MeterRecord& m : std::get<std::vector<MeterRecord>>(meters)) {
    auto entry = archive_entry(m);
    if (auto* e = std::get_if<hm660::ArchiveEntry>(&entry)) {
      entries.push_back(*e);
    } else if (why.empty()) {
      why = std::get<std::string>(entry);
    }
  }
  if (!why.empty()) return "the archive cannot be written: " + why;
  progress.fingerprint = fingerprint(entries);
  const Json& at = stored.contains("archive_write") ? stored["archive_write"] : Json::object();
  std::size_t written = 0;
  if (at.value("fingerprint", "") == progress.fingerprint) {
    written = at.value("written", std::size_t{0});
    progress.slices = at.value("slices", 0u);
  }
  progress.write = std::make_shared<hm660::ArchiveWrite>(std::move(entries), written);
  progress.write->pause_after(options_.archive_slice_frames);
  return std::nullopt;
}

// The progress of a background job, into its detail.
void Dispatcher::add_progress(const JobProgress& p, bool done, Json& detail) const {
  if (p.scan) {
    const auto checkpoint = p.scan->checkpoint();
    Json found = Json::array();
    for (const auto& a : checkpoint.found) found.push_back(a.to_string());
    detail["scan"] = {{"probes", checkpoint.probes}, {"rewinds", p.scan->rewinds()},
                      {"found", found.size()},       {"slices", p.slices},
                      {"cursor", checkpoint.cursor}, {"done", done}};
    detail["found"] = found;
  }
  if (p.write) {
    detail["archive_write"] = {{"entries", p.write->entries().size()},
                               {"written", p.write->written()},
                               {"slices", p.slices},
                               {"restarts", p.write->restarts()},
                               {"fingerprint", p.fingerprint},
                               {"done", done}};
  }
}

// A background job's slice that paused: its progress goes into the job, and the rest waits
// behind whatever the concentrator has queued - the schedule's cycles first.
bool Dispatcher::background_slice_done(const Work& work, const CycleStats& stats) {
  const auto job = jobs_.find(work.job);
  if (!work.background() || job == jobs_.end() || !stats.error.empty()) return false;
  ++job->second.slices;
  const auto& scan = work.request.scan;
  if (!(scan ? scan->paused() : work.request.archive_write->paused())) return false;
  Json progress = Json::object();
  add_progress(job->second, false, progress);
  auto reported = storage_.report_read_job(work.job, progress.dump());
  if (auto* e = std::get_if<StorageError>(&reported)) log_(e->message);
  resume_background(work);
  Work rest = work;
  rest.deadline = now_() + options_.job_timeout_s;  // a slice's time, not the whole job's
  yielded_.push_back(std::move(rest));  // queued at the next tick, after what it schedules
  return true;
}

// A background job's procedure carries on where it paused or its line was lost.
void Dispatcher::resume_background(const Work& work) const {
  if (work.request.scan) work.request.scan->resume(options_.scan_slice_probes);
  if (work.request.archive_write) work.request.archive_write->resume(options_.archive_slice_frames);
}

void Dispatcher::job_part_done(std::int64_t job, const std::string& concentrator,
                               const CycleStats* stats) {
  const auto it = jobs_.find(job);
  if (it == jobs_.end()) return;
  JobProgress& p = it->second;
  if (stats == nullptr) {
    p.offline.push_back(concentrator);
  } else {
    p.total.meters += stats->meters;
    p.total.read += stats->read;
    p.total.failed += stats->failed;
    p.total.stored += stats->stored;
    p.total.failed_meters.insert(p.total.failed_meters.end(), stats->failed_meters.begin(),
                                 stats->failed_meters.end());
    p.total.valves_set += stats->valves_set;
    p.total.archive.insert(p.total.archive.end(), stats->archive.begin(), stats->archive.end());
    p.total.found.insert(p.total.found.end(), stats->found.begin(), stats->found.end());
    if (!stats->error.empty()) p.errors.push_back(concentrator + ": " + stats->error);
    if (!stats->valve_error.empty()) p.errors.push_back(concentrator + ": " + stats->valve_error);
    if (p.write && stats->error.empty()) {
      const std::string difference = archive_difference(p.write->entries(), stats->archive);
      if (!difference.empty()) p.errors.push_back(concentrator + ": " + difference);
    }
  }
  if (--p.remaining > 0) return;
  const EpochSeconds now = now_();
  p.total.finished_at = now;
  Json detail = cycle_json(p.total);
  detail.erase("segments");
  if (!p.offline.empty()) detail["offline"] = p.offline;
  if (!p.errors.empty()) detail["errors"] = p.errors;
  detail["attempts"] = p.attempts;
  const bool ok =
      p.errors.empty() && p.offline.empty() && (p.total.read > 0 || p.archive || p.scan || p.write);
  add_progress(p, ok, detail);
  if (p.write) detail["archive_write"]["verified"] = ok;
  auto done = storage_.finish_read_job(job, ok ? "done" : "failed", detail.dump(), now);
  if (auto* e = std::get_if<StorageError>(&done)) log_(e->message);
  jobs_.erase(it);
  ++jobs_done_;
}

}  // namespace heatlink::master
