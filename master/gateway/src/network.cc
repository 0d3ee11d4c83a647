#include "heatlink/master/gateway/network.h"

#include <array>
#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <vector>

namespace heatlink::master {

namespace {

namespace ip = boost::asio::ip;

// The address's bytes (4 for IPv4, also in IPv6's mapped form; 16 otherwise).
std::optional<std::vector<unsigned char>> bytes_of(std::string_view text) {
  boost::system::error_code ec;
  ip::address a = ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) a = ip::make_address_v4(ip::v4_mapped, a.to_v6());
  if (a.is_v4()) {
    const auto b = a.to_v4().to_bytes();
    return std::vector<unsigned char>(b.begin(), b.end());
  }
  const auto b = a.to_v6().to_bytes();
  return std::vector<unsigned char>(b.begin(), b.end());
}

struct Parsed {
  std::vector<unsigned char> base;
  unsigned prefix = 0;
};

std::optional<Parsed> parse(std::string_view text) {
  const auto slash = text.find('/');
  auto base = bytes_of(text.substr(0, slash));
  if (!base) return std::nullopt;
  unsigned prefix = static_cast<unsigned>(base->size() * 8);
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (error != std::errc() || end != digits.data() + digits.size() || digits.empty() ||
        prefix > base->size() * 8)
      return std::nullopt;
  }
  return Parsed{std::move(*base), prefix};
}

}  // namespace

bool Network::contains(const std::string& address) const {
  const auto net = parse(text);
  const auto a = bytes_of(address);
  if (!net || !a || a->size() != net->base.size()) return false;
  for (unsigned bit = 0; bit < net->prefix; ++bit) {
    const unsigned mask = 0x80u >> (bit % 8);
    if (((*a)[bit / 8] & mask) != (net->base[bit / 8] & mask)) return false;
  }
  return true;
}

std::optional<Network> parse_network(std::string_view text) {
  if (!parse(text)) return std::nullopt;
  return Network{std::string(text)};
}

}  // namespace heatlink::master
