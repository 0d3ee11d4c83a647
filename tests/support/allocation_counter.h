// Counts heap allocations made through operator new, for tests and benchmarks that check a
// hot path allocates nothing. Linking allocation_counter.cc replaces the global operator new.
#pragma once

#include <cstddef>

namespace heatlink::testing {

std::size_t allocation_count() noexcept;

}  // namespace heatlink::testing
