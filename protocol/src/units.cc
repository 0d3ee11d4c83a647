#include "heatlink/protocol/units.h"

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

}  // namespace heatlink::protocol
