#include "heatlink/protocol/units.h"

#include <array>

namespace heatlink::protocol {

const char* unit_name(Unit unit) noexcept {
  static constexpr const char* kNames[] = {
#define HEATLINK_UNIT_NAME(id, text) text,
      HEATLINK_UNITS(HEATLINK_UNIT_NAME)
#undef HEATLINK_UNIT_NAME
  };
  const auto i = static_cast<std::size_t>(unit);
  return i < std::size(kNames) ? kNames[i] : "";
}

const char* quantity_name(Quantity quantity) noexcept {
  static constexpr const char* kNames[] = {
#define HEATLINK_QUANTITY_NAME(id) #id,
      HEATLINK_QUANTITIES(HEATLINK_QUANTITY_NAME)
#undef HEATLINK_QUANTITY_NAME
  };
  const auto i = static_cast<std::size_t>(quantity);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

Normalisation normalisation(Unit from) noexcept {
  constexpr double kWhPerJ = 1.0 / 3.6e6;
  constexpr double kM3PerUsGal = 0.003785411784;
  switch (from) {
    case Unit::wh: return {Unit::kwh, -3};
    case Unit::j: return {Unit::kwh, 0, kWhPerJ};
    case Unit::kj: return {Unit::kwh, 3, kWhPerJ};
    case Unit::mj: return {Unit::kwh, 6, kWhPerJ};
    case Unit::gj: return {Unit::kwh, 9, kWhPerJ};
    case Unit::mwh: return {Unit::kwh, 3};
    case Unit::mcal: return {Unit::kwh, 0, 1.163};
    case Unit::l: return {Unit::m3, -3};
    case Unit::ml: return {Unit::m3, -6};
    case Unit::ft3: return {Unit::m3, 0, 0.028316846592};
    case Unit::us_gal: return {Unit::m3, 0, kM3PerUsGal};
    case Unit::t: return {Unit::kg, 3};
    case Unit::w: return {Unit::kw, -3};
    case Unit::mw: return {Unit::kw, 3};
    case Unit::j_per_h: return {Unit::kw, 0, kWhPerJ};
    case Unit::kj_per_h: return {Unit::kw, 3, kWhPerJ};
    case Unit::mj_per_h: return {Unit::kw, 6, kWhPerJ};
    case Unit::gj_per_h: return {Unit::kw, 9, kWhPerJ};
    case Unit::m3_per_min: return {Unit::m3_per_h, 0, 60.0};
    case Unit::m3_per_s: return {Unit::m3_per_h, 0, 3600.0};
    case Unit::l_per_h: return {Unit::m3_per_h, -3};
    case Unit::ml_per_h: return {Unit::m3_per_h, -6};
    case Unit::us_gal_per_min: return {Unit::m3_per_h, 0, kM3PerUsGal * 60.0};
    case Unit::us_gal_per_h: return {Unit::m3_per_h, 0, kM3PerUsGal};
    case Unit::deg_f: return {Unit::deg_c, 0, 5.0 / 9.0, -32.0 * 5.0 / 9.0};
    case Unit::deg_f_delta: return {Unit::kelvin, 0, 5.0 / 9.0};
    case Unit::min: return {Unit::s, 0, 60.0};
    case Unit::h: return {Unit::s, 0, 3600.0};
    case Unit::d: return {Unit::s, 0, 86400.0};
    default: return {from};
  }
}

namespace {
constexpr std::array<double, 23> kPow10 = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                           1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                           1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
}  // namespace

double scale_decimal(double mantissa, int exponent) noexcept {
  // Dividing by an exact power of ten rounds once; multiplying by 0.01 would round twice.
  while (exponent > 22) {
    mantissa *= 1e22;
    exponent -= 22;
  }
  while (exponent < -22) {
    mantissa /= 1e22;
    exponent += 22;
  }
  const auto i = static_cast<std::size_t>(exponent < 0 ? -exponent : exponent);
  return exponent < 0 ? mantissa / kPow10[i] : mantissa * kPow10[i];
}

double normalise(double mantissa, int exponent, Unit from, Unit* to) noexcept {
  const Normalisation n = normalisation(from);
  if (to != nullptr) *to = n.to;
  const double scaled = scale_decimal(mantissa, exponent + n.shift);
  if (n.factor == 1.0 && n.offset == 0.0) return scaled;
  return scaled * n.factor + n.offset;
}

}  // namespace heatlink::protocol
