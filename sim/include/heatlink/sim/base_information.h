// The district as a heat company's records list it: the master's base-information file
// (docs/master.md) for a topology - stations, concentrators with their DTU's ID, and each
// meter with its channel and how to address it - so that a master can read a simulated
// district it has never scanned.
#pragma once

#include <string>

#include "heatlink/sim/district.h"
#include "heatlink/sim/topology.h"

namespace heatlink::sim {

// M-Bus meters go by primary address where theirs is unique on the concentrator, else by
// secondary address; CJ/T 188 meters by their address. `district` must be built from
// `topology`.
std::string base_information_yaml(const Topology& topology, District& district);

}  // namespace heatlink::sim
