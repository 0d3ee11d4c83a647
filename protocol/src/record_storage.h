// Appending records to caller-owned storage on the hot path. Internal to heatlink::protocol.
#pragma once

#include <vector>

#include "heatlink/protocol/mbus_telegram.h"

namespace heatlink::protocol::mbus {

// Copied rather than value-initialised: GCC zero-fills a fresh Record with `rep stos`, whose
// start-up cost was most of the per-record decode time (see docs/BENCHMARKS.md).
inline constexpr Record kBlankRecord{};

inline Record& append_record(std::vector<Record>& records) {
  return records.emplace_back(kBlankRecord);
}

}  // namespace heatlink::protocol::mbus
