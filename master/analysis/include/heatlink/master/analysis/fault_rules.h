// Fault analysis (REFERENCE.md section 7): vendor status codes normalised to one set of fault
// bits, the built-in rules on a meter's readings, custom rules on reading fields, and the
// persistence that turns a finding into a fault event that raises and later clears.
// Pure functions and one state machine: no I/O, no clock.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "heatlink/master/storage/storage.h"

namespace heatlink::master {

enum class Severity : std::uint8_t { info = 1, warning = 2, alarm = 3 };
const char* severity_name(Severity severity) noexcept;

// The bits of Reading::error_bits, whatever the vendor.
namespace fault_bit {
inline constexpr std::uint32_t supply_sensor = 1u << 0;
inline constexpr std::uint32_t return_sensor = 1u << 1;
inline constexpr std::uint32_t flow_sensor = 1u << 2;
inline constexpr std::uint32_t low_battery = 1u << 3;
inline constexpr std::uint32_t air = 1u << 4;
inline constexpr std::uint32_t reverse_flow = 1u << 5;
inline constexpr std::uint32_t leak = 1u << 6;
inline constexpr std::uint32_t burst = 1u << 7;
inline constexpr std::uint32_t valve_fault = 1u << 8;
inline constexpr std::uint32_t calculator = 1u << 9;
}  // namespace fault_bit

// Kamstrup's info code (04 FF 22): 0x2 low battery, 0x4 sensor error, 0x8/0x10 T1/T2 above
// range (open), 0x20/0x40 T1/T2 below range (short), 0x100 air, 0x200 reverse flow,
// 0x4000 leak, 0x8000 burst.
std::uint32_t kamstrup_fault_bits(std::uint32_t info_code) noexcept;
// Hydrometer Sharky's error flags (01 FD 17): 0x01 supply sensor, 0x02 return sensor,
// 0x04 ultrasonic, 0x08 low battery, 0x10 reverse flow, 0x20 leak.
std::uint32_t sharky_fault_bits(std::uint32_t flags) noexcept;
// Danfoss SonoMeter's error code (04 FD 17): four hex digits [calculator][T2][T1][flow]:
// calculator 1 battery, 8 electronics (2/4, dT out of limits, are left to the dT rule); T1/T2
// any fault of that sensor; flow 1 air, 2 reverse flow, 8 hardware (4, above 1.2 qs, is left
// to the flow limit).
std::uint32_t sonometer_fault_bits(std::uint32_t code) noexcept;
// CJ/T 188 ST1/ST2: ST1 bits 0-1 = 3 valve fault, bit 2 low battery; ST2 0x02 supply sensor,
// 0x04 return sensor, 0x08 flow sensor.
std::uint32_t cjt188_fault_bits(std::uint8_t st1, std::uint8_t st2) noexcept;

struct RuleLimits {
  double flowing_m3h = 0.01;  // flow above this counts as flowing
  double min_delta_t_k = 1.0;
  double max_flow_m3h = 0;  // 0: no limit
  double max_power_kw = 0;  // 0: no jump check
  // A register rising faster than this is no meter's (a forged or corrupted answer): the
  // reading is kept out of the meter's readings and register_jump raised (0: off). Far above
  // any heat meter's power; max_power_kw is the heat company's own, tighter alarm.
  double implausible_power_kw = 100'000;
  EpochSeconds max_clock_drift_s = 300;
  // Energy flat between two readings while flow and dT say at least flat_min_kwh went
  // through, and at least two steps of the meter's register; a fault once it has lasted
  // flat_after_s (the tracker's persistence).
  EpochSeconds flat_after_s = 3600;
  double flat_min_kwh = 2.0;
};

struct Finding {
  std::string code;  // "supply_below_return", "low_battery", ...
  Severity severity = Severity::warning;
  std::string detail;
};

// What else is known about the meter when a reading arrives.
struct MeterContext {
  std::optional<bool> valve_commanded_open;
  std::optional<bool> valve_reported_open;
};

// An energy register that falls to this share of its previous value or below has been reset:
// the meter was swapped (换表) or its register cleared, and nobody filed it. The fault stays
// until the replacement is filed (FaultTracker::set_sticky); a smaller fall is
// register_backwards, which the next good reading clears.
inline constexpr double kResetFraction = 0.1;
inline constexpr const char* kReplacementUnfiled = "replacement_unfiled";

// Every fault code the master raises - the built-in rules, the clocks, the cycles, the
// gateway's conflicts; a custom rule's is "custom:" and its name. For whoever names a code
// before any fault exists (a scenario's checks, a filter).
std::span<const std::string_view> fault_codes() noexcept;
bool is_fault_code(std::string_view code) noexcept;

// The built-in rules on `now` and the meter's previous good reading (if any).
std::vector<Finding> builtin_findings(const Reading& now, const Reading* previous,
                                      const RuleLimits& limits, const MeterContext& context = {});

// No good reading for `cycles` cycles of `cycle_s` seconds since `last_good`.
std::optional<Finding> no_data_finding(std::optional<EpochSeconds> last_good, EpochSeconds now,
                                       EpochSeconds cycle_s, unsigned cycles);

// A concentrator whose meters failed more than `max_failure_rate` of their reads in a cycle:
// a bus fault, not a meter fault.
std::optional<Finding> concentrator_finding(std::size_t attempts, std::size_t failures,
                                            double max_failure_rate);

// A rule a heat company adds: `field op threshold`, held for `persistence_s`.
struct CustomRule {
  std::string name;   // becomes the fault code: "custom:<name>"
  std::string field;  // energy_kwh, volume_m3, power_kw, flow_m3h, supply_c, return_c,
                      // delta_t_k, operating_hours
  std::string op;     // <, <=, >, >=, ==, !=
  double threshold = 0;
  EpochSeconds persistence_s = 0;
  Severity severity = Severity::warning;

  // Empty when usable; else what is wrong, naming the field.
  std::string problem() const;
  // True when the reading has the field and the comparison holds.
  bool holds(const Reading& reading) const;
};

struct FaultEvent {
  std::int64_t meter_id = 0;
  std::string code;
  Severity severity = Severity::warning;
  bool raised = true;  // false: cleared
  EpochSeconds at = 0;
  std::string detail;
};

// Turns findings into events: a code raises once it has been found continuously for its
// persistence time, and clears at the first observation without it.
class FaultTracker {
 public:
  void set_persistence(const std::string& code, EpochSeconds seconds) {
    persistence_[code] = seconds;
  }
  // A code that observe() leaves raised when a later reading does not show it: what clears it
  // is an operator's act, told through observe_code().
  void set_sticky(const std::string& code) { sticky_.insert(code); }
  // Everything found for `meter_id` at `at` (an empty list clears all its faults but the
  // sticky ones).
  std::vector<FaultEvent> observe(std::int64_t meter_id, EpochSeconds at,
                                  const std::vector<Finding>& findings);
  // One code only, leaving the meter's other codes as they are: `finding` present raises (once
  // persistent), absent clears. For what a failed read shows (no data) without a reading.
  std::vector<FaultEvent> observe_code(std::int64_t meter_id, EpochSeconds at,
                                       const std::string& code,
                                       const std::optional<Finding>& finding);
  // A fault raised before (a restart): it stays raised until an observation clears it.
  void restore(std::int64_t meter_id, const std::string& code, EpochSeconds raised_at);
  bool active(std::int64_t meter_id, const std::string& code) const;

 private:
  struct State {
    EpochSeconds first_seen = 0;
    bool raised = false;
  };
  std::map<std::string, EpochSeconds> persistence_;
  std::set<std::string> sticky_;
  std::map<std::pair<std::int64_t, std::string>, State> states_;
};

}  // namespace heatlink::master
