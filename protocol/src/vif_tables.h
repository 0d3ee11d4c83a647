// The EN 13757-3 VIF tables as constexpr data, so that the record decoder reads them inline.
// Internal to heatlink::protocol; the public face is mbus_vif.h.
#pragma once

#include <array>

#include "heatlink/protocol/mbus_vif.h"

namespace heatlink::protocol::mbus::tables {

using Table = std::array<VifInfo, 128>;
using Q = Quantity;
using U = Unit;

constexpr void fill(Table& t, int first, int last, Q q, U u, int exponent_of_first,
                    VifKind kind = VifKind::value, bool bitfield = false) {
  for (int code = first; code <= last; ++code) {
    t[static_cast<std::size_t>(code)] =
        VifInfo{q, u, static_cast<std::int8_t>(exponent_of_first + code - first), kind, bitfield};
  }
}

constexpr void fill_one(Table& t, int code, Q q, U u = U::none, VifKind kind = VifKind::value,
                        bool bitfield = false) {
  t[static_cast<std::size_t>(code)] = VifInfo{q, u, 0, kind, bitfield};
}

// Four consecutive codes that differ only in their unit.
constexpr void fill_units(Table& t, int first, Q q, const U (&units)[4]) {
  for (int i = 0; i < 4; ++i) fill_one(t, first + i, q, units[i]);
}

// Durations coded in two bits: seconds to days, or hours to years.
constexpr U kShortDurations[4] = {U::s, U::min, U::h, U::d};
constexpr U kLongDurations[4] = {U::h, U::d, U::month, U::year};

constexpr Table make_primary() {
  Table t{};
  fill(t, 0x00, 0x07, Q::energy, U::wh, -3);
  fill(t, 0x08, 0x0F, Q::energy, U::j, 0);
  fill(t, 0x10, 0x17, Q::volume, U::m3, -6);
  fill(t, 0x18, 0x1F, Q::mass, U::kg, -3);
  fill_units(t, 0x20, Q::on_time, kShortDurations);
  fill_units(t, 0x24, Q::operating_time, kShortDurations);
  fill(t, 0x28, 0x2F, Q::power, U::w, -3);
  fill(t, 0x30, 0x37, Q::power, U::j_per_h, 0);
  fill(t, 0x38, 0x3F, Q::flow, U::m3_per_h, -6);
  fill(t, 0x40, 0x47, Q::flow, U::m3_per_min, -7);
  fill(t, 0x48, 0x4F, Q::flow, U::m3_per_s, -9);
  fill(t, 0x50, 0x57, Q::mass_flow, U::kg_per_h, -3);
  fill(t, 0x58, 0x5B, Q::flow_temperature, U::deg_c, -3);
  fill(t, 0x5C, 0x5F, Q::return_temperature, U::deg_c, -3);
  fill(t, 0x60, 0x63, Q::temperature_difference, U::kelvin, -3);
  fill(t, 0x64, 0x67, Q::external_temperature, U::deg_c, -3);
  fill(t, 0x68, 0x6B, Q::pressure, U::bar, -3);
  fill_one(t, 0x6C, Q::date, U::none, VifKind::time_point);
  fill_one(t, 0x6D, Q::datetime, U::none, VifKind::time_point);
  fill_one(t, 0x6E, Q::hca_units, U::hca);
  fill_units(t, 0x70, Q::averaging_duration, kShortDurations);
  fill_units(t, 0x74, Q::actuality_duration, kShortDurations);
  fill_one(t, 0x78, Q::fabrication_number, U::none, VifKind::value, true);
  fill_one(t, 0x79, Q::enhanced_identification, U::none, VifKind::value, true);
  fill_one(t, 0x7A, Q::bus_address, U::none, VifKind::value, true);
  fill_one(t, 0x7B, Q::reserved, U::none, VifKind::extension_fb);
  fill_one(t, 0x7C, Q::plain_text_unit, U::none, VifKind::text_unit);
  fill_one(t, 0x7D, Q::reserved, U::none, VifKind::extension_fd);
  fill_one(t, 0x7E, Q::any_vif, U::none, VifKind::any);
  fill_one(t, 0x7F, Q::manufacturer_specific, U::none, VifKind::manufacturer, true);
  return t;
}

constexpr Table make_fd() {
  Table t{};
  fill(t, 0x00, 0x03, Q::credit, U::currency, -3);
  fill(t, 0x04, 0x07, Q::debit, U::currency, -3);
  constexpr Q kIdentity[] = {Q::access_number,
                             Q::medium,
                             Q::manufacturer,
                             Q::parameter_set_id,
                             Q::model_version,
                             Q::hardware_version,
                             Q::firmware_version,
                             Q::software_version,
                             Q::customer_location,
                             Q::customer,
                             Q::access_code_user,
                             Q::access_code_operator,
                             Q::access_code_system_operator,
                             Q::access_code_developer,
                             Q::password,
                             Q::error_flags,
                             Q::error_mask};
  for (int i = 0; i < 17; ++i) fill_one(t, 0x08 + i, kIdentity[i], U::none, VifKind::value, true);
  fill_one(t, 0x1A, Q::digital_output, U::none, VifKind::value, true);
  fill_one(t, 0x1B, Q::digital_input, U::none, VifKind::value, true);
  fill_one(t, 0x1C, Q::baud_rate, U::baud);
  fill_one(t, 0x1D, Q::response_delay, U::bit_time);
  fill_one(t, 0x1E, Q::retry);
  fill_one(t, 0x1F, Q::remote_control, U::none, VifKind::value, true);
  fill_one(t, 0x20, Q::first_storage_number);
  fill_one(t, 0x21, Q::last_storage_number);
  fill_one(t, 0x22, Q::storage_block_size);
  fill_units(t, 0x24, Q::storage_interval, kShortDurations);
  fill_one(t, 0x28, Q::storage_interval, U::month);
  fill_one(t, 0x29, Q::storage_interval, U::year);
  fill_one(t, 0x2A, Q::operator_specific_data, U::none, VifKind::value, true);
  fill_one(t, 0x2B, Q::time_point_second, U::s);
  fill_units(t, 0x2C, Q::duration_since_readout, kShortDurations);
  fill_one(t, 0x30, Q::tariff_start, U::none, VifKind::time_point);
  fill_one(t, 0x31, Q::tariff_duration, U::min);
  fill_one(t, 0x32, Q::tariff_duration, U::h);
  fill_one(t, 0x33, Q::tariff_duration, U::d);
  fill_units(t, 0x34, Q::tariff_period, kShortDurations);
  fill_one(t, 0x38, Q::tariff_period, U::month);
  fill_one(t, 0x39, Q::tariff_period, U::year);
  fill_one(t, 0x3A, Q::dimensionless);
  fill(t, 0x40, 0x4F, Q::voltage, U::v, -9);
  fill(t, 0x50, 0x5F, Q::current, U::a, -12);
  fill_one(t, 0x60, Q::reset_counter);
  fill_one(t, 0x61, Q::cumulation_counter);
  fill_one(t, 0x62, Q::control_signal, U::none, VifKind::value, true);
  fill_one(t, 0x63, Q::day_of_week);
  fill_one(t, 0x64, Q::week_number);
  fill_one(t, 0x65, Q::day_change_time, U::none, VifKind::time_point);
  fill_one(t, 0x66, Q::parameter_activation_state, U::none, VifKind::value, true);
  fill_one(t, 0x67, Q::supplier_information, U::none, VifKind::value, true);
  fill_units(t, 0x68, Q::duration_since_cumulation, kLongDurations);
  fill_units(t, 0x6C, Q::battery_operating_time, kLongDurations);
  fill_one(t, 0x70, Q::battery_change_datetime, U::none, VifKind::time_point);
  fill_one(t, 0x71, Q::rf_level, U::dbm);
  fill_one(t, 0x72, Q::daylight_saving, U::none, VifKind::value, true);
  fill_one(t, 0x73, Q::listening_window, U::none, VifKind::value, true);
  fill_one(t, 0x74, Q::remaining_battery_days, U::d);
  fill_one(t, 0x75, Q::meter_stop_count);
  fill_one(t, 0x76, Q::manufacturer_container, U::none, VifKind::manufacturer, true);
  return t;
}

constexpr Table make_fb() {
  Table t{};
  fill(t, 0x00, 0x01, Q::energy, U::mwh, -1);
  fill(t, 0x02, 0x03, Q::reactive_energy, U::kvarh, 0);
  fill(t, 0x04, 0x05, Q::apparent_energy, U::kvah, 0);
  fill(t, 0x08, 0x09, Q::energy, U::gj, -1);
  fill(t, 0x0C, 0x0F, Q::energy, U::mcal, -1);
  fill(t, 0x10, 0x11, Q::volume, U::m3, 2);
  fill(t, 0x14, 0x17, Q::reactive_power, U::kvar, -3);
  fill(t, 0x18, 0x19, Q::mass, U::t, 2);
  fill(t, 0x1A, 0x1B, Q::relative_humidity, U::percent, -1);
  fill_one(t, 0x20, Q::volume, U::ft3);
  fill(t, 0x21, 0x21, Q::volume, U::ft3, -1);
  fill(t, 0x22, 0x23, Q::volume, U::us_gal, -1);
  fill(t, 0x24, 0x24, Q::flow, U::us_gal_per_min, -3);
  fill(t, 0x25, 0x25, Q::flow, U::us_gal_per_min, 0);
  fill(t, 0x26, 0x26, Q::flow, U::us_gal_per_h, 0);
  fill(t, 0x28, 0x29, Q::power, U::mw, -1);
  fill(t, 0x2A, 0x2A, Q::phase_voltage_voltage, U::degree, -1);
  fill(t, 0x2B, 0x2B, Q::phase_voltage_current, U::degree, -1);
  fill(t, 0x2C, 0x2F, Q::frequency, U::hz, -3);
  fill(t, 0x30, 0x31, Q::power, U::gj_per_h, -1);
  fill(t, 0x34, 0x37, Q::apparent_power, U::kva, -3);
  fill(t, 0x58, 0x5B, Q::flow_temperature, U::deg_f, -3);
  fill(t, 0x5C, 0x5F, Q::return_temperature, U::deg_f, -3);
  fill(t, 0x60, 0x63, Q::temperature_difference, U::deg_f_delta, -3);
  fill(t, 0x64, 0x67, Q::external_temperature, U::deg_f, -3);
  fill(t, 0x70, 0x73, Q::temperature_limit, U::deg_f, -3);
  fill(t, 0x74, 0x77, Q::temperature_limit, U::deg_c, -3);
  fill(t, 0x78, 0x7F, Q::cumulative_max_power, U::w, -3);
  return t;
}

inline constexpr Table kPrimary = make_primary();
inline constexpr Table kFd = make_fd();
inline constexpr Table kFb = make_fb();

}  // namespace heatlink::protocol::mbus::tables

namespace heatlink::protocol::mbus::tables {

// Everything the decoder needs for a primary VIF without extension bit holding a number:
// the normalised unit and the decimal shift and factor that bring the value there.
struct PlainVif {
  VifInfo info;
  Unit normalised = Unit::none;
  std::int8_t shift = 0;  // info.exponent plus the normalisation's power of ten
  bool plain = false;     // usable by the fast path
  bool exact = true;      // factor 1 and offset 0: the value is a scaled decimal
  double factor = 1.0;
  double offset = 0.0;
};

inline constexpr auto kPlainVifs = [] {
  std::array<PlainVif, 128> t{};
  for (std::size_t code = 0; code < t.size(); ++code) {
    const VifInfo& info = kPrimary[code];
    const Normalisation n = normalisation(info.unit);
    t[code] = PlainVif{info,
                       n.to,
                       static_cast<std::int8_t>(info.exponent + n.shift),
                       info.kind == VifKind::value,
                       n.factor == 1.0 && n.offset == 0.0,
                       n.factor,
                       n.offset};
  }
  return t;
}();

}  // namespace heatlink::protocol::mbus::tables
