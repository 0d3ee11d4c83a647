// Servers hold one descriptor per connection: the limit is raised to what the configured
// capacity needs, and the log says what was got - a limit below it refuses connections that
// the configuration allows (accept fails with EMFILE), which must not be found out in a flood.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <cstdint>
#include <string>

namespace heatlink::master {

struct DescriptorLimit {
  std::uint64_t needed = 0;  // the connections allowed, and a margin
  std::uint64_t limit = 0;   // the soft limit now
  bool enough() const noexcept { return limit >= needed; }
  // "descriptors: 20,600 needed for 20,000 connections; the limit is 1,048,576"
  std::string describe(std::uint64_t connections) const {
    std::string text = "descriptors: " + std::to_string(needed) + " needed for " +
                       std::to_string(connections) + " connections; the limit is " +
                       std::to_string(limit);
    if (!enough())
      text += " (the hard limit): raise it (ulimit -Hn, LimitNOFILE=) or connections beyond " +
              std::to_string(limit > kMargin ? limit - kMargin : 0) + " are refused";
    return text;
  }
  // Descriptors besides the connections: the database, listening sockets, files, the log.
  static constexpr std::uint64_t kMargin = 256;
};

// Raises the soft limit to `connections` plus the margin (to the hard limit where that is
// lower); never lowers it.
inline DescriptorLimit raise_descriptor_limit(std::uint64_t connections) {
  DescriptorLimit result;
  result.needed = connections + DescriptorLimit::kMargin;
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) != 0) return result;
  if (files.rlim_cur < result.needed && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = std::min<rlim_t>(files.rlim_max, result.needed);
    ::setrlimit(RLIMIT_NOFILE, &files);
    ::getrlimit(RLIMIT_NOFILE, &files);
  }
  result.limit = files.rlim_cur;
  return result;
}

}  // namespace heatlink::master
