// Networks in CIDR notation, for pinning a DTU to the address pool of its carrier's APN.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace heatlink::master {

// "10.64.0.0/10", "2001:db8::/32", or a lone address (all its bits).
struct Network {
  std::string text;

  // Whether `address` ("10.64.3.7", "2001:db8::1"; an IPv4 address in IPv6 form counts as
  // IPv4) lies in the network.
  bool contains(const std::string& address) const;
};

std::optional<Network> parse_network(std::string_view text);

}  // namespace heatlink::master
