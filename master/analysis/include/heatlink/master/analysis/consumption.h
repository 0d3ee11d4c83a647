// Consumption from register readings: the day, month, quarter, year and heating-season figures
// heating is billed on (REFERENCE.md section 7), per meter and rolled up.
//
// A period's consumption is the register at its end minus the register at its start. A
// boundary with no reading exactly on it is interpolated linearly between the readings around
// it (and flagged); a boundary outside the readings leaves the period incomplete. Registers
// are first made continuous: a register that wraps past its rollover value, and a meter
// replaced by another with a different starting register, do not read as negative use. Nor
// does any other fall of a register (a replacement nobody filed, a faulty register): the
// figure of a period across it counts nothing for the time between the readings around the
// fall, and is marked suspect - a lower bound that billing must not take as it is.
// Pure functions: no I/O, no clock.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace heatlink::master {

using EpochSeconds = std::int64_t;

struct RegisterSample {
  EpochSeconds at = 0;
  double energy_kwh = 0;
  std::optional<double> volume_m3;
};

// At `at` the meter was swapped: the old one's last register and the new one's first.
struct MeterReplacement {
  EpochSeconds at = 0;
  double old_final_kwh = 0;
  double new_start_kwh = 0;
  std::optional<double> old_final_m3;
  std::optional<double> new_start_m3;
};

enum class Period : std::uint8_t { day, month, quarter, year, heating_season };
const char* period_name(Period period) noexcept;

struct ConsumptionOptions {
  int utc_offset_s = 8 * 3600;  // the heat company's local time (China: UTC+8)
  double rollover_kwh = 0;      // the energy register wraps to 0 here (0: never)
  double rollover_m3 = 0;
  // The heating season, in local time: from start_month/start_day to end_month/end_day of the
  // next year (northern China: 15 November to 15 March).
  int season_start_month = 11, season_start_day = 15;
  int season_end_month = 3, season_end_day = 15;
  std::vector<MeterReplacement> replacements;
};

struct PeriodConsumption {
  EpochSeconds start = 0;            // inclusive
  EpochSeconds end = 0;              // exclusive
  std::optional<double> energy_kwh;  // empty: a boundary lies outside the readings
  std::optional<double> volume_m3;
  bool interpolated = false;  // a boundary was estimated between two readings
  // A register fell inside the period with no replacement filed for it: the figure bridges
  // the fall (never negative) and is at most what was used.
  bool suspect = false;
};

// The periods of `period` kind that overlap [from, to), in local time, in order.
std::vector<std::pair<EpochSeconds, EpochSeconds>> periods(Period period, EpochSeconds from,
                                                           EpochSeconds to,
                                                           const ConsumptionOptions& options);

// One meter's consumption in each period of [from, to). `samples` in any order.
std::vector<PeriodConsumption> consumption(std::span<const RegisterSample> samples, Period period,
                                           EpochSeconds from, EpochSeconds to,
                                           const ConsumptionOptions& options = {});

// The sum over meters, period by period (each input as consumption() returns it for the same
// period kind and range). A period is complete only when every meter's is; interpolated and
// suspect when any is. `incomplete` counts the meters missing per period, `suspect` those
// whose figure is suspect.
struct RolledUp {
  PeriodConsumption total;
  std::size_t meters = 0;
  std::size_t incomplete = 0;
  std::size_t suspect = 0;
};
std::vector<RolledUp> roll_up(std::span<const std::vector<PeriodConsumption>> per_meter);

}  // namespace heatlink::master
