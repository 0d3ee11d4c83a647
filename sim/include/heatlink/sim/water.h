// Properties of water between 0 and 150 degC, as a heat meter's calculator uses them.
#pragma once

namespace heatlink::sim::water {

// Density in kg/m3 (Kell's formula, 0-150 degC at atmospheric pressure).
inline double density(double celsius) noexcept {
  const double t = celsius;
  return (999.83952 + 16.945176 * t - 7.9870401e-3 * t * t - 46.170461e-6 * t * t * t +
          105.56302e-9 * t * t * t * t - 280.54253e-12 * t * t * t * t * t) /
         (1.0 + 16.879850e-3 * t);
}

// Specific heat capacity in kJ/(kg K), a polynomial fit valid for 0-100 degC.
inline double heat_capacity(double celsius) noexcept {
  const double t = celsius;
  return 4.2174 - 3.720283e-3 * t + 1.412855e-4 * t * t - 2.654387e-6 * t * t * t +
         2.093236e-8 * t * t * t * t;
}

// Thermal power in kW of `flow_m3_per_h` measured at `flow_sensor_celsius`, cooled from
// `supply` to `return_`: q * rho(theta_sensor) * c(mean theta) * dT.
inline double power_kw(double flow_m3_per_h, double supply, double return_,
                       double flow_sensor_celsius) noexcept {
  const double mass_kg_per_s = flow_m3_per_h / 3600.0 * density(flow_sensor_celsius);
  return mass_kg_per_s * heat_capacity((supply + return_) / 2) * (supply - return_);
}

}  // namespace heatlink::sim::water
