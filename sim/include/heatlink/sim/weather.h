// Outdoor temperature and the heat station's heating curve.
#pragma once

#include <utility>
#include <vector>

#include "heatlink/sim/calendar.h"

namespace heatlink::sim {

// Seasonal cosine plus a daily swing, or a table of (virtual time, degC) points between which
// the temperature is interpolated linearly.
struct WeatherProfile {
  double annual_mean = 11.0;       // degC (northern China: Beijing ~12, Harbin ~4)
  double annual_amplitude = 16.0;  // K: the coldest day's mean is annual_mean - this
  int coldest_day_of_year = 20;    // late January
  double daily_amplitude = 4.0;    // K: coldest at 04:00, warmest at 16:00
  std::vector<std::pair<Micros, double>> table;

  double outdoor_temperature(Micros t, const Calendar& calendar) const noexcept;
};

// Supply temperature of a heat station's secondary network as a function of the outdoor
// temperature: linear between two design points, clamped outside them.
struct HeatingCurve {
  double design_outdoor = -15.0;  // degC
  double design_supply = 85.0;    // degC at design_outdoor
  double mild_outdoor = 15.0;     // degC
  double mild_supply = 40.0;      // degC at mild_outdoor

  double supply_temperature(double outdoor) const noexcept;
};

}  // namespace heatlink::sim
