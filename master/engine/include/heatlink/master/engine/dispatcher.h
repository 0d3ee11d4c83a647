// The dispatcher decides what the reading engine reads next: the cycles the schedules make
// due, claimed per concentrator and slot in the database (so that masters sharing it, or a
// master restarted after a kill -9, never read a concentrator twice in a slot and do finish
// what was begun), and the manual reads queued as read jobs, which go ahead of scheduled work.
// After a settlement cycle it settles the day. It runs on an injected clock: call tick()
// every second or so, on the engine's thread.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "heatlink/master/analysis/consumption.h"
#include "heatlink/master/engine/reading_engine.h"
#include "heatlink/master/engine/schedule.h"
#include "heatlink/master/storage/storage.h"

namespace heatlink::master {

struct DispatcherOptions {
  std::string master = "master";  // this master's name in claims
  std::vector<Schedule> schedules = default_schedules();
  int utc_offset_s = 8 * 3600;
  EpochSeconds lease_s = 2 * 3600;   // a claim unfinished this long may be taken over
  EpochSeconds resume_after_s = 60;  // a cycle stopped by a lost line resumes after this
  EpochSeconds claim_retry_s = 300;  // another master's claim is looked at again after this
  // A manual read no master can reach fails this long after it was asked for; one whose line
  // was lost (a reconnect, a session replaced) is tried again on the DTU's next session until
  // then.
  EpochSeconds job_timeout_s = 600;
  // A master says it is alive in its running jobs every fifth of this; the running jobs of a
  // master silent for longer (it died for good, or lost the database) are taken over by
  // another and carry on where they stopped (its restart under the same name takes them too).
  EpochSeconds job_lease_s = 300;
  EpochSeconds refresh_s = 60;  // the base information is reloaded this often
  // The background jobs of commissioning run in slices, between which the concentrator's
  // scheduled cycles go first, so a scan of hours misses no slot: a secondary scan (a read job
  // of kind scan) in slices of this many selections, an archive write (archive_write) of this
  // many frames of 15 entries. A slice ends after its next step when a slot's cycle or
  // another job waits for the concentrator (ReadingEngine::make_way).
  std::size_t scan_slice_probes = 40;
  std::size_t archive_slice_frames = 8;
  ConsumptionOptions consumption;
};

class Dispatcher {
 public:
  // Whether a DTU is connected to this master.
  using Online = std::function<bool(const std::string& dtu_id)>;
  using Report = std::function<void(const CycleStats& stats)>;
  using Log = std::function<void(const std::string& line)>;

  Dispatcher(Storage& storage, ReadingEngine& engine, Online online, ReadingEngine::Now now,
             DispatcherOptions options, Report report, Log log);

  // Starts what is due. An error means the database failed; the next tick tries again.
  std::optional<StorageError> tick();

  // Whether two devices claim a DTU's ID (docs/gateway.md): its cycles then file only answers
  // whose identity matches (CycleRequest::require_identity).
  void set_conflicted(Online conflicted) { conflicted_ = std::move(conflicted); }

  std::size_t cycles_done() const { return cycles_done_; }
  // Slots that ended without their cycle (reported with CycleStats::missed).
  std::size_t cycles_missed() const { return cycles_missed_; }
  std::size_t jobs_done() const { return jobs_done_; }
  // Cycles queued or running.
  std::size_t outstanding() const;

 private:
  struct Work {
    CycleRequest request;
    bool scheduled = false;
    EpochSeconds deadline = 0;  // a job's: tried again after a lost line until then
    std::int64_t job = 0;
    // A scan or an archive write: run in slices between the schedule's cycles.
    bool background() const { return request.scan || request.archive_write; }
  };
  struct JobProgress {
    std::size_t remaining = 0;
    CycleStats total;
    std::vector<std::string> offline;
    std::vector<std::string> errors;
    unsigned attempts = 0;  // cycles run for the job, a lost line's tried again included
    bool archive = false;   // an archive read: done without reading a meter
    // The background jobs' procedures, across their slices.
    std::shared_ptr<protocol::mbus::SecondaryScan> scan;
    std::shared_ptr<protocol::hm660::ArchiveWrite> write;
    std::string fingerprint;  // of the entries written: a resumed write checks it
    unsigned slices = 0;
  };

  std::optional<StorageError> refresh(EpochSeconds now);
  std::optional<StorageError> poll_jobs(EpochSeconds now);
  std::optional<StorageError> keep_jobs(EpochSeconds now);
  // A queued job; or, `resumed`, one this master was running when it stopped (a restart):
  // taken again without a claim, a background job from the progress it stored.
  std::optional<StorageError> take_job(const ReadJob& job, EpochSeconds now, bool resumed);
  std::optional<std::string> prepare_background(const ReadJob& job, JobProgress& progress,
                                                const std::vector<ConcentratorRecord>& targets,
                                                bool resumed);
  std::optional<StorageError> schedule(EpochSeconds now);
  std::optional<StorageError> miss_unless_run(const ConcentratorRecord& c, EpochSeconds slot,
                                              bool settlement, EpochSeconds now);
  std::optional<StorageError> backfill(const ConcentratorRecord& c,
                                       const std::vector<const Schedule*>& scope,
                                       std::optional<EpochSeconds> due, EpochSeconds now);
  std::optional<StorageError> record_missed(const ConcentratorRecord& c, EpochSeconds slot,
                                            bool settlement, EpochSeconds now,
                                            const std::string& why);
  void settle_day(const CycleStats& stats, EpochSeconds midnight, EpochSeconds now);
  bool conflicted(const std::string& dtu_id) const;
  void start_pending();
  void finished(const Work& work, const CycleStats& stats);
  void job_part_done(std::int64_t job, const std::string& concentrator, const CycleStats* stats);
  bool background_slice_done(const Work& work, const CycleStats& stats);
  void resume_background(const Work& work) const;  // for its next slice
  void add_progress(const JobProgress& progress, bool done, nlohmann::ordered_json& detail) const;

  Storage& storage_;
  ReadingEngine& engine_;
  Online online_;
  Online conflicted_;
  ReadingEngine::Now now_;
  DispatcherOptions options_;
  Report report_;
  Log log_;

  std::vector<ConcentratorRecord> concentrators_;
  std::map<std::int64_t, std::string> station_names_;
  std::map<std::int64_t, std::string> community_names_;
  EpochSeconds next_refresh_ = 0;
  EpochSeconds next_job_poll_ = 0;
  EpochSeconds next_job_lease_ = 0;  // when this master next says it is alive in its jobs
  // (concentrator, slot) -> when to look at it again; never again once finished here.
  std::map<std::pair<std::int64_t, EpochSeconds>, EpochSeconds> attempts_;
  // The slot each concentrator was last due for (and whether it settles): when the next one
  // begins, it is missed unless its cycle ran.
  std::map<std::int64_t, std::pair<EpochSeconds, bool>> last_slot_;
  std::set<std::int64_t> backfilled_;  // concentrators whose slots before this run were looked at
  // Midnights whose settlement cycle was missed: settled after the next cycle that runs.
  std::map<std::int64_t, std::vector<EpochSeconds>> unsettled_;
  std::map<std::int64_t, std::deque<Work>> pending_;  // by concentrator
  std::vector<Work> interrupted_;  // jobs whose line was lost: queued again at the next tick
  std::vector<Work> yielded_;  // background jobs between two slices: queued at the next tick, last
  std::size_t running_ = 0;
  std::map<std::int64_t, JobProgress> jobs_;
  std::size_t cycles_done_ = 0;
  std::size_t cycles_missed_ = 0;
  std::size_t jobs_done_ = 0;
};

// The statistics of a cycle, or of a manual read, in JSON.
std::string stats_json(const CycleStats& stats);

}  // namespace heatlink::master
