// A test's HTTP/1.1 client over real TCP (Boost.Beast, synchronous): one request per
// connection.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace heatlink::test {

struct HttpReply {
  int status = 0;                                   // 0: no answer (refused, reset, closed)
  std::multimap<std::string, std::string> headers;  // names as sent
  std::string body;
  std::string header(const std::string& name) const {
    const auto found = headers.find(name);
    return found == headers.end() ? "" : found->second;
  }
};

HttpReply http(std::uint16_t port, const std::string& method, const std::string& target,
               const std::string& body = {},
               const std::vector<std::pair<std::string, std::string>>& headers = {});

}  // namespace heatlink::test
