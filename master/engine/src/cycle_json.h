// A cycle's statistics as JSON, shared by the dispatcher's halves (stats_json() is the text).
#pragma once

#include <nlohmann/json.hpp>

#include "heatlink/master/engine/reading_engine.h"

namespace heatlink::master {

nlohmann::ordered_json cycle_json(const CycleStats& stats);

}  // namespace heatlink::master
