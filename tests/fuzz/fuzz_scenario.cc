// Scenario files are user input: any text gives a Scenario or a ScenarioError naming what is
// wrong, never a crash.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "heatlink/harness/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto result = heatlink::harness::parse_scenario(text, "fuzz.yaml");
  if (const auto* error = std::get_if<heatlink::harness::ScenarioError>(&result)) {
    if (error->message.empty()) std::abort();
  }
  return 0;
}
