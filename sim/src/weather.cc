#include "heatlink/sim/weather.h"

#include <algorithm>
#include <cmath>

namespace heatlink::sim {

double WeatherProfile::outdoor_temperature(Micros t, const Calendar& calendar) const noexcept {
  if (!table.empty()) {
    if (t <= table.front().first) return table.front().second;
    if (t >= table.back().first) return table.back().second;
    const auto after = std::upper_bound(table.begin(), table.end(), t,
                                        [](Micros x, const auto& p) { return x < p.first; });
    const auto& [t1, v1] = *after;
    const auto& [t0, v0] = *(after - 1);
    return v0 + (v1 - v0) * static_cast<double>(t - t0) / static_cast<double>(t1 - t0);
  }
  const CivilTime c = calendar.at(t);
  const double day = c.day_of_year + c.hour_of_day() / 24.0;
  const double seasonal =
      annual_mean - annual_amplitude * std::cos(2 * M_PI * (day - coldest_day_of_year) / 365.25);
  const double daily = -daily_amplitude * std::cos(2 * M_PI * (c.hour_of_day() - 4.0) / 24.0);
  return seasonal + daily;
}

double HeatingCurve::supply_temperature(double outdoor) const noexcept {
  const double x = std::clamp(outdoor, design_outdoor, mild_outdoor);
  return design_supply +
         (mild_supply - design_supply) * (x - design_outdoor) / (mild_outdoor - design_outdoor);
}

}  // namespace heatlink::sim
