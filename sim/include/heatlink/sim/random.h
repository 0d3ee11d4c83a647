// Seeded random streams. Every device draws from its own stream, derived from the scenario
// seed and the device's identity, so adding a meter changes no other meter's draws.
#pragma once

#include <cstdint>
#include <string_view>

namespace heatlink::sim {

// xoshiro256** seeded through splitmix64: fast, small (32 bytes), and the same sequence on
// every platform (no std:: distributions, whose output varies between standard libraries).
class RandomStream {
 public:
  explicit RandomStream(std::uint64_t seed) noexcept;
  // The stream of the device named `identity` ("meter/KAM/12345678") under `seed`.
  static RandomStream derive(std::uint64_t seed, std::string_view identity) noexcept;

  std::uint64_t next() noexcept;
  double uniform() noexcept;                                            // [0, 1)
  double uniform(double lo, double hi) noexcept;                        // [lo, hi)
  std::int64_t uniform_int(std::int64_t lo, std::int64_t hi) noexcept;  // [lo, hi]
  bool chance(double probability) noexcept;
  double normal(double mean, double stddev) noexcept;  // Box-Muller, one draw per call pair

 private:
  std::uint64_t s_[4];
};

// FNV-1a, 64 bits: the identity hash behind derive() and the trace hash.
std::uint64_t fnv1a(std::string_view text, std::uint64_t hash = 0xcbf29ce484222325ULL) noexcept;

}  // namespace heatlink::sim
