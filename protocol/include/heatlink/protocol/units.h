// Units and quantities of decoded values, and their normalisation (DESIGN.md rule 8).
//
// Every decoded number keeps its telegram's own unit and decimal exponent; normalise() gives
// the same value in the fixed set: energy kWh, volume m3, mass kg, power kW, flow m3/h,
// temperature degC, temperature difference K, pressure bar, time s.
#pragma once

#include <cstdint>

namespace heatlink::protocol {

#define HEATLINK_UNITS(X)                                                                    \
  X(none, "")                                                                                \
  X(wh, "Wh") X(j, "J") X(kj, "kJ") X(mj, "MJ") X(kwh, "kWh") X(mwh, "MWh") X(gj, "GJ")        \
  X(mcal, "MCal") X(kvarh, "kVARh") X(kvah, "kVAh")                                          \
  X(m3, "m3") X(l, "l") X(ml, "ml") X(ft3, "ft3") X(us_gal, "US gal")                         \
  X(kg, "kg") X(t, "t")                                                                      \
  X(w, "W") X(kw, "kW") X(mw, "MW") X(j_per_h, "J/h") X(kj_per_h, "kJ/h") X(mj_per_h, "MJ/h") \
  X(gj_per_h, "GJ/h") X(kvar, "kVAR") X(kva, "kVA")                                          \
  X(m3_per_h, "m3/h") X(m3_per_min, "m3/min") X(m3_per_s, "m3/s") X(l_per_h, "l/h")          \
  X(ml_per_h, "ml/h") X(us_gal_per_min, "US gal/min") X(us_gal_per_h, "US gal/h")            \
  X(kg_per_h, "kg/h")                                                                        \
  X(deg_c, "degC") X(deg_f, "degF") X(kelvin, "K") X(deg_f_delta, "degF")                    \
  X(bar, "bar")                                                                              \
  X(s, "s") X(min, "min") X(h, "h") X(d, "d") X(month, "month") X(year, "year")              \
  X(v, "V") X(a, "A") X(hz, "Hz") X(percent, "%") X(dbm, "dBm") X(degree, "deg")             \
  X(currency, "currency") X(bit_time, "bit times") X(baud, "Bd") X(hca, "HCA")

enum class Unit : std::uint8_t {
#define HEATLINK_UNIT_ENUM(id, text) id,
  HEATLINK_UNITS(HEATLINK_UNIT_ENUM)
#undef HEATLINK_UNIT_ENUM
};

const char* unit_name(Unit unit) noexcept;

#define HEATLINK_QUANTITIES(X)                                                                 \
  X(unknown) X(energy) X(volume) X(mass) X(on_time) X(operating_time) X(power) X(flow)         \
  X(mass_flow) X(flow_temperature) X(return_temperature) X(temperature_difference)             \
  X(external_temperature) X(pressure) X(date) X(datetime) X(time) X(hca_units)                 \
  X(averaging_duration) X(actuality_duration) X(fabrication_number)                            \
  X(enhanced_identification) X(bus_address) X(plain_text_unit) X(any_vif)                      \
  X(manufacturer_specific) X(reserved)                                                         \
  X(credit) X(debit) X(access_number) X(medium) X(manufacturer) X(parameter_set_id)            \
  X(model_version) X(hardware_version) X(firmware_version) X(software_version)                 \
  X(customer_location) X(customer) X(access_code_user) X(access_code_operator)                 \
  X(access_code_system_operator) X(access_code_developer) X(password) X(error_flags)           \
  X(error_mask) X(digital_output) X(digital_input) X(baud_rate) X(response_delay) X(retry)     \
  X(remote_control) X(first_storage_number) X(last_storage_number) X(storage_block_size)       \
  X(storage_interval) X(operator_specific_data) X(time_point_second)                           \
  X(duration_since_readout) X(tariff_start) X(tariff_duration) X(tariff_period)                \
  X(dimensionless) X(voltage) X(current) X(reset_counter) X(cumulation_counter)                \
  X(control_signal) X(day_of_week) X(week_number) X(day_change_time)                           \
  X(parameter_activation_state) X(supplier_information) X(duration_since_cumulation)           \
  X(battery_operating_time) X(battery_change_datetime) X(rf_level) X(daylight_saving)          \
  X(listening_window) X(remaining_battery_days) X(meter_stop_count) X(manufacturer_container)  \
  X(reactive_energy) X(apparent_energy) X(reactive_power) X(apparent_power)                    \
  X(relative_humidity) X(frequency) X(phase_voltage_voltage) X(phase_voltage_current)          \
  X(temperature_limit) X(cumulative_max_power) X(valve_position) X(settlement_day)             \
  X(reading_day)

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

Normalisation normalisation(Unit from) noexcept;

// mantissa * 10^exponent, computed so that decimal values are as exact as a double allows.
double scale_decimal(double mantissa, int exponent) noexcept;

// The normalised value and unit of mantissa * 10^exponent `from`.
double normalise(double mantissa, int exponent, Unit from, Unit* to) noexcept;

}  // namespace heatlink::protocol
