// The control API answers whatever a client sends - any method, target and body - with a
// JSON reply and a status in 2xx or 4xx, never a crash. Input: "METHOD TARGET\nBODY".
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>

#include "heatlink/sim/control_api.h"

namespace {

constexpr std::string_view kDistrict = R"(
stations:
  - concentrators:
      - name: hm-a
        dtu: {id: "13800000001", link: good}
        channels:
          - meters: [{kind: multical403, count: 2, id: 10000001, primary: 1}]
          - meters: [{kind: cjt188_heat, count: 1, id: 20000001}]
)";

struct NullServer final : heatlink::sim::ServerEnd {
  void accepted(std::uint64_t, std::uint32_t, heatlink::sim::GprsLink&) override {}
  void received(std::uint64_t, heatlink::protocol::Bytes) override {}
  void closed(std::uint64_t) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace heatlink::sim;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto line_end = std::min(text.find('\n'), text.size());
  const std::string_view line = text.substr(0, line_end);
  const auto space = std::min(line.find(' '), line.size());
  ApiRequest request{std::string(line.substr(0, space)),
                     std::string(line.substr(std::min(space + 1, line.size()))),
                     std::string(text.substr(std::min(line_end + 1, text.size())))};

  static NullServer server;
  District district(std::get<Topology>(parse_topology(kDistrict, "fuzz.yaml")), 1, nullptr,
                    &server);
  ControlApi api(district, nullptr);
  const ApiResponse response = api.handle(request);
  if (response.status < 200 || response.status >= 500) std::abort();
  const auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) std::abort();
  if (response.status >= 400 &&
      (!body.contains("error") || body["error"].get<std::string>().empty()))
    std::abort();
  district.queue().run_until(district.queue().now() + heatlink::sim::hours(1));
  return 0;
}
