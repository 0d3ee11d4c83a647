// Topology files are user input: any text gives a Topology or a TopologyError naming a place,
// never a crash.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "heatlink/sim/topology.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto result = heatlink::sim::parse_topology(text, "fuzz.yaml");
  if (const auto* error = std::get_if<heatlink::sim::TopologyError>(&result)) {
    if (error->message.empty() || error->file != "fuzz.yaml") std::abort();
  }
  return 0;
}
