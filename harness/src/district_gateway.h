// The gateway configuration that knows a district's DTUs: one model per DTU convention and
// heartbeat, every DTU of the topology known by its ID. Deterministic runs hand it to the
// InProcessGateway; live runs write it as the master's gateway.yaml.
#pragma once

#include <cstdint>
#include <string>

#include "heatlink/master/gateway_config.h"
#include "heatlink/sim/topology.h"

namespace heatlink::harness {

master::GatewayConfig gateway_config(const sim::Topology& topology);
std::string gateway_yaml(const master::GatewayConfig& config);

}  // namespace heatlink::harness
