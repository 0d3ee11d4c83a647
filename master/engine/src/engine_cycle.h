// A cycle of the reading engine, shared by its transparent and collecting halves.
#pragma once

#include <set>

#include "heatlink/master/engine/reading_engine.h"

namespace heatlink::master {

struct ReadingEngine::Cycle {
  CycleRequest request;
  std::vector<MeterRecord> meters;
  std::size_t index = 0;
  unsigned pass = 0;
  std::vector<MeterRecord> failed;      // in this pass
  std::vector<MeterRecord> mismatched;  // answered with another identity: not tried again
  std::set<std::int64_t> valve_sent;    // meters whose valve command has run
  CycleStats stats;
  std::function<void(const CycleStats&)> done;
  // Manual reads waiting to run between two of this cycle's meters (ReadingEngine::interject).
  std::vector<std::pair<CycleRequest, std::function<void(const CycleStats&)>>> interjections;
  bool nested = false;  // an interjection: the fault monitor's cycle is the one it interrupts
  const ConcentratorRecord& concentrator() const { return request.concentrator; }
};

}  // namespace heatlink::master
