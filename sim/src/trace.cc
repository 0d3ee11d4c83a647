#include "heatlink/sim/trace.h"

#include <cstdio>
#include <string>

#include "heatlink/sim/random.h"

namespace heatlink::sim {

void Trace::record(Micros when, std::string_view source, std::string_view kind,
                   protocol::Bytes bytes) {
  // The hash covers a canonical form: time, source, kind and bytes, each delimited.
  char stamp[24];
  const int n = std::snprintf(stamp, sizeof stamp, "%lld|", static_cast<long long>(when));
  hash_ = fnv1a(std::string_view{stamp, static_cast<std::size_t>(n)}, hash_);
  hash_ = fnv1a(source, hash_);
  hash_ = fnv1a("|", hash_);
  hash_ = fnv1a(kind, hash_);
  hash_ = fnv1a("|", hash_);
  const std::string hex = protocol::to_hex(bytes);
  hash_ = fnv1a(hex, hash_);
  hash_ = fnv1a("\n", hash_);
  ++events_;
  for (const Listener& listener : listeners_) listener(when, source, kind, bytes);
  if (keep_lines_) {
    std::string line(stamp, static_cast<std::size_t>(n));
    line.append(source).append("|").append(kind).append("|").append(hex);
    lines_.push_back(std::move(line));
  }
}

}  // namespace heatlink::sim
