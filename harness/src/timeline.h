// The timeline of a run: which entries are due at a simulated second, the stops of faults
// that last `for` a while, the final heal, and the events `when` entries wait for. It acts
// on the simulator through its control API (the same JSON calls in-process and over HTTP)
// and on the master through a MasterControl, so deterministic and live runs share it.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "heatlink/harness/scenario.h"
#include "heatlink/master/storage/storage.h"
#include "heatlink/sim/control_api.h"

namespace heatlink::harness {

// A call on the simulator's control API (docs/sim-api.md).
using SimCall = std::function<sim::ApiResponse(const sim::ApiRequest& request)>;

// What the timeline asks of the master.
class MasterControl {
 public:
  virtual ~MasterControl() = default;
  // Queues a read job; returns its id or the error.
  virtual std::variant<std::int64_t, std::string> manual_read(const master::ReadJob& job) = 0;
  // Takes the master down (kill -9 or a stop) and brings it back after `down_for`.
  virtual void take_down(bool kill, Seconds down_for) = 0;
  // A call on the master's web API (docs/api.md) as its administrator: the answer, status 0
  // when the master is down or cannot be reached.
  virtual sim::ApiResponse master_api(const sim::ApiRequest& request) = 0;
  // The master's clock, epoch seconds.
  virtual master::EpochSeconds master_now() const = 0;
};

// Queues `job` in the master's database at `url`, as `heatlink manual-read` does: its id, or
// what the database said.
std::variant<std::int64_t, std::string> queue_read_job(const std::string& url,
                                                       const master::ReadJob& job);

// A token of the master's administrator (made first if the database has none yet) for the
// timeline's master_api calls: the token, or what the database said.
master::StorageResult<std::string> bench_token(master::Storage& storage, master::EpochSeconds now);

// The names the timeline refers to, resolved against the district.
struct DistrictIndex {
  std::map<std::string, std::size_t> dtus;                      // DTU ID -> index
  std::map<std::string, std::size_t> concentrators;             // name -> index
  std::map<std::string, std::size_t> meters;                    // topology ID -> index
  std::map<std::string, std::int64_t> meter_ids;                // topology ID -> database id
  std::map<std::string, std::vector<std::size_t>> communities;  // name -> concentrators
  std::vector<std::optional<std::size_t>> dtu_of;               // by concentrator: its DTU's index
};

class Timeline {
 public:
  using Log = std::function<void(Seconds t, const std::string& line)>;
  Timeline(const Scenario& scenario, DistrictIndex index, SimCall sim, MasterControl& master,
           Log log);

  // When the first fault begins and when the final heal happens (for the steady state).
  std::optional<Seconds> first_fault() const noexcept { return first_fault_; }
  Seconds heal_at() const noexcept { return heal_at_; }

  // Runs what is due at second `t` (call once per second, in order).
  void tick(Seconds t);
  // An event the run observed (a `when` entry may be waiting for it).
  void observe(EventKind kind, const std::string& target, Seconds t);
  // Read jobs queued, by the entry's name.
  const std::map<std::string, std::int64_t>& jobs() const noexcept { return jobs_; }
  // Problems met while acting (an unknown meter, a refused call): the run reports them.
  const std::vector<std::string>& errors() const noexcept { return errors_; }

 private:
  void act(const TimelineEntry& entry, Seconds t);
  void power(const Action& a, Seconds t, int line);
  void replace_meter(const Action& a, Seconds t, int line);
  void call_master(const Action& a, Seconds t, int line);
  // A problem of the entry at `line`, met at second `t`: the run reports it.
  void fail(Seconds t, int line, const std::string& what);
  void heal(Seconds t);
  sim::ApiResponse call(const std::string& method, const std::string& target,
                        const std::string& body, Seconds t, int line);
  std::optional<std::size_t> find(const std::map<std::string, std::size_t>& in,
                                  const std::string& key, const char* what, Seconds t, int line);
  void give_back_id(std::size_t dtu, Seconds t, int line);

  const Scenario& scenario_;
  DistrictIndex index_;
  SimCall sim_;
  MasterControl& master_;
  Log log_;
  std::optional<Seconds> first_fault_;
  Seconds heal_at_ = 0;
  bool has_faults_ = false;
  bool healed_ = false;
  std::multimap<Seconds, std::function<void()>> later_;  // stops and power-ons
  std::map<std::size_t, std::string> cloned_;  // DTUs claiming another's ID: their own, by index
  std::vector<std::size_t> pending_when_;      // `when` entries whose event was seen
  std::map<std::string, std::int64_t> jobs_;
  std::vector<std::string> errors_;
};

}  // namespace heatlink::harness
