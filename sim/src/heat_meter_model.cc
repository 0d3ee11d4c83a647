#include "heatlink/sim/heat_meter_model.h"

#include <algorithm>
#include <cmath>

#include "heatlink/sim/water.h"

namespace heatlink::sim {

double HeatStation::supply(Micros t) const noexcept {
  const double outdoor_now = outdoor(t);
  return heating_on ? curve.supply_temperature(outdoor_now) : std::min(30.0, outdoor_now + 10.0);
}

Household Household::draw(RandomStream& random) noexcept {
  Household h;
  const double area_m2 = random.uniform(55.0, 140.0);
  h.heat_loss_kw_per_k = static_cast<float>(area_m2 * random.uniform(0.0007, 0.0012));
  h.indoor_setpoint = static_cast<float>(random.uniform(18.0, 23.0));
  h.design_delta_t = static_cast<float>(random.uniform(15.0, 25.0));
  h.design_load_kw = static_cast<float>(h.heat_loss_kw_per_k * (h.indoor_setpoint + 15.0));
  h.occupancy = random.chance(0.15) ? 0.25F : static_cast<float>(random.uniform(0.85, 1.05));
  return h;
}

namespace {

// Demand by hour of day: night set-back, morning and evening peaks, a quieter day.
double hour_factor(int hour) noexcept {
  if (hour < 6) return 0.92;
  if (hour < 9) return 1.12;
  if (hour < 17) return 0.88;
  if (hour < 23) return 1.10;
  return 1.0;
}

Micros step_start_of(Micros t) noexcept {
  const Micros step = HeatMeterModel::kStep;
  return (t >= 0 ? t / step : (t - step + 1) / step) * step;
}

Micros first_of_next_month(const Calendar& calendar, Micros t) noexcept {
  CivilTime c = calendar.at(t);
  c = CivilTime{c.month == 12 ? c.year + 1 : c.year, c.month == 12 ? 1 : c.month + 1, 1};
  return calendar.time_of(c);
}

}  // namespace

HeatMeterModel::HeatMeterModel(const Household& household, Micros start, double initial_energy_kwh,
                               double initial_volume_m3)
    : household_(household), updated_(start), clock_set_at_(start) {
  state_.energy_kwh = initial_energy_kwh;
  state_.volume_m3 = initial_volume_m3;
  state_.billing_energy_kwh = initial_energy_kwh;
  state_.billing_volume_m3 = initial_volume_m3;
  state_.billing_time = start;
  state_.month_end_kwh.fill(static_cast<float>(initial_energy_kwh));
}

void HeatMeterModel::set_faults(const MeterFaults& faults) noexcept {
  faults_ = faults;
  conditions_step_ = -1;
}

bool HeatMeterModel::valve_open(Micros now) const noexcept {
  return now >= valve_arrives_ ? valve_target_ : valve_open_;
}

void HeatMeterModel::command_valve(bool open, Micros now, Micros travel) {
  if (faults_.has(MeterFaults::valve_stuck)) return;
  valve_open_ = valve_open(now);
  valve_target_ = open;
  valve_arrives_ = now + travel;
}

Micros HeatMeterModel::meter_time(Micros t) const noexcept {
  const double drift = static_cast<double>(t - clock_set_at_) * faults_.clock_drift_ppm * 1e-6;
  return t + clock_offset_ + static_cast<Micros>(drift);
}

void HeatMeterModel::set_meter_time(Micros t, Micros meter_time) noexcept {
  clock_set_at_ = t;
  clock_offset_ = meter_time - t;
}

void HeatMeterModel::reset_registers() noexcept {
  state_.energy_kwh = 0;
  state_.volume_m3 = 0;
  state_.flow_temperature_integral = 0;
  state_.return_temperature_integral = 0;
}

void HeatMeterModel::advance(Micros t, const HeatStation& station) {
  if (next_month_ < 0) next_month_ = first_of_next_month(*station.calendar, updated_);
  if (t > updated_) {
    integrate(updated_, t, station);
    updated_ = t;
  }
  // What the meter shows now: the conditions of the step that holds the present, recomputed
  // when faults changed since.
  if (step_start_of(updated_) != conditions_step_) conditions_at(step_start_of(updated_), station);
}

void HeatMeterModel::conditions_at(Micros step_start, const HeatStation& station) {
  conditions_step_ = step_start;
  MeterState& s = state_;
  const double outdoor = station.outdoor(step_start);
  const double supply = station.supply(step_start);
  const int hour = station.calendar->at(step_start).hour;
  double load =
      station.heating_on
          ? std::max(0.0, household_.heat_loss_kw_per_k * (household_.indoor_setpoint - outdoor)) *
                household_.occupancy * hour_factor(hour)
          : 0.0;
  if (!valve_open(step_start)) load = 0;
  const double room = household_.indoor_setpoint;
  double flow = 0;
  double return_c = room + 2.0;  // standing water cools towards the room
  if (load > 0.01 && supply > room + 3.0) {
    const double design = std::max(0.1, static_cast<double>(household_.design_load_kw));
    const double delta_t =
        std::clamp(household_.design_delta_t * std::sqrt(load / design), 2.0,
                   std::min(household_.design_delta_t * 1.3, supply - room - 1.0));
    return_c = supply - delta_t;
    // The flow that carries `load` at this cooling, measured in the return pipe.
    flow = load / water::power_kw(1.0, supply, return_c, return_c);
  }
  flow += faults_.leak_m3_per_h;
  if (faults_.has(MeterFaults::air_in_flow_sensor)) flow = 0;  // the sensor sees nothing
  if (faults_.has(MeterFaults::reverse_flow)) flow = -flow;
  s.flow_m3_per_h = static_cast<float>(flow);
  s.supply_c = static_cast<float>(supply);
  s.return_c = static_cast<float>(return_c);
  // The calculator integrates only forward flow with working temperature sensors.
  s.power_kw = flow > 0 && !faults_.sensor_error()
                   ? static_cast<float>(water::power_kw(flow, supply, return_c, return_c))
                   : 0.0F;
  s.max_power_kw = std::max(s.max_power_kw, s.power_kw);
  s.max_flow_m3_per_h = std::max(s.max_flow_m3_per_h, s.flow_m3_per_h);
}

void HeatMeterModel::roll_month(Micros boundary) {
  MeterState& s = state_;
  s.billing_energy_kwh = s.energy_kwh;
  s.billing_volume_m3 = s.volume_m3;
  s.billing_time = boundary;
  std::rotate(s.month_end_kwh.rbegin(), s.month_end_kwh.rbegin() + 1, s.month_end_kwh.rend());
  s.month_end_kwh[0] = static_cast<float>(s.energy_kwh);
  s.max_power_kw = 0;
  s.max_flow_m3_per_h = 0;
}

void HeatMeterModel::integrate(Micros from, Micros to, const HeatStation& station) {
  MeterState& s = state_;
  while (from < to) {
    const Micros step = step_start_of(from);
    if (step != conditions_step_) conditions_at(step, station);
    const Micros end = std::min({to, step + kStep, next_month_});
    const double hours = static_cast<double>(end - from) / 3.6e9;
    const auto whole_seconds = (end / 1'000'000) - (from / 1'000'000);
    s.on_seconds += whole_seconds;
    if (faults_.sensor_error()) s.error_seconds += whole_seconds;
    s.used_kwh += static_cast<double>(s.power_kw) * hours;
    if (!faults_.has(MeterFaults::frozen_registers)) {
      const double forward = std::max(0.0F, s.flow_m3_per_h) * hours;
      const double sign = faults_.has(MeterFaults::registers_backwards) ? -1.0 : 1.0;
      s.energy_kwh += sign * static_cast<double>(s.power_kw) * hours;
      s.volume_m3 += forward;
      s.flow_temperature_integral += forward * s.supply_c;
      s.return_temperature_integral += forward * s.return_c;
    }
    if (end == next_month_) {
      roll_month(end);
      next_month_ = first_of_next_month(*station.calendar, end);
    }
    from = end;
  }
}

}  // namespace heatlink::sim
