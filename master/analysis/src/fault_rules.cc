#include "heatlink/master/analysis/fault_rules.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace heatlink::master {

namespace {

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", v);
  return text;
}

std::optional<double> field_of(const Reading& r, const std::string& field) {
  if (field == "energy_kwh") return r.energy_kwh;
  if (field == "volume_m3") return r.volume_m3;
  if (field == "power_kw") return r.power_kw;
  if (field == "flow_m3h") return r.flow_m3h;
  if (field == "supply_c") return r.supply_c;
  if (field == "return_c") return r.return_c;
  if (field == "delta_t_k") return r.delta_t_k;
  if (field == "operating_hours") return r.operating_hours;
  return std::nullopt;
}

bool known_field(const std::string& field) {
  static const std::set<std::string> fields = {"energy_kwh", "volume_m3",      "power_kw",
                                               "flow_m3h",   "supply_c",       "return_c",
                                               "delta_t_k",  "operating_hours"};
  return fields.count(field) > 0;
}

}  // namespace

const char* severity_name(Severity severity) noexcept {
  switch (severity) {
    case Severity::info:
      return "info";
    case Severity::warning:
      return "warning";
    case Severity::alarm:
      return "alarm";
  }
  return "?";
}

std::uint32_t kamstrup_fault_bits(std::uint32_t info) noexcept {
  std::uint32_t bits = 0;
  if (info & 0x2) bits |= fault_bit::low_battery;
  if (info & (0x8 | 0x20)) bits |= fault_bit::supply_sensor;
  if (info & (0x10 | 0x40)) bits |= fault_bit::return_sensor;
  if ((info & 0x4) && !(info & 0x78)) bits |= fault_bit::supply_sensor | fault_bit::return_sensor;
  if (info & 0x100) bits |= fault_bit::air;
  if (info & 0x200) bits |= fault_bit::reverse_flow;
  if (info & 0x4000) bits |= fault_bit::leak;
  if (info & 0x8000) bits |= fault_bit::burst;
  return bits;
}

std::uint32_t sharky_fault_bits(std::uint32_t flags) noexcept {
  std::uint32_t bits = 0;
  if (flags & 0x01) bits |= fault_bit::supply_sensor;
  if (flags & 0x02) bits |= fault_bit::return_sensor;
  if (flags & 0x04) bits |= fault_bit::flow_sensor;
  if (flags & 0x08) bits |= fault_bit::low_battery;
  if (flags & 0x10) bits |= fault_bit::reverse_flow;
  if (flags & 0x20) bits |= fault_bit::leak;
  return bits;
}

std::uint32_t sonometer_fault_bits(std::uint32_t code) noexcept {
  std::uint32_t bits = 0;
  const std::uint32_t flow = code & 0xF, t1 = (code >> 4) & 0xF, t2 = (code >> 8) & 0xF;
  const std::uint32_t calculator = (code >> 12) & 0xF;
  if (flow & 0x1) bits |= fault_bit::air;
  if (flow & 0x2) bits |= fault_bit::reverse_flow;
  if (flow & 0x8) bits |= fault_bit::flow_sensor;
  if (t1 != 0) bits |= fault_bit::supply_sensor;
  if (t2 != 0) bits |= fault_bit::return_sensor;
  if (calculator & 0x1) bits |= fault_bit::low_battery;
  if (calculator & 0x8) bits |= fault_bit::calculator;
  return bits;
}

std::uint32_t cjt188_fault_bits(std::uint8_t st1, std::uint8_t st2) noexcept {
  std::uint32_t bits = 0;
  if ((st1 & 0x03) == 0x03) bits |= fault_bit::valve_fault;
  if (st1 & 0x04) bits |= fault_bit::low_battery;
  if (st2 & 0x02) bits |= fault_bit::supply_sensor;
  if (st2 & 0x04) bits |= fault_bit::return_sensor;
  if (st2 & 0x08) bits |= fault_bit::flow_sensor;
  return bits;
}

namespace {

constexpr std::string_view kFaultCodes[] = {
    // the meters' own (fault bits)
    "supply_sensor", "return_sensor", "flow_sensor", "calculator", "low_battery", "air",
    "reverse_flow", "leak", "burst", "valve_fault",
    // the rules on readings
    "supply_below_return", "low_delta_t", "flow_above_limit", "clock_drift", "valve_mismatch",
    "register_backwards", "register_jump", "energy_flat", kReplacementUnfiled,
    // the clocks, the cycles and the gateway
    "no_data", "dtu_offline", "concentrator_failure_rate", "cycle_overrun",
    "meter_identity_mismatch", "dtu_id_conflict"};

}  // namespace

std::span<const std::string_view> fault_codes() noexcept {
  return kFaultCodes;
}

bool is_fault_code(std::string_view code) noexcept {
  if (code.starts_with("custom:") && code.size() > 7) return true;
  return std::find(std::begin(kFaultCodes), std::end(kFaultCodes), code) != std::end(kFaultCodes);
}

std::vector<Finding> builtin_findings(const Reading& now, const Reading* previous,
                                      const RuleLimits& limits, const MeterContext& context) {
  std::vector<Finding> out;
  auto add = [&out](const char* code, Severity severity, std::string detail) {
    out.push_back({code, severity, std::move(detail)});
  };
  const std::uint32_t bits = now.error_bits;
  if (bits & fault_bit::supply_sensor) add("supply_sensor", Severity::alarm, "supply sensor fault");
  if (bits & fault_bit::return_sensor) add("return_sensor", Severity::alarm, "return sensor fault");
  if (bits & fault_bit::flow_sensor) add("flow_sensor", Severity::alarm, "flow sensor fault");
  if (bits & fault_bit::calculator) add("calculator", Severity::alarm, "calculator fault");
  if (bits & fault_bit::low_battery) add("low_battery", Severity::warning, "battery low");
  if (bits & fault_bit::air) add("air", Severity::warning, "air in the flow sensor");
  if (bits & fault_bit::reverse_flow) add("reverse_flow", Severity::warning, "flow runs backwards");
  if (bits & fault_bit::leak) add("leak", Severity::alarm, "leak");
  if (bits & fault_bit::burst) add("burst", Severity::alarm, "burst");
  if (bits & fault_bit::valve_fault) add("valve_fault", Severity::alarm, "valve fault");

  const bool flowing = now.flow_m3h && *now.flow_m3h > limits.flowing_m3h;
  if (flowing && now.supply_c && now.return_c && *now.supply_c < *now.return_c) {
    add("supply_below_return", Severity::warning,
        "supply " + number(*now.supply_c) + " degC below return " + number(*now.return_c));
  }
  // dT as the meter reports it, or from the two temperatures.
  const bool has_dt = now.delta_t_k.has_value() || (now.supply_c && now.return_c);
  const double dt = now.delta_t_k ? *now.delta_t_k : (has_dt ? *now.supply_c - *now.return_c : 0.0);
  if (flowing && has_dt && dt >= 0 && dt < limits.min_delta_t_k) {
    add("low_delta_t", Severity::info, "dT " + number(dt) + " K while flowing");
  }
  if (limits.max_flow_m3h > 0 && now.flow_m3h && *now.flow_m3h > limits.max_flow_m3h) {
    add("flow_above_limit", Severity::warning, "flow " + number(*now.flow_m3h) + " m3/h");
  }
  if (now.meter_time && std::llabs(*now.meter_time - now.received_at) > limits.max_clock_drift_s) {
    add("clock_drift", Severity::info,
        "meter clock off by " + std::to_string(*now.meter_time - now.received_at) + " s");
  }
  if (context.valve_commanded_open && context.valve_reported_open &&
      *context.valve_commanded_open != *context.valve_reported_open) {
    add("valve_mismatch", Severity::warning,
        std::string("valve commanded ") + (*context.valve_commanded_open ? "open" : "closed") +
            ", reported " + (*context.valve_reported_open ? "open" : "closed"));
  }
  if (previous != nullptr && previous->energy_kwh && now.energy_kwh &&
      now.read_at > previous->read_at) {
    const double used = *now.energy_kwh - *previous->energy_kwh;
    const auto elapsed = static_cast<double>(now.read_at - previous->read_at);
    if (used < 0 && *now.energy_kwh <= kResetFraction * *previous->energy_kwh) {
      // Near zero: a meter swapped for another, or its register reset, and nobody filed it.
      add(kReplacementUnfiled, Severity::alarm,
          "energy fell from " + number(*previous->energy_kwh) + " to " + number(*now.energy_kwh) +
              ": a replacement or reset not filed; the periods across it are suspect until it is");
    } else if (used < 0) {
      add("register_backwards", Severity::alarm,
          "energy fell from " + number(*previous->energy_kwh) + " to " + number(*now.energy_kwh));
    } else if (limits.max_power_kw > 0 && used > limits.max_power_kw * elapsed / 3600.0) {
      add("register_jump", Severity::alarm,
          number(used) + " kWh in " + std::to_string(now.read_at - previous->read_at) + " s");
    } else if (used == 0 && flowing && has_dt && dt >= limits.min_delta_t_k) {
      // Water carries about 1.163 kWh per m3 and K: a register that should have moved by a
      // few of its steps and did not is stuck; a small flow may just not have reached the next.
      // A coarse register (0.01 MWh) stands still through less heat than two of its steps.
      const double expected = *now.flow_m3h * dt * 1.163 * elapsed / 3600.0;
      if (expected >= std::max(limits.flat_min_kwh, 2 * now.energy_step_kwh.value_or(0))) {
        add("energy_flat", Severity::alarm,
            "energy unchanged while " + number(expected) + " kWh of heat flowed");
      }
    }
  }
  return out;
}

std::optional<Finding> no_data_finding(std::optional<EpochSeconds> last_good, EpochSeconds now,
                                       EpochSeconds cycle_s, unsigned cycles) {
  if (last_good && now - *last_good < cycle_s * static_cast<EpochSeconds>(cycles))
    return std::nullopt;
  return Finding{"no_data", Severity::warning,
                 "no reading for " + std::to_string(cycles) + " cycles"};
}

std::optional<Finding> concentrator_finding(std::size_t attempts, std::size_t failures,
                                            double max_failure_rate) {
  if (attempts == 0) return std::nullopt;
  const double rate = static_cast<double>(failures) / static_cast<double>(attempts);
  if (rate <= max_failure_rate) return std::nullopt;
  return Finding{"concentrator_failure_rate", Severity::alarm,
                 std::to_string(failures) + " of " + std::to_string(attempts) +
                     " reads failed: a bus or concentrator fault"};
}

std::string CustomRule::problem() const {
  if (name.empty()) return "name: a rule needs a name";
  if (!known_field(field)) return "field: '" + field + "' is not a reading field";
  if (op != "<" && op != "<=" && op != ">" && op != ">=" && op != "==" && op != "!=")
    return "op: '" + op + "' is not one of < <= > >= == !=";
  if (!std::isfinite(threshold)) return "threshold: not a number";
  if (persistence_s < 0) return "persistence_s: negative";
  return {};
}

bool CustomRule::holds(const Reading& reading) const {
  const std::optional<double> v = field_of(reading, field);
  if (!v) return false;
  if (op == "<") return *v < threshold;
  if (op == "<=") return *v <= threshold;
  if (op == ">") return *v > threshold;
  if (op == ">=") return *v >= threshold;
  if (op == "==") return *v == threshold;
  if (op == "!=") return *v != threshold;
  return false;
}

std::vector<FaultEvent> FaultTracker::observe(std::int64_t meter_id, EpochSeconds at,
                                              const std::vector<Finding>& findings) {
  std::vector<FaultEvent> events;
  std::set<std::string> seen;
  for (const Finding& f : findings) {
    seen.insert(f.code);
    for (FaultEvent& e : observe_code(meter_id, at, f.code, f)) events.push_back(std::move(e));
  }
  for (auto it = states_.lower_bound({meter_id, ""});
       it != states_.end() && it->first.first == meter_id;) {
    if (seen.count(it->first.second) > 0 || sticky_.count(it->first.second) > 0) {
      ++it;
      continue;
    }
    if (it->second.raised) {
      events.push_back({meter_id, it->first.second, Severity::info, false, at, "cleared"});
    }
    it = states_.erase(it);
  }
  return events;
}

std::vector<FaultEvent> FaultTracker::observe_code(std::int64_t meter_id, EpochSeconds at,
                                                   const std::string& code,
                                                   const std::optional<Finding>& finding) {
  std::vector<FaultEvent> events;
  const auto key = std::make_pair(meter_id, code);
  if (!finding) {
    const auto it = states_.find(key);
    if (it == states_.end()) return events;
    if (it->second.raised) events.push_back({meter_id, code, Severity::info, false, at, "cleared"});
    states_.erase(it);
    return events;
  }
  auto [it, fresh] = states_.try_emplace(key, State{at, false});
  State& s = it->second;
  if (s.raised) return events;
  const auto p = persistence_.find(code);
  const EpochSeconds needed = p == persistence_.end() ? 0 : p->second;
  if (at - s.first_seen >= needed) {
    s.raised = true;
    events.push_back({meter_id, code, finding->severity, true, at, finding->detail});
  }
  return events;
}

void FaultTracker::restore(std::int64_t meter_id, const std::string& code, EpochSeconds raised_at) {
  states_[{meter_id, code}] = State{raised_at, true};
}

bool FaultTracker::active(std::int64_t meter_id, const std::string& code) const {
  const auto it = states_.find({meter_id, code});
  return it != states_.end() && it->second.raised;
}

}  // namespace heatlink::master
