// The reading engine: a cycle reads every meter of a concentrator, one request at a time on
// its line (the DTU's serial side), turns the answers into readings and stores them as one
// batch; concentrators are read in parallel. It knows neither sockets nor clocks: procedures
// run through an injected function (the gateway's run() live; an in-process bus in tests)
// and the time comes from an injected function (DESIGN.md rule 2).
//
// Not thread-safe: call it, and let its callbacks run, on one thread (the gateway's
// io_context thread in `heatlink master`).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "heatlink/master/link_driver.h"
#include "heatlink/master/storage.h"
#include "heatlink/protocol/link.h"

namespace heatlink::master {

struct CycleStats {
  std::int64_t concentrator_id = 0;
  std::string concentrator;
  EpochSeconds started_at = 0;
  EpochSeconds finished_at = 0;
  std::size_t meters = 0;
  std::size_t read = 0;    // answered and stored (or already stored: a re-read)
  std::size_t failed = 0;  // no answer, garbled, refused, or an answer without registers
  std::size_t stored = 0;  // new readings written
  std::string error;       // the line or the storage failed: the cycle stopped early
  double success_rate() const {
    return meters == 0 ? 1.0 : static_cast<double>(read) / static_cast<double>(meters);
  }
};

struct EngineOptions {
  unsigned retries = 3;   // per request
  bool keep_raw = false;  // store each telegram with its reading
  int meter_utc_offset_s = 8 * 3600;
};

class ReadingEngine {
 public:
  using Done = std::function<void(const IoStatus& status)>;
  // Runs a procedure on the line behind a DTU and calls back once it has ended.
  using RunProcedure = std::function<void(
      const std::string& dtu_id, std::shared_ptr<protocol::link::Procedure> procedure, Done done)>;
  using Now = std::function<EpochSeconds()>;

  // `storage` must outlive the engine.
  ReadingEngine(Storage& storage, RunProcedure run, Now now, EngineOptions options = {});

  // Starts a cycle of `concentrator` unless one is running; `done` gets its statistics.
  // Returns false when a cycle of it is already running.
  bool read_concentrator(const ConcentratorRecord& concentrator,
                         std::function<void(const CycleStats&)> done);
  bool busy(std::int64_t concentrator_id) const { return cycles_.count(concentrator_id) > 0; }

 private:
  struct Cycle;
  void next(const std::shared_ptr<Cycle>& cycle);
  void record(const std::shared_ptr<Cycle>& cycle, std::variant<Reading, std::string> reading);
  void line_failed(const std::shared_ptr<Cycle>& cycle, const IoStatus& io);
  void finish(const std::shared_ptr<Cycle>& cycle);

  Storage& storage_;
  RunProcedure run_;
  Now now_;
  EngineOptions options_;
  std::map<std::int64_t, std::shared_ptr<Cycle>> cycles_;
};

}  // namespace heatlink::master
