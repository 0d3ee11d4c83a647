// Everything the control panel knows and does, without a window (DESIGN.md rule 6): a worker
// thread polls the simulator's control API into immutable snapshots, follows its traffic, keeps
// the selected meter's history for the plots, and runs the commands the view queues (faults,
// heal, time). The view (heatlink-panel) draws a snapshot per frame and never blocks on I/O.
//
// Thread-safe: snapshot(), traffic() and the commands may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "heatlink/gui/sim_link.h"
#include "heatlink/gui/telegram_view.h"
#include "heatlink/gui/traffic_log.h"

namespace heatlink::gui {

struct LinkFault {  // one active GPRS fault on a DTU's link
  std::int64_t id = 0;
  std::string kind, direction;
  double delay_ms = 0, jitter_ms = 0, period_s = 0, probability = 1, amount = 0;
  std::optional<double> remaining_s;  // simulated seconds until it stops by itself
};

struct DtuView {
  std::size_t index = 0;
  std::string id, convention, state, ip;
  std::int64_t connects = 0, registrations = 0, heartbeats = 0, failures = 0;
  std::int64_t bytes_up = 0, bytes_down = 0;
  std::vector<LinkFault> faults;
  bool online() const { return state == "registered"; }
};

struct ChannelView {
  std::size_t index = 0;
  std::string name;  // "hm660-1/ch1"
  int baud = 0;
  std::size_t meters = 0;
  double unit_loads = 0;
  bool powered = true, short_circuit = false;
  std::size_t first_meter = 0;  // the index of its first meter (meters are in topology order)
  double last_traffic_t = -1;   // simulated time of its last frame
};

struct ConcentratorView {
  std::size_t index = 0;
  std::string name;
  std::size_t archive = 0, buffered = 0;
  bool scanning = false;
  std::vector<ChannelView> channels;
  std::optional<std::size_t> dtu;  // the index of its DTU
};

struct MeterView {
  std::size_t index = 0;
  std::string id, kind;
  int primary = 0;
  double energy_kwh = 0, volume_m3 = 0, power_kw = 0, flow_m3_per_h = 0, supply_c = 0, return_c = 0;
  bool valve_open = true;
  Json faults;  // {"physical": [...], "leak_m3_per_h", "clock_drift_ppm"}
  bool faulty() const;
};

// The master's view of the same devices (its management API): is the DTU's session up, and how
// did the concentrator's last cycle go.
struct MasterDtu {
  bool online = false;
  std::string remote, last_drop;
  std::int64_t registrations = 0, heartbeats = 0;
};

struct MasterConcentrator {
  std::string dtu_id;
  bool dtu_online = false;
  std::int64_t meters = 0;
  std::optional<std::int64_t> last_read, last_failed, last_finished_at;
  std::optional<double> success_rate() const {
    if (!last_read || !last_failed || *last_read + *last_failed == 0) return std::nullopt;
    return static_cast<double>(*last_read) / static_cast<double>(*last_read + *last_failed);
  }
};

struct MasterView {
  bool attached = false;
  std::string error;
  std::map<std::string, MasterDtu> dtus;                    // by DTU ID
  std::map<std::string, MasterConcentrator> concentrators;  // by name
};

// A device's state as the topology tree colours it. A DTU is in fault while a link fault other
// than latency or bandwidth (what a link preset is made of) is active.
enum class DeviceState { online, reading, fault, offline };

struct Snapshot {
  bool attached = false;  // the last poll reached the simulator
  std::string error;      // why not
  double virtual_time_s = 0;
  bool paused = false;
  std::string pace;
  std::uint64_t seed = 0;
  std::vector<DtuView> dtus;
  std::vector<ConcentratorView> concentrators;
  std::vector<MeterView> meters;
  std::uint64_t polls = 0;
  std::optional<MasterView> master;      // when the panel watches a master too
  std::optional<TelegramView> telegram;  // what the selected meter would send now

  DeviceState state_of_dtu(std::size_t dtu) const;
  DeviceState state_of_channel(const ConcentratorView& c, const ChannelView& channel) const;
  DeviceState state_of_meter(std::size_t meter) const;
  // The same, for a meter on a channel whose state is known (the tree walks channels).
  DeviceState state_of_meter(std::size_t meter, DeviceState channel) const;
  // The concentrator and channel a meter hangs on.
  std::pair<const ConcentratorView*, const ChannelView*> place_of(std::size_t meter) const;
};

struct MeterSample {  // the selected meter, once per poll
  double t = 0, flow_m3_per_h = 0, supply_c = 0, return_c = 0, power_kw = 0;
};

// What a link fault is started with (docs/sim-api.md, POST /dtus/{i}/faults).
struct LinkFaultSpec {
  std::string kind = "loss";
  std::string direction = "both";
  double delay_ms = 0, jitter_ms = 0, period_s = 0, probability = 1, amount = 0;
  double duration_s = 0;  // 0: until stopped
};

// The GPRS faults the simulator knows, for the fault injection list.
const std::vector<std::string>& link_fault_kinds();
// The meters' physical faults.
const std::vector<std::string>& physical_fault_kinds();

class PanelModel {
 public:
  struct Options {
    std::chrono::milliseconds poll_every{500};
    std::size_t history = 600;  // samples of the selected meter kept for the plots
    // The master to show beside the simulator (empty host: none), with an API token of a
    // user who may see system status (system.view).
    std::string master_host;
    std::uint16_t master_port = 0;
    std::string master_token;
  };

  PanelModel(std::string host, std::uint16_t port, Options options);
  PanelModel(std::string host, std::uint16_t port) : PanelModel(std::move(host), port, Options{}) {}
  ~PanelModel();
  PanelModel(const PanelModel&) = delete;
  PanelModel& operator=(const PanelModel&) = delete;

  // Watches another simulator from now on (a scenario run's): the snapshot, the traffic and
  // the selected meter's history start afresh.
  void attach(std::string host, std::uint16_t port);
  std::pair<std::string, std::uint16_t> attached_to() const;

  std::shared_ptr<const Snapshot> snapshot() const;
  TrafficLog& traffic() { return traffic_; }
  std::vector<MeterSample> history() const;
  // Polls now and waits for it (tests, scripted runs).
  void refresh();

  void select_meter(std::optional<std::size_t> meter);
  std::optional<std::size_t> selected_meter() const;

  // Commands run in order on the worker; `done` (if any) gets the outcome ("" or the error).
  using Done = std::function<void(const std::string& error)>;
  void start_link_fault(std::size_t dtu, const LinkFaultSpec& spec, Done done = nullptr);
  void stop_link_fault(std::size_t dtu, std::int64_t id, Done done = nullptr);
  void set_meter_faults(std::size_t meter, const Json& faults, Done done = nullptr);
  void set_channel_short(std::size_t concentrator, std::size_t channel, bool shorted,
                         Done done = nullptr);
  void dtu_power(std::size_t dtu, const std::string& action, Done done = nullptr);  // reboot...
  void heal_all(Done done = nullptr);
  void pause(bool paused, Done done = nullptr);
  void set_pace(const std::string& pace, Done done = nullptr);
  // Lets simulated time run for `wall` and pauses again (a step while paused).
  void step(std::chrono::milliseconds wall, Done done = nullptr);
  // The log of commands and their outcomes, newest last.
  std::vector<std::string> command_log() const;

 private:
  using Command = std::function<std::string(SimLink&)>;
  void queue(std::string what, Command command, Done done);
  void run();
  // One snapshot of the simulator, and of the master when `master` is given.
  void poll(SimLink& link, SimLink* master);
  MasterView poll_master(SimLink& link);

  Options options_;
  std::string host_;
  std::uint16_t port_;
  TrafficLog traffic_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::deque<std::tuple<std::string, Command, Done>> commands_;
  std::deque<MeterSample> history_;
  std::vector<std::string> log_;
  std::optional<std::size_t> selected_;
  std::uint64_t refresh_asked_ = 0, refresh_done_ = 0;
  bool stopping_ = false;
  bool retarget_ = false;  // host_ and port_ changed: the worker opens a new link
  std::thread worker_;
};

}  // namespace heatlink::gui
