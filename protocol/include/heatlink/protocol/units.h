// Units and quantities of decoded values, and their normalisation (DESIGN.md rule 8).
//
// Every decoded number keeps its telegram's own unit and decimal exponent; normalise() gives
// the same value in the fixed set: energy kWh, volume m3, mass kg, power kW, flow m3/h,
// temperature degC, temperature difference K, pressure bar, time s.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace heatlink::protocol {

// clang-format off
#define HEATLINK_UNITS(X)                                                                  \
  X(none, "")                                                                              \
  X(wh, "Wh") X(j, "J") X(kj, "kJ") X(mj, "MJ") X(kwh, "kWh") X(mwh, "MWh") X(gj, "GJ")      \
  X(mcal, "MCal") X(kvarh, "kVARh") X(kvah, "kVAh")                                        \
  X(m3, "m3") X(l, "l") X(ml, "ml") X(ft3, "ft3") X(us_gal, "US gal")                       \
  X(kg, "kg") X(t, "t")                                                                    \
  X(w, "W") X(kw, "kW") X(mw, "MW") X(j_per_h, "J/h") X(kj_per_h, "kJ/h")                   \
  X(mj_per_h, "MJ/h") X(gj_per_h, "GJ/h") X(kvar, "kVAR") X(kva, "kVA")                     \
  X(m3_per_h, "m3/h") X(m3_per_min, "m3/min") X(m3_per_s, "m3/s") X(l_per_h, "l/h")        \
  X(ml_per_h, "ml/h") X(us_gal_per_min, "US gal/min") X(us_gal_per_h, "US gal/h")          \
  X(kg_per_h, "kg/h")                                                                      \
  X(deg_c, "degC") X(deg_f, "degF") X(kelvin, "K") X(deg_f_delta, "degF")                  \
  X(bar, "bar")                                                                            \
  X(s, "s") X(min, "min") X(h, "h") X(d, "d") X(month, "month") X(year, "year")            \
  X(v, "V") X(a, "A") X(hz, "Hz") X(percent, "%") X(dbm, "dBm") X(degree, "deg")           \
  X(currency, "currency") X(bit_time, "bit times") X(baud, "Bd") X(hca, "HCA")
// clang-format on

enum class Unit : std::uint8_t {
#define HEATLINK_UNIT_ENUM(id, text) id,
  HEATLINK_UNITS(HEATLINK_UNIT_ENUM)
#undef HEATLINK_UNIT_ENUM
};

const char* unit_name(Unit unit) noexcept;

// clang-format off
#define HEATLINK_QUANTITIES(X)                                                             \
  X(unknown) X(energy) X(volume) X(mass) X(on_time) X(operating_time) X(power) X(flow)     \
  X(mass_flow) X(flow_temperature) X(return_temperature) X(temperature_difference)         \
  X(external_temperature) X(pressure) X(date) X(datetime) X(time) X(hca_units)             \
  X(averaging_duration) X(actuality_duration) X(fabrication_number)                        \
  X(enhanced_identification) X(bus_address) X(plain_text_unit) X(any_vif)                  \
  X(manufacturer_specific) X(reserved) X(credit) X(debit) X(access_number) X(medium)       \
  X(manufacturer) X(parameter_set_id) X(model_version) X(hardware_version)                 \
  X(firmware_version) X(software_version) X(customer_location) X(customer)                 \
  X(access_code_user) X(access_code_operator) X(access_code_system_operator)               \
  X(access_code_developer) X(password) X(error_flags) X(error_mask) X(digital_output)      \
  X(digital_input) X(baud_rate) X(response_delay) X(retry) X(remote_control)               \
  X(first_storage_number) X(last_storage_number) X(storage_block_size)                     \
  X(storage_interval) X(operator_specific_data) X(time_point_second)                       \
  X(duration_since_readout) X(tariff_start) X(tariff_duration) X(tariff_period)            \
  X(dimensionless) X(voltage) X(current) X(reset_counter) X(cumulation_counter)            \
  X(control_signal) X(day_of_week) X(week_number) X(day_change_time)                       \
  X(parameter_activation_state) X(supplier_information) X(duration_since_cumulation)       \
  X(battery_operating_time) X(battery_change_datetime) X(rf_level) X(daylight_saving)      \
  X(listening_window) X(remaining_battery_days) X(meter_stop_count)                        \
  X(manufacturer_container) X(reactive_energy) X(apparent_energy) X(reactive_power)        \
  X(apparent_power) X(relative_humidity) X(frequency) X(phase_voltage_voltage)             \
  X(phase_voltage_current) X(temperature_limit) X(cumulative_max_power)                    \
  X(valve_position) X(settlement_day) X(reading_day)
// clang-format on

enum class Quantity : std::uint8_t {
#define HEATLINK_QUANTITY_ENUM(id) id,
  HEATLINK_QUANTITIES(HEATLINK_QUANTITY_ENUM)
#undef HEATLINK_QUANTITY_ENUM
};

const char* quantity_name(Quantity quantity) noexcept;

// How to bring a value in `from` into the fixed set: normalised = scaled * factor + offset,
// where scaled is the value with its decimal exponent plus `shift` applied. Powers of ten
// travel in `shift` so that exact decimal values stay exact.
struct Normalisation {
  Unit to = Unit::none;
  int shift = 0;
  double factor = 1.0;
  double offset = 0.0;
};

constexpr Normalisation normalisation(Unit from) noexcept {
  constexpr double kWhPerJ = 1.0 / 3.6e6;
  constexpr double kM3PerUsGal = 0.003785411784;
  switch (from) {
    case Unit::wh:
      return {Unit::kwh, -3};
    case Unit::j:
      return {Unit::kwh, 0, kWhPerJ};
    case Unit::kj:
      return {Unit::kwh, 3, kWhPerJ};
    case Unit::mj:
      return {Unit::kwh, 6, kWhPerJ};
    case Unit::gj:
      return {Unit::kwh, 9, kWhPerJ};
    case Unit::mwh:
      return {Unit::kwh, 3};
    case Unit::mcal:
      return {Unit::kwh, 0, 1.163};
    case Unit::l:
      return {Unit::m3, -3};
    case Unit::ml:
      return {Unit::m3, -6};
    case Unit::ft3:
      return {Unit::m3, 0, 0.028316846592};
    case Unit::us_gal:
      return {Unit::m3, 0, kM3PerUsGal};
    case Unit::t:
      return {Unit::kg, 3};
    case Unit::w:
      return {Unit::kw, -3};
    case Unit::mw:
      return {Unit::kw, 3};
    case Unit::j_per_h:
      return {Unit::kw, 0, kWhPerJ};
    case Unit::kj_per_h:
      return {Unit::kw, 3, kWhPerJ};
    case Unit::mj_per_h:
      return {Unit::kw, 6, kWhPerJ};
    case Unit::gj_per_h:
      return {Unit::kw, 9, kWhPerJ};
    case Unit::m3_per_min:
      return {Unit::m3_per_h, 0, 60.0};
    case Unit::m3_per_s:
      return {Unit::m3_per_h, 0, 3600.0};
    case Unit::l_per_h:
      return {Unit::m3_per_h, -3};
    case Unit::ml_per_h:
      return {Unit::m3_per_h, -6};
    case Unit::us_gal_per_min:
      return {Unit::m3_per_h, 0, kM3PerUsGal * 60.0};
    case Unit::us_gal_per_h:
      return {Unit::m3_per_h, 0, kM3PerUsGal};
    case Unit::deg_f:
      return {Unit::deg_c, 0, 5.0 / 9.0, -32.0 * 5.0 / 9.0};
    case Unit::deg_f_delta:
      return {Unit::kelvin, 0, 5.0 / 9.0};
    case Unit::min:
      return {Unit::s, 0, 60.0};
    case Unit::h:
      return {Unit::s, 0, 3600.0};
    case Unit::d:
      return {Unit::s, 0, 86400.0};
    default:
      return {from};
  }
}

namespace detail {
inline constexpr std::array<double, 23> kPow10 = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                                  1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                                  1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
}  // namespace detail

// mantissa * 10^exponent, computed so that decimal values are as exact as a double allows.
inline double scale_decimal(double mantissa, int exponent) noexcept {
  // Dividing by an exact power of ten rounds once; multiplying by 0.01 would round twice.
  if (exponent >= 0 && exponent <= 22)
    return mantissa * detail::kPow10[static_cast<std::size_t>(exponent)];
  if (exponent < 0 && exponent >= -22)
    return mantissa / detail::kPow10[static_cast<std::size_t>(-exponent)];
  while (exponent > 22) {
    mantissa *= 1e22;
    exponent -= 22;
  }
  while (exponent < -22) {
    mantissa /= 1e22;
    exponent += 22;
  }
  const auto i = static_cast<std::size_t>(exponent < 0 ? -exponent : exponent);
  return exponent < 0 ? mantissa / detail::kPow10[i] : mantissa * detail::kPow10[i];
}

namespace detail {
inline constexpr std::size_t kUnitCount = static_cast<std::size_t>(Unit::hca) + 1;
inline constexpr auto kNormalisations = [] {
  std::array<Normalisation, kUnitCount> table{};
  for (std::size_t i = 0; i < kUnitCount; ++i) table[i] = normalisation(static_cast<Unit>(i));
  return table;
}();
}  // namespace detail

// The normalised value and unit of mantissa * 10^exponent `from`.
inline double normalise(double mantissa, int exponent, Unit from, Unit* to) noexcept {
  const Normalisation& n = detail::kNormalisations[static_cast<std::size_t>(from)];
  if (to != nullptr) *to = n.to;
  const double scaled = scale_decimal(mantissa, exponent + n.shift);
  if (n.factor == 1.0 && n.offset == 0.0) return scaled;
  return scaled * n.factor + n.offset;
}

}  // namespace heatlink::protocol
