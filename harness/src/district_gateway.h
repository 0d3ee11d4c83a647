// The gateway configuration that knows a district's DTUs: one model per DTU convention and
// heartbeat, every DTU of the topology known by its ID. Deterministic runs hand it to the
// InProcessGateway; live runs write it as the master's gateway.yaml.
#pragma once

#include <cstdint>
#include <string>

#include "heatlink/master/gateway/gateway_config.h"
#include "heatlink/master/program/master_config.h"
#include "heatlink/sim/topology.h"

namespace heatlink::harness {

master::GatewayConfig gateway_config(const sim::Topology& topology);
// gateway.yaml for `config`; heartbeat intervals divided by `time_scale` (a district paced
// N times real time sends its heartbeats N times as often).
std::string gateway_yaml(const master::GatewayConfig& config, double time_scale = 1);
// master.yaml with the scenario's settings (schedules, reading, faults, claims).
// The API listens on 127.0.0.1:`api_port` (0: any free port).
std::string master_yaml(const master::MasterConfig& config, const std::string& database,
                        const std::string& gateway, const std::string& base_information,
                        unsigned short api_port = 0);

}  // namespace heatlink::harness
