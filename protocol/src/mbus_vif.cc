#include "heatlink/protocol/mbus_vif.h"

#include "vif_tables.h"

namespace heatlink::protocol::mbus {
VifInfo primary_vif(std::uint8_t vif) noexcept {
  return tables::kPrimary[vif & 0x7F];
}
VifInfo fb_vif(std::uint8_t code) noexcept {
  return tables::kFb[code & 0x7F];
}
VifInfo fd_vif(std::uint8_t code) noexcept {
  return tables::kFd[code & 0x7F];
}

int vife_exponent(std::uint8_t code) noexcept {
  code &= 0x7F;
  if (code >= 0x70 && code <= 0x77) return (code & 0x07) - 6;  // multiplicative 10^(nnn-6)
  if (code >= 0x78 && code <= 0x7B) return (code & 0x03) - 3;  // additive constant 10^(nn-3)
  if (code == 0x7D) return 3;                                  // multiplicative 10^3
  return 0;
}

bool vife_makes_time_point(std::uint8_t code) noexcept {
  code &= 0x7F;
  switch (code) {
    case 0x39:  // start date(/time) of
    case 0x42:
    case 0x43:
    case 0x46:
    case 0x47:
    case 0x4A:
    case 0x4B:
    case 0x4E:
    case 0x4F:  // date of limit exceed
    case 0x6A:
    case 0x6B:
    case 0x6E:
    case 0x6F:  // date of begin/end
      return true;
    default:
      return false;
  }
}

const char* combinable_vife_name(std::uint8_t code) noexcept {
  code &= 0x7F;
  if (code <= 0x1F) return "record_error";
  if (code >= 0x70 && code <= 0x77) return "multiplicative_correction";
  if (code >= 0x78 && code <= 0x7B) return "additive_correction";
  if (code >= 0x50 && code <= 0x5F) return "duration_of_limit_exceed";
  if (code >= 0x60 && code <= 0x67) return "duration_of";
  switch (code) {
    case 0x20:
      return "per_second";
    case 0x21:
      return "per_minute";
    case 0x22:
      return "per_hour";
    case 0x23:
      return "per_day";
    case 0x24:
      return "per_week";
    case 0x25:
      return "per_month";
    case 0x26:
      return "per_year";
    case 0x27:
      return "per_revolution";
    case 0x28:
    case 0x29:
      return "increment_per_input_pulse";
    case 0x2A:
    case 0x2B:
      return "increment_per_output_pulse";
    case 0x2C:
      return "per_litre";
    case 0x2D:
      return "per_m3";
    case 0x2E:
      return "per_kg";
    case 0x2F:
      return "per_kelvin";
    case 0x30:
      return "per_kwh";
    case 0x31:
      return "per_gj";
    case 0x32:
      return "per_kw";
    case 0x33:
      return "per_kelvin_litre";
    case 0x34:
      return "per_volt";
    case 0x35:
      return "per_ampere";
    case 0x36:
      return "multiplied_by_second";
    case 0x37:
      return "multiplied_by_second_per_volt";
    case 0x38:
      return "multiplied_by_second_per_ampere";
    case 0x39:
      return "start_date_of";
    case 0x3A:
      return "uncorrected_unit";
    case 0x3B:
      return "accumulation_if_positive";
    case 0x3C:
      return "accumulation_if_negative";
    case 0x3D:
      return "non_metric_units";
    case 0x3E:
      return "value_at_base_conditions";
    case 0x3F:
      return "obis_declaration";
    case 0x40:
      return "lower_limit";
    case 0x48:
      return "upper_limit";
    case 0x41:
      return "lower_limit_exceed_count";
    case 0x49:
      return "upper_limit_exceed_count";
    case 0x42:
    case 0x43:
    case 0x46:
    case 0x47:
      return "date_of_lower_limit_exceed";
    case 0x4A:
    case 0x4B:
    case 0x4E:
    case 0x4F:
      return "date_of_upper_limit_exceed";
    case 0x68:
      return "value_during_lower_limit_exceed";
    case 0x6C:
      return "value_during_upper_limit_exceed";
    case 0x6A:
    case 0x6B:
    case 0x6E:
    case 0x6F:
      return "date_of";
    case 0x7D:
      return "multiplicative_correction";
    case 0x7E:
      return "future_value";
    case 0x7F:
      return "manufacturer_specific";
    default:
      return "reserved";
  }
}

}  // namespace heatlink::protocol::mbus
