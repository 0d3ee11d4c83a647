// The reading engine: a cycle reads the meters of a concentrator, one request at a time on
// its line (the DTU's serial side), and turns the answers into readings; failed meters get
// another pass at the end; concentrators are read in parallel. Readings of all running
// cycles are stored together (group commit): when `batch` of them wait, when the oldest has
// waited `flush_after_s` (flush_due(), called every second), and when a cycle ends - large
// transactions under load, and a kill -9 loses only what waited, which a resumed cycle reads
// again. It knows
// neither sockets nor clocks: procedures run through an injected function (the gateway's
// run() live; an in-process bus in tests) and the time comes from an injected function
// (DESIGN.md rule 2).
//
// Not thread-safe: call it, and let its callbacks run, on one thread (the gateway's
// io_context thread in `heatlink master`).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "heatlink/master/link/link_driver.h"
#include "heatlink/master/storage/storage.h"
#include "heatlink/protocol/hm660_procedures.h"
#include "heatlink/protocol/link.h"
#include "heatlink/protocol/mbus_procedures.h"

namespace heatlink::master {

class FaultMonitor;

// What a cycle reads: a concentrator's meters, all or some, for a slot of a schedule or for a
// manual read.
struct CycleRequest {
  ConcentratorRecord concentrator;
  EpochSeconds slot = 0;                  // the scheduled time the cycle belongs to
  EpochSeconds slot_end = 0;              // a scheduled cycle's: when the next slot begins
  bool settlement = false;                // carried to the statistics
  bool skip_already_read = false;         // skip meters with a reading received since `slot` (a
                                          // resumed cycle after a restart or a lost line)
  std::vector<std::int64_t> only_meters;  // empty: every meter of the concentrator
  // A valve command: each CJ/T 188 meter of `only_meters` is sent open (true) or closed
  // (false), the valve's arrival confirmed from the meter's status, then the meter is read.
  std::optional<bool> valve;
  // Read the concentrator's meter archive (HM-660 A3) instead of its meters: reconciliation
  // of the archive against the base information.
  bool archive = false;
  // Run (a slice of) this wildcard secondary scan of the concentrator's bus instead of reading
  // its meters: commissioning, yielding to the schedule between slices (Dispatcher).
  std::shared_ptr<protocol::mbus::SecondaryScan> scan;
  // Run (a slice of) this write of the concentrator's HM-660 archive instead of reading its
  // meters: commissioning, yielding to the schedule like a scan. Once every entry is written
  // the archive is read back into CycleStats::archive, the proof of what it holds.
  std::shared_ptr<protocol::hm660::ArchiveWrite> archive_write;
  // File nothing whose identity cannot be checked: the DTU's ID is claimed by two devices, so
  // an answer may come from another district. A meter whose identity is not on file, or a
  // telegram that carries none, is kept aside like a mismatch.
  bool require_identity = false;
};

// One M-Bus segment (an HM-660 channel) in a cycle.
struct SegmentStats {
  std::size_t meters = 0;
  std::size_t read = 0;
  std::size_t failed = 0;
};

struct CycleStats {
  std::int64_t concentrator_id = 0;
  std::string concentrator;
  EpochSeconds slot = 0;
  bool settlement = false;
  std::int64_t job = 0;  // the read job it serves (0: a scheduled cycle)
  EpochSeconds started_at = 0;
  EpochSeconds finished_at = 0;
  std::size_t meters = 0;   // to read in this cycle
  std::size_t skipped = 0;  // already read in the slot: not read again
  std::size_t read = 0;     // answered (and stored, unless `unstored` says otherwise)
  std::size_t failed = 0;   // no answer, garbled, refused, or an answer without registers
  // Of the failed: answered with another meter's identity (kept aside as unassigned readings).
  std::size_t mismatched = 0;
  // Of the failed: answers whose register rose faster than any heat meter's could (forged or
  // corrupted), kept aside as unassigned readings, register_jump raised.
  std::size_t implausible = 0;
  std::size_t stored = 0;  // readings committed (new, or stored before: a re-read)
  // Readings the database refused to store (a full disk, the database down): their meters
  // answered (they are in `read`); the cycle then stops, and the meters it did not reach are
  // `not_asked`, not failed - the storage failed, not the meters.
  std::size_t unstored = 0;
  std::size_t not_asked = 0;
  bool storage_failed = false;
  std::size_t retried = 0;     // failed meters tried again at the end of the cycle
  std::size_t clock_set = 0;   // meter clocks set because they drifted
  std::size_t valves_set = 0;  // valve commands the meters confirmed
  std::string valve_error;     // a valve command refused or not confirmed
  // Read by an archive request, or read back after an archive write.
  std::vector<protocol::hm660::ArchiveEntry> archive;
  std::vector<std::string> found;  // a scan's: every secondary address found so far
  std::vector<std::int64_t> failed_meters;
  std::map<std::uint8_t, SegmentStats> segments;  // by channel
  std::string error;  // the line or the storage failed: the cycle stopped early
  // A scheduled cycle that finished after the next slot of its concentrator began
  // (CycleRequest::slot_end): by how much (0: in time).
  EpochSeconds overrun_s = 0;
  // Of the read, answered after the slot ended: they count for the slot they were taken in
  // (whose cycle skips them as read already), not for this one.
  std::size_t late = 0;
  // The slot ended and its cycle did not run in it (the DTU away the whole slot, queued behind
  // a cycle that overran, cut off and not resumed): nothing was read for it.
  bool missed = false;
  // The meters read for the slot itself.
  double success_rate() const {
    return meters == 0 ? (missed ? 0.0 : 1.0)
                       : static_cast<double>(read - late) / static_cast<double>(meters);
  }
};

struct EngineOptions {
  unsigned retries = 3;              // per request
  unsigned failed_meter_passes = 1;  // the cycle's failed meters are tried again this often
  std::size_t batch = 50000;         // readings stored together at most
  EpochSeconds flush_after_s = 1;    // a reading waits no longer to be stored
  bool keep_raw = false;             // store each telegram with its reading
  int meter_utc_offset_s = 8 * 3600;
  EpochSeconds clock_sync_threshold_s = 0;  // set a meter's clock drifting more (0: off)
};

class ReadingEngine {
 public:
  using Done = std::function<void(const IoStatus& status)>;
  // Runs a procedure on the line behind a DTU and calls back once it has ended.
  using RunProcedure = std::function<void(
      const std::string& dtu_id, std::shared_ptr<protocol::link::Procedure> procedure, Done done)>;
  using Now = std::function<EpochSeconds()>;

  // `storage` (and `monitor`, when given) must outlive the engine.
  ReadingEngine(Storage& storage, RunProcedure run, Now now, EngineOptions options = {},
                FaultMonitor* monitor = nullptr);

  // Starts a cycle unless one of the concentrator is running; `done` gets its statistics.
  // Returns false when a cycle of it is already running.
  bool read(const CycleRequest& request, std::function<void(const CycleStats&)> done);
  bool read_concentrator(const ConcentratorRecord& concentrator,
                         std::function<void(const CycleStats&)> done);
  bool busy(std::int64_t concentrator_id) const { return cycles_.count(concentrator_id) > 0; }
  // A manual read or valve command (`only_meters`) for a concentrator whose transparent cycle
  // is running: served before the cycle's next meter, then the cycle goes on. False when it
  // cannot be (no cycle, or one that collects or reads the archive): start it with read().
  bool interject(const CycleRequest& request, std::function<void(const CycleStats&)> done);
  // Work waits for a concentrator busy with a background slice (a scan's or an archive
  // write's): the slice ends after its next step instead of its planned length. False when
  // the concentrator runs no such slice.
  bool make_way(std::int64_t concentrator_id);
  // Stores the waiting readings if the oldest has waited long enough.
  void flush_due();
  // Called with each batch of readings once the database took it (live updates).
  void on_stored(std::function<void(std::span<const Reading> readings)> stored) {
    stored_ = std::move(stored);
  }

 private:
  struct Cycle;
  bool start(const CycleRequest& request, std::function<void(const CycleStats&)> done, bool nested);
  void run_interjection(const std::shared_ptr<Cycle>& cycle);
  void next(const std::shared_ptr<Cycle>& cycle);
  void record(const std::shared_ptr<Cycle>& cycle, const MeterRecord& meter,
              std::variant<Reading, std::string> reading);
  // An answer with another identity than the meter's: kept aside, the meter's fault raised.
  void mismatch(const std::shared_ptr<Cycle>& cycle, const MeterRecord& meter,
                const std::string& answered, std::variant<Reading, std::string> reading);
  void keep_aside(const std::shared_ptr<Cycle>& cycle, const MeterRecord& meter,
                  const std::string& answered, const Reading* reading);
  // A reading that cannot be the meter's (FaultMonitor::implausible): kept aside, the fault
  // raised; true when it was.
  bool kept_out(const std::shared_ptr<Cycle>& cycle, const MeterRecord& meter,
                const Reading& reading);
  void sync_clock(const std::shared_ptr<Cycle>& cycle, const MeterRecord& meter);
  void command_valve(const std::shared_ptr<Cycle>& cycle, const MeterRecord& meter);
  // Concentrator mode: the archive, then the buffered readings, matched to the meters.
  void collect(const std::shared_ptr<Cycle>& cycle);
  void read_archive(const std::shared_ptr<Cycle>& cycle);
  void scan(const std::shared_ptr<Cycle>& cycle);
  void write_archive(const std::shared_ptr<Cycle>& cycle);
  void collected(const std::shared_ptr<Cycle>& cycle,
                 const std::vector<protocol::hm660::ArchiveEntry>& archive,
                 const std::vector<protocol::hm660::BufferedReading>& readings);
  void keep(const std::shared_ptr<Cycle>& cycle, Reading reading);
  void flush();
  void line_failed(const std::shared_ptr<Cycle>& cycle, const IoStatus& io, bool meter_unanswered);
  void finish(const std::shared_ptr<Cycle>& cycle);

  Storage& storage_;
  RunProcedure run_;
  Now now_;
  EngineOptions options_;
  FaultMonitor* monitor_;
  std::function<void(std::span<const Reading>)> stored_;
  std::map<std::int64_t, std::shared_ptr<Cycle>> cycles_;
  std::vector<Reading> waiting_;                    // read, not yet stored
  std::vector<std::shared_ptr<Cycle>> waiting_of_;  // the cycle of each
  EpochSeconds waiting_since_ = 0;
};

}  // namespace heatlink::master
