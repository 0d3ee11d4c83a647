// A scenario: a district, the master that reads it, a timeline of events and faults, and what
// must hold (docs/scenarios.md; schema in scenarios/scenario.schema.json). Loading never
// throws: a ScenarioError names file, line, column and key, and suggests the nearest key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "heatlink/master/program/master_config.h"
#include "heatlink/sim/gprs_link.h"
#include "heatlink/sim/topology.h"

namespace heatlink::harness {

using Seconds = std::int64_t;  // simulated seconds from the scenario's start

struct Meta {
  std::string id;
  std::string title;
  std::vector<std::string> tags;
  std::uint64_t seed = 1;
  double pace = 60;  // live runs: simulated seconds per wall second
  Seconds duration = 3600;
  std::optional<Seconds> heal_at;  // the final heal (default: the end of the last fault)
};

// What a timeline entry does.
enum class ActionKind : std::uint8_t {
  link_fault,     // a GPRS link fault on a DTU's link (`fault`, optional `for`)
  meter_fault,    // a meter's fault knobs (`physical`, `leak_m3_per_h`, `clock_drift_ppm`)
  short_circuit,  // a channel's M-Bus shorted (`concentrator`, `channel`, optional `for`)
  set_value,      // a meter's energy register or valve moved by hand
  manual_read,    // a read job through the master (`meter`, `concentrator` or `community`)
  valve,          // a valve command through the master (`meter`, `open`)
  restart_master,
  kill_master,  // kill -9: readings waiting in memory are lost; restarts after `down_for`
  dtu_power,    // `power`: cycle, off, on, reboot
  heal_all,
  secondary_scan,  // a wildcard secondary scan over `concentrator`'s line, as a technician's
  meter_replace,   // 换表: `meter` swapped for a new one (`new_id`, registers from `energy_kwh`);
                   // `filed`: the heat company files it in the master's base information too
  concentrator_power,  // `power` off/on/cycle of `concentrator` (the HM-660 alone) or of every
                       // cabinet of `community` (its concentrators and their DTUs)
  master_api,          // a call on the master's web API as its administrator (`method`, `path`
                       // with {meter} for `meter`'s id, `body`), answered with `status`
  archive_read,        // the HM-660's meter archive read through the master (`concentrator`)
  archive_write,       // the base information written into the HM-660's archive (`concentrator`)
  dtu_clone,           // `dtu` reconfigured to claim `clone_of`'s ID (a cloned SIM profile, a
                       // fitter's copy-paste); `for`: given its own ID back after that long
};
const char* action_name(ActionKind kind) noexcept;

// An event a `when` entry waits for.
enum class EventKind : std::uint8_t { dtu_offline, dtu_online, fault_raised, cycle_failed };

struct Trigger {
  std::optional<Seconds> at;
  std::optional<Seconds> every;  // from `at` (default 0) until `until` (default the end)
  std::optional<Seconds> until;
  std::optional<EventKind> when;
  std::string when_target;  // the DTU, or the fault code, the event must name (empty: any)
};

struct Action {
  ActionKind kind = ActionKind::heal_all;
  std::string name;   // for assertions that refer to the action (manual read latency)
  std::string dtu;    // DTU ID
  std::string meter;  // a meter's secondary ID or CJ/T 188 address as in the topology
  std::string concentrator;
  std::string community;
  unsigned channel = 1;  // 1-based, as HM-660 channels are named
  sim::LinkFault fault;
  std::vector<std::string> physical;  // meter fault names (docs/sim-api.md)
  double leak_m3_per_h = 0;
  double clock_drift_ppm = 0;
  std::optional<double> energy_kwh;
  std::optional<bool> open;         // set_value / valve
  std::optional<unsigned> primary;  // set_value: the M-Bus meter's new primary address
  std::string new_id;               // meter_replace: the new meter's 8-digit identification
  std::string clone_of;             // dtu_clone: the DTU ID it claims
  bool filed = false;               // meter_replace: filed in the base information at once
  std::string method, path, body;   // master_api
  std::optional<int> status;        // master_api: the answer's status (default: any 2xx)
  std::string power = "cycle";      // dtu_power
  std::optional<Seconds> lasting;   // `for`: stopped (healed) after this long
  Seconds down_for = 5;             // kill_master / restart_master / power cycle
};

struct TimelineEntry {
  Trigger trigger;
  Action action;
  int line = 0;  // in the scenario file, for reports
};

// What a check measures.
enum class CheckKind : std::uint8_t {
  read_success_rate,  // read / meters over the cycles finished in the window
  stored_readings,    // readings stored with received_at in the window
  no_duplicates,      // one reading per meter and time, and no two per meter and slot
  no_lost_readings,   // every meter a cycle read has its reading stored
  ground_truth,       // stored registers equal the meters' registers when they answered
  fault_raised,       // a fault event with `code` raised (for `meter`) in the window
  fault_not_raised,
  fault_cleared,        // ... and cleared again
  dtu_sessions,         // registrations of `dtu` seen by the gateway in the window
  dtu_offline,          // the gateway dropped `dtu` at least once in the window
  failed_reads,         // failed meter reads in the window's cycles
  manual_read_latency,  // the `action`'s read job finished within `max`
  valve_state,          // the simulated valve of `meter` is `open`, and the master confirmed it
  settlement_matches,   // month-end settlements equal the meters' registers at 00:00
  open_faults,          // open fault events at the end of the window
  scan_found,           // meters the `action`'s secondary scan found
  consumption,          // day figures never negative, equal to the heat used (suspect: at most)
  missed_slots,         // slots owed by the schedule that ended without their cycle
  slot_overrun,         // the longest overrun of a slot by its cycle, in seconds
  archive_found,        // meters the `action`'s archive read listed
};
const char* check_name(CheckKind kind) noexcept;

struct Check {
  std::string name;
  CheckKind kind = CheckKind::read_success_rate;
  Seconds from = 0;                // window
  std::optional<Seconds> to;       // default: the end (or the check's time)
  std::optional<double> min, max;  // bounds on the measured value
  std::string code;                // fault code
  std::string meter, station, concentrator, dtu, action;
  std::optional<unsigned> channel;
  std::optional<bool> open;
  double tolerance_kwh = 0;  // ground truth: on top of the meter's register resolution
  int line = 0;
};

struct Expectations {
  std::vector<Check> steady_state;  // before the first fault and after the final heal
  std::vector<Check> checks;
};

struct Scenario {
  std::string file;  // where it was loaded from
  Meta meta;
  sim::Topology topology;
  // Where the topology was read (live runs hand it to `heatlink sim`): a topology file, or
  // the scenario file with `topology_key` "topology" when it is given inline.
  std::string topology_file;
  std::string topology_key;
  bool weather_set = false;     // `weather` overrides the topology's
  master::MasterConfig master;  // schedules, reading, faults, claims
  std::vector<TimelineEntry> timeline;
  Expectations expectations;
};

// "scenarios/x.yaml:12:7: key 'cout': unknown key in meta (did you mean 'count'?)"
using ScenarioError = sim::YamlError;

std::variant<Scenario, ScenarioError> parse_scenario(std::string_view text, std::string file);
std::variant<Scenario, ScenarioError> load_scenario(const std::string& path);

// "90", "90s", "15m", "1h30m", "2d" -> seconds; nullopt when malformed or longer than a
// hundred years.
std::optional<Seconds> parse_duration(std::string_view text);

}  // namespace heatlink::harness
