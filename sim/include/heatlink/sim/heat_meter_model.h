// The physics behind a simulated household heat meter.
//
// A household sits behind a heat station whose supply temperature follows a heating curve of
// the outdoor temperature. Its heat demand follows the indoor-outdoor difference, the
// household's occupancy and the hour of day; the flow follows the demand (and the valve); the
// return temperature follows the heat drawn. The meter integrates q * rho * c(theta) * dT into
// its energy register and q into its volume register, exactly as its instantaneous power and
// flow say, so registers and instantaneous values agree.
//
// Conditions are constant over fixed steps aligned to multiples of kStep, so the state at a
// time does not depend on when (or how often) the meter was read: one seed, one history.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <utility>

#include "heatlink/sim/calendar.h"
#include "heatlink/sim/event_queue.h"
#include "heatlink/sim/random.h"
#include "heatlink/sim/weather.h"

namespace heatlink::sim {

// The heat station the meter's household hangs on: weather, heating curve and calendar.
struct HeatStation {
  const Calendar* calendar = nullptr;
  const WeatherProfile* weather = nullptr;
  HeatingCurve curve;
  bool heating_on = true;  // outside the heating season the station circulates, but cold

  double outdoor(Micros t) const noexcept { return weather->outdoor_temperature(t, *calendar); }
  double supply(Micros t) const noexcept;
};

struct Household {
  float heat_loss_kw_per_k = 0.1F;  // the flat's heat loss coefficient
  float indoor_setpoint = 20.0F;    // degC
  float design_delta_t = 20.0F;     // K of cooling at the design load
  float design_load_kw = 3.5F;      // load at the design outdoor temperature
  float occupancy = 1.0F;           // 1 lived in, ~0.2 an empty flat kept from freezing

  // A plausible flat, drawn from the meter's own stream.
  static Household draw(RandomStream& random) noexcept;
};

// Physical fault knobs (link-level faults live on the bus side).
struct MeterFaults {
  enum : std::uint16_t {
    supply_sensor_open = 1 << 0,
    supply_sensor_short = 1 << 1,
    return_sensor_open = 1 << 2,
    return_sensor_short = 1 << 3,
    low_battery = 1 << 4,
    air_in_flow_sensor = 1 << 5,
    reverse_flow = 1 << 6,
    frozen_registers = 1 << 7,
    valve_stuck = 1 << 8,
    registers_backwards = 1 << 9,  // the energy register counts down (a firmware fault)
  };
  std::uint16_t flags = 0;
  float leak_m3_per_h = 0;    // extra flow through the meter (leak or burst downstream)
  float clock_drift_ppm = 0;  // the meter's clock runs fast (positive) or slow

  bool has(std::uint16_t flag) const noexcept { return (flags & flag) != 0; }
  bool sensor_error() const noexcept { return (flags & 0x0F) != 0; }
};

// The physical faults by the names topology files and the control API use.
inline constexpr std::array<std::pair<std::string_view, std::uint16_t>, 10> kPhysicalFaultNames = {{
    {"supply_sensor_open", MeterFaults::supply_sensor_open},
    {"supply_sensor_short", MeterFaults::supply_sensor_short},
    {"return_sensor_open", MeterFaults::return_sensor_open},
    {"return_sensor_short", MeterFaults::return_sensor_short},
    {"low_battery", MeterFaults::low_battery},
    {"air_in_flow_sensor", MeterFaults::air_in_flow_sensor},
    {"reverse_flow", MeterFaults::reverse_flow},
    {"frozen_registers", MeterFaults::frozen_registers},
    {"valve_stuck", MeterFaults::valve_stuck},
    {"registers_backwards", MeterFaults::registers_backwards},
}};

// What the meter holds and shows.
struct MeterState {
  double energy_kwh = 0;
  double volume_m3 = 0;
  // The heat the household took since the model started, whatever the register shows (set by
  // hand, reset, frozen, running backwards): the truth billing figures are checked against.
  double used_kwh = 0;
  double flow_temperature_integral = 0;    // m3 * degC, Kamstrup's "TA2"-style integral
  double return_temperature_integral = 0;  // m3 * degC
  std::int64_t on_seconds = 0;             // powered
  std::int64_t error_seconds = 0;          // with an error present
  // Instantaneous values, constant over the current step.
  float flow_m3_per_h = 0;
  float power_kw = 0;
  float supply_c = 0;
  float return_c = 0;
  float max_power_kw = 0;
  float max_flow_m3_per_h = 0;
  // Billing-date (storage 1) values: taken at 00:00 on the first of each month.
  double billing_energy_kwh = 0;
  double billing_volume_m3 = 0;
  Micros billing_time = 0;
  // The last 12 month-end energy values, most recent first (CJ/T 188 D120-D12B).
  std::array<float, 12> month_end_kwh{};
};

class HeatMeterModel {
 public:
  static constexpr Micros kStep = minutes(5);

  HeatMeterModel(const Household& household, Micros start, double initial_energy_kwh = 0,
                 double initial_volume_m3 = 0);

  // Integrates up to `t` (no-op when t is not later than the last update).
  void advance(Micros t, const HeatStation& station);

  const MeterState& state() const noexcept { return state_; }
  const MeterFaults& faults() const noexcept { return faults_; }
  // Takes effect at once: the current step's conditions are recomputed with the new faults.
  void set_faults(const MeterFaults& faults) noexcept;
  Micros updated() const noexcept { return updated_; }

  // The motorised valve (CJ/T 188 meters): the valve reaches `open` after `travel`.
  void command_valve(bool open, Micros now, Micros travel);
  // Where the valve is at `now`: its target once it has arrived, where it was before that.
  bool valve_open(Micros now) const noexcept;
  bool valve_moving(Micros now) const noexcept { return now < valve_arrives_; }

  // The meter's own clock, with its drift.
  Micros meter_time(Micros t) const noexcept;
  void set_meter_time(Micros t, Micros meter_time) noexcept;

  // Register manipulation knobs: a reset to zero, or a step backwards.
  void reset_registers() noexcept;
  void step_energy(double delta_kwh) noexcept { state_.energy_kwh += delta_kwh; }

 private:
  void integrate(Micros from, Micros to, const HeatStation& station);
  void conditions_at(Micros step_start, const HeatStation& station);
  void roll_month(Micros boundary);

  Household household_;
  MeterFaults faults_;
  MeterState state_;
  Micros updated_;
  Micros next_month_ = -1;       // the next 1st of the month, 00:00 (-1: not known yet)
  Micros conditions_step_ = -1;  // the step whose conditions the instantaneous values hold
  Micros valve_arrives_ = 0;
  Micros clock_set_at_ = 0;   // true time when the meter clock was last set
  Micros clock_offset_ = 0;   // meter clock minus true time, when it was set
  bool valve_open_ = true;    // before valve_arrives_
  bool valve_target_ = true;  // from valve_arrives_ on
};

}  // namespace heatlink::sim
