// Readings from arbitrary answers: the input as one or two M-Bus telegrams and as a CJ/T 188
// reply. Either a Reading or an error in words; never a crash or a read out of bounds.
#include <cstdint>
#include <vector>

#include "heatlink/master/engine/reading_extract.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  heatlink::master::ExtractOptions options;
  options.keep_raw = true;
  const std::vector<std::uint8_t> all(data, data + size);
  (void)heatlink::master::reading_from_cjt188(all, options);
  std::vector<std::vector<std::uint8_t>> telegrams = {all};
  (void)heatlink::master::reading_from_mbus(telegrams, options);
  if (size > 1) {
    telegrams = {{data, data + size / 2}, {data + size / 2, data + size}};
    (void)heatlink::master::reading_from_mbus(telegrams, options);
  }
  return 0;
}
