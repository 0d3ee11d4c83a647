// How the gateway is configured: the DTU models it speaks and the DTUs it knows
// (docs/gateway.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "heatlink/protocol/dtu.h"

namespace heatlink::master {

using Seconds = std::chrono::duration<double>;

// How one kind of DTU speaks.
struct DtuModel {
  std::string name;
  protocol::dtu::Convention convention = protocol::dtu::Convention::id_on_connect;
  std::string heartbeat;  // id_on_connect: the heartbeat packet (empty: the ID)
  Seconds heartbeat_interval{60};
  unsigned bus_baud = 2400;       // the slowest link to the meters (the M-Bus), for timeouts
  Seconds latency{5};             // what the mobile path adds to a round trip
  bool store_and_forward = true;  // the concentrator forwards a reply once it has all of it
};

enum class UnknownDtus : std::uint8_t { reject, park };

struct GatewayConfig {
  std::string host = "0.0.0.0";
  std::uint16_t port = 0;  // 0: any free port (see Gateway::port())
  std::vector<DtuModel> models;
  std::map<std::string, std::string> dtus;  // known DTU ID -> model name
  // Known DTU ID -> the key its registration packet carries after the ID ("ID#key",
  // id_on_connect): a connection claiming the ID without it is rejected. DTUs not listed
  // register with their ID alone.
  std::map<std::string, std::string> keys;
  // Known DTU ID -> the networks it may connect from (CIDR: its carrier's APN pool): a
  // connection claiming the ID from elsewhere is rejected. Not listed: from anywhere.
  std::map<std::string, std::vector<std::string>> networks;
  UnknownDtus unknown = UnknownDtus::reject;
  std::string unknown_model;           // how parked DTUs are read (default: the first model)
  std::size_t unknown_id_length = 11;  // id_on_connect / id_prefixed IDs of unknown DTUs
  unsigned missed_heartbeats = 3;      // silent this many intervals: the connection is dead
  Seconds registration_timeout{30};
  std::size_t max_connections = 20000;
  // Connections that have not registered yet, of everyone and of one address: beyond these
  // the oldest of them gives way to the newcomer (a DTU registers within seconds of its
  // connect; a stranger holding a socket open must not keep it out).
  std::size_t max_unregistered = 1000;
  std::size_t max_unregistered_per_address = 64;
  // Unknown DTUs kept as unassigned (`unknown: park`): beyond this the one offline longest is
  // forgotten; while all are online a new unknown ID is refused.
  std::size_t max_parked = 10000;
  std::size_t max_buffer = 4096;  // bytes buffered per connection before it is dropped
  // Simulations only (`heatlink master --time-scale`, not in gateway.yaml): the district runs
  // this many times faster than real time, its buses and network with it, and the wait for
  // each answer is that much shorter (the network's part never below 15 ms of wall time, what
  // the loopback and two processes need).
  double time_scale = 1;

  const DtuModel* model(const std::string& name) const;
  // Empty when usable, else what is wrong ("dtus: 13800000001: no model 'MD-109X'").
  std::string problem() const;
};

// A gateway configuration from YAML (docs/gateway.md); errors name file:line:column.
std::variant<GatewayConfig, std::string> load_gateway_config(const std::string& path);

}  // namespace heatlink::master
