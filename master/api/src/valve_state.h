// A CJ/T 188 meter's valve as its status word ST1 reports it (bits 0-1: 00 open, 01 closed,
// 11 fault); M-Bus heat meters carry none.
#pragma once

#include <cstdint>

namespace heatlink::master::api {

inline const char* valve_state_of(std::int64_t st1) {
  switch (st1 & 0x03) {
    case 0:
      return "open";
    case 1:
      return "closed";
    case 3:
      return "fault";
    default:
      return "unknown";
  }
}

}  // namespace heatlink::master::api
