// Every control-API call, and the clear 4xx answers to bad requests - without sockets.
#include "heatlink/sim/control_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace heatlink::sim {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kDistrict = R"(
stations:
  - concentrators:
      - name: hm-a
        dtu: {id: "13800000001", heartbeat_s: 30, link: good}
        channels:
          - meters: [{kind: multical403, count: 3, id: 10000001, primary: 1}]
)";

struct NullServer final : ServerEnd {
  void accepted(std::uint64_t, std::uint32_t, GprsLink&) override {}
  void received(std::uint64_t, protocol::Bytes) override {}
  void closed(std::uint64_t) override {}
};

class ControlApiTest : public ::testing::Test {
 protected:
  ControlApiTest()
      : district(std::get<Topology>(parse_topology(kDistrict, "t.yaml")), 1, nullptr, &server) {
    district.queue().run_until(hours(2));
  }
  std::pair<int, Json> call(std::string method, std::string target, std::string body = {}) {
    const ApiResponse r =
        api.handle(ApiRequest{std::move(method), std::move(target), std::move(body)});
    return {r.status, Json::parse(r.body)};
  }

  NullServer server;
  District district;
  SteadyWallClock wall;
  PacedRunner runner{district.queue(), wall, Pace::real_time()};
  ControlApi api{district, &runner};
};

TEST_F(ControlApiTest, Status) {
  const auto [status, body] = call("GET", "/api/v1/status");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body["meters"], 3);
  EXPECT_EQ(body["dtus"], 1);
  EXPECT_DOUBLE_EQ(body["virtual_time_s"].get<double>(), 7200.0);
}

TEST_F(ControlApiTest, ListsAndShowsMeters) {
  auto [status, body] = call("GET", "/api/v1/meters?offset=1&limit=5");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body["total"], 3);
  ASSERT_EQ(body["meters"].size(), 2u);
  EXPECT_EQ(body["meters"][0]["id"], "10000002");
  std::tie(status, body) = call("GET", "/api/v1/meters/2");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body["kind"], "multical403");
  EXPECT_GT(body["energy_kwh"].get<double>(), 0.0);
}

// The telegram a meter would send now: its RSP_UD, the same bytes twice (a look is not a read:
// the access number does not move), and the registers as the meter holds them.
TEST_F(ControlApiTest, ShowsTheTelegramAMeterWouldSendNow) {
  auto [status, body] = call("GET", "/api/v1/meters/0/telegram");
  ASSERT_EQ(status, 200) << body;
  EXPECT_EQ(body["protocol"], "mbus");
  const std::string hex = body["hex"];
  ASSERT_GE(hex.size(), 2 * 19u);
  EXPECT_EQ(hex.substr(0, 2), "68");
  EXPECT_EQ(hex.substr(14, 8), "01000010") << "the ID 10000001, least significant byte first";
  EXPECT_EQ(call("GET", "/api/v1/meters/0/telegram").second["hex"], hex) << "a look, not a read";
  EXPECT_EQ(call("GET", "/api/v1/meters/9/telegram").first, 404);
}

TEST_F(ControlApiTest, SetsMeterFaults) {
  auto [status, body] =
      call("PUT", "/api/v1/meters/0/faults",
           R"({"physical": ["low_battery", "reverse_flow"], "leak_m3_per_h": 0.2})");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body["faults"]["physical"], Json::parse(R"(["low_battery", "reverse_flow"])"));
  EXPECT_TRUE(district.meter(0).model().faults().has(MeterFaults::reverse_flow));
  std::tie(status, body) = call("PUT", "/api/v1/meters/0/faults", R"({"physical": ["gremlins"]})");
  EXPECT_EQ(status, 400);
  EXPECT_NE(body["error"].get<std::string>().find("gremlins"), std::string::npos);
}

TEST_F(ControlApiTest, SetsMeterValues) {
  auto [status, body] =
      call("PUT", "/api/v1/meters/1/values", R"({"energy_kwh": 12345, "valve_open": false})");
  EXPECT_EQ(status, 200);
  EXPECT_DOUBLE_EQ(body["energy_kwh"].get<double>(), 12345.0);
  district.queue().run_until(hours(3));
  EXPECT_FALSE(district.meter(1).model().valve_open(district.queue().now()));
  EXPECT_GE(district.meter(1).model_now().state().energy_kwh, 12345.0);
  EXPECT_EQ(call("PUT", "/api/v1/meters/1/values", R"({"energy_kwh": -3})").first, 400);
  EXPECT_EQ(call("PUT", "/api/v1/meters/1/values", R"({"valve_open": "shut"})").first, 400);
}

TEST_F(ControlApiTest, ListsConcentratorsAndShortsAChannel) {
  auto [status, body] = call("GET", "/api/v1/concentrators");
  EXPECT_EQ(status, 200);
  ASSERT_EQ(body["concentrators"].size(), 1u);
  EXPECT_EQ(body["concentrators"][0]["name"], "hm-a");
  EXPECT_EQ(body["concentrators"][0]["channels"][0]["meters"], 3);
  EXPECT_EQ(body["concentrators"][0]["channels"][0]["powered"], true);
  std::tie(status, body) =
      call("PUT", "/api/v1/concentrators/0/channels/0/short_circuit", R"({"shorted": true})");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body["channels"][0]["powered"], false);
  EXPECT_FALSE(district.concentrator(0).channel(0).powered());
  EXPECT_EQ(call("POST", "/api/v1/heal").first, 200);
  EXPECT_FALSE(district.concentrator(0).channel(0).short_circuited());
  EXPECT_EQ(
      call("PUT", "/api/v1/concentrators/0/channels/4/short_circuit", R"({"shorted": true})").first,
      404);
  EXPECT_EQ(call("PUT", "/api/v1/concentrators/0/channels/0/short_circuit", "{}").first, 400);
}

TEST_F(ControlApiTest, SwitchesAConcentratorsPower) {
  auto [status, body] = call("POST", "/api/v1/concentrators/0/power-off");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body["powered"], false);
  EXPECT_FALSE(district.concentrator(0).powered());
  std::tie(status, body) = call("POST", "/api/v1/concentrators/0/power-on");
  EXPECT_EQ(body["powered"], true);
  EXPECT_TRUE(district.concentrator(0).powered());
  EXPECT_EQ(call("POST", "/api/v1/concentrators/3/power-off").first, 404);
  EXPECT_EQ(call("POST", "/api/v1/concentrators/0/power-toggle").first, 404);
}

TEST_F(ControlApiTest, ListsDtusAndRebootsThem) {
  auto [status, body] = call("GET", "/api/v1/dtus");
  EXPECT_EQ(status, 200);
  ASSERT_EQ(body["dtus"].size(), 1u);
  EXPECT_EQ(body["dtus"][0]["id"], "13800000001");
  EXPECT_EQ(body["dtus"][0]["state"], "off");  // this district was never powered on
  std::tie(status, body) = call("POST", "/api/v1/dtus/0/power-on");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body["state"], "attaching");
  std::tie(status, body) = call("POST", "/api/v1/dtus/0/reboot");
  EXPECT_EQ(body["state"], "off");
  EXPECT_EQ(call("POST", "/api/v1/dtus/0/power-off").first, 200);
}

// A DTU given another ID (a cloned SIM profile) restarts and registers with it; an ID its
// convention cannot carry is refused, and the DTU keeps its own.
TEST_F(ControlApiTest, ADtuTakesAnotherIdAndRestartsWithIt) {
  ASSERT_EQ(call("POST", "/api/v1/dtus/0/power-on").first, 200);
  district.queue().run_until(district.queue().now() + minutes(2));
  auto [status, body] = call("POST", "/api/v1/dtus/0/identity", R"({"id": "13800000099"})");
  EXPECT_EQ(status, 200) << body;
  EXPECT_EQ(body["id"], "13800000099");
  EXPECT_EQ(body["state"], "off") << "restarting";
  EXPECT_EQ(district.dtu(0).config().profile.id, "13800000099");
  std::tie(status, body) = call("POST", "/api/v1/dtus/0/identity", R"({"id": ""})");
  EXPECT_EQ(status, 400);
  EXPECT_NE(body["error"].get<std::string>().find("id"), std::string::npos) << body;
  EXPECT_EQ(call("POST", "/api/v1/dtus/0/identity", R"({"name": "x"})").first, 400);
  EXPECT_EQ(call("POST", "/api/v1/dtus/7/identity", R"({"id": "13800000001"})").first, 404);
  EXPECT_EQ(district.dtu(0).config().profile.id, "13800000099") << "unchanged by the refusals";
}

TEST_F(ControlApiTest, StartsListsAndStopsLinkFaults) {
  auto [status, body] = call("POST", "/api/v1/dtus/0/faults",
                             R"({"kind": "latency", "direction": "up", "delay_ms": 1500})");
  EXPECT_EQ(status, 201);
  const auto id = body["id"].get<std::uint64_t>();
  std::tie(status, body) = call("GET", "/api/v1/dtus/0/faults");
  ASSERT_EQ(body["faults"].size(), 2u);  // the "good" preset's latency, and ours
  EXPECT_EQ(body["faults"][1]["delay_ms"], 1500);
  EXPECT_EQ(call("DELETE", "/api/v1/dtus/0/faults/" + std::to_string(id)).first, 200);
  EXPECT_EQ(call("DELETE", "/api/v1/dtus/0/faults/" + std::to_string(id)).first, 404);
  EXPECT_EQ(call("POST", "/api/v1/heal").first, 200);
  EXPECT_TRUE(district.link(0).active().empty());
}

TEST_F(ControlApiTest, ALinkFaultWithADurationShowsItsTimeLeftAndStopsItself) {
  auto [status, body] = call("POST", "/api/v1/dtus/0/faults",
                             R"({"kind": "loss", "probability": 0.5, "duration_s": 90})");
  EXPECT_EQ(status, 201);
  EXPECT_DOUBLE_EQ(body["duration_s"].get<double>(), 90.0);
  EXPECT_DOUBLE_EQ(body["remaining_s"].get<double>(), 90.0);
  district.queue().run_until(hours(2) + seconds(30));
  std::tie(status, body) = call("GET", "/api/v1/dtus/0/faults");
  ASSERT_EQ(body["faults"].size(), 2u);
  EXPECT_TRUE(body["faults"][0]["remaining_s"].is_null());  // the preset lasts
  EXPECT_DOUBLE_EQ(body["faults"][1]["remaining_s"].get<double>(), 60.0);
  district.queue().run_until(hours(2) + seconds(90));
  std::tie(status, body) = call("GET", "/api/v1/dtus/0/faults");
  ASSERT_EQ(body["faults"].size(), 1u);
  EXPECT_EQ(body["faults"][0]["kind"], "latency");
  EXPECT_EQ(call("POST", "/api/v1/dtus/0/faults", R"({"kind": "loss", "duration_s": -1})").first,
            400);
}

// A concentrator without a DTU (read on its RS-232 port) shifts the DTUs' numbering: each
// concentrator names its own.
TEST(ControlApiConcentrators, NameTheirDtuOrNone) {
  NullServer server;
  District district(std::get<Topology>(parse_topology(R"(
stations:
  - concentrators:
      - name: on-a-pty
        channels:
          - meters: [{kind: multical403, count: 1, id: 10000001, primary: 1}]
      - name: on-gprs
        dtu: {id: "13800000002", heartbeat_s: 30, link: good}
        channels:
          - meters: [{kind: multical403, count: 1, id: 10000002, primary: 1}]
)",
                                                      "t.yaml")),
                    1, nullptr, &server);
  ControlApi api{district, nullptr};
  const Json body = Json::parse(api.handle({"GET", "/api/v1/concentrators", ""}).body);
  EXPECT_TRUE(body["concentrators"][0]["dtu"].is_null());
  EXPECT_EQ(body["concentrators"][1]["dtu"], 0);
}

TEST_F(ControlApiTest, ChangesTheWeather) {
  auto [status, body] = call("PUT", "/api/v1/weather", R"({"annual_mean": -5})");
  EXPECT_EQ(status, 200);
  EXPECT_DOUBLE_EQ(district.weather().annual_mean, -5.0);
  std::tie(status, body) = call("GET", "/api/v1/weather");
  EXPECT_EQ(body["annual_mean"], -5.0);
  EXPECT_EQ(call("PUT", "/api/v1/weather", R"({"annual_mean": 500})").first, 400);
}

TEST_F(ControlApiTest, PausesResumesAndChangesPace) {
  EXPECT_EQ(call("POST", "/api/v1/pause").second["paused"], true);
  EXPECT_TRUE(api.paused());
  EXPECT_EQ(call("POST", "/api/v1/resume").second["paused"], false);
  auto [status, body] = call("PUT", "/api/v1/pace", R"({"pace": "x10"})");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(runner.pace().factor, 10.0);
  EXPECT_EQ(call("GET", "/api/v1/status").second["pace"], "x10");
  EXPECT_EQ(call("PUT", "/api/v1/pace", R"({"pace": "slow"})").first, 400);
}

TEST_F(ControlApiTest, RefusesPaceWithoutAWallClock) {
  ControlApi unpaced{district, nullptr};
  const ApiResponse r = unpaced.handle(ApiRequest{"PUT", "/api/v1/pace", R"({"pace": "x2"})"});
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(Json::parse(unpaced.handle(ApiRequest{"GET", "/api/v1/status", ""}).body)["pace"],
            "fast");
}

TEST_F(ControlApiTest, AnswersBadRequestsClearly) {
  EXPECT_EQ(call("GET", "/api/v1/nothing").first, 404);
  EXPECT_EQ(call("GET", "/api/v1/meters/" + std::string(5000, '1')).first, 414);
  EXPECT_EQ(call("DELETE", "/api/v1/status").first, 405);
  EXPECT_EQ(call("GET", "/api/v1/meters/99").first, 404);
  EXPECT_EQ(call("GET", "/api/v1/meters?limit=5000").first, 400);
  EXPECT_EQ(call("GET", "/api/v1/meters?offset=x").first, 400);
  const auto [status, body] = call("PUT", "/api/v1/pace", "{not json");
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body["error"], "the body is not valid JSON");
  EXPECT_EQ(call("POST", "/api/v1/dtus/0/faults", R"({"kind": "latency", "delay_ms": -5})").first,
            400);
  EXPECT_EQ(call("POST", "/api/v1/dtus/0/faults", R"({"kind": "gremlins"})").first, 400);
  EXPECT_EQ(call("POST", "/api/v1/dtus/3/faults", R"({"kind": "reset"})").first, 404);
  EXPECT_EQ(
      call("POST", "/api/v1/dtus/0/faults", R"({"kind": "latency", "delay_ms": 1e300})").first,
      400);
  EXPECT_EQ(call("DELETE", "/api/v1/dtus/0/faults/99999999999999999999999").first, 404);
  EXPECT_EQ(call("PUT", "/api/v1/meters/0/faults", R"({"leak_m3_per_h": -1})").first, 400);
  EXPECT_EQ(call("PUT", "/api/v1/weather", R"({"annual_mean": "warm"})").first, 400);
  EXPECT_EQ(call("POST", "/api/v1/dtus/0/faults", R"({"kind": "loss", "direction": 7})").first,
            400);
}

// A field a call does not take is refused and changes nothing: before, a misspelt field of
// PUT .../faults answered 200 and cleared the meter's faults.
TEST_F(ControlApiTest, AFieldACallDoesNotTakeIsRefusedAndChangesNothing) {
  ASSERT_EQ(call("PUT", "/api/v1/meters/0/faults", R"({"physical": ["low_battery"]})").first, 200);
  auto [status, body] = call("PUT", "/api/v1/meters/0/faults", R"({"physicl": ["leak"]})");
  EXPECT_EQ(status, 400);
  EXPECT_NE(body["error"].get<std::string>().find("unknown field 'physicl'"), std::string::npos)
      << body;
  EXPECT_NE(body["error"].get<std::string>().find("physical"), std::string::npos) << body;
  EXPECT_TRUE(district.meter(0).model().faults().has(MeterFaults::low_battery));
  const auto faults = call("GET", "/api/v1/dtus/0/faults").second["faults"];
  EXPECT_EQ(call("POST", "/api/v1/dtus/0/faults", R"({"kind": "latency", "dealy_ms": 500})").first,
            400);
  EXPECT_EQ(call("GET", "/api/v1/dtus/0/faults").second["faults"], faults);
  EXPECT_EQ(call("PUT", "/api/v1/pace", R"({"pace": "x2", "also": 1})").first, 400);
  EXPECT_EQ(call("POST", "/api/v1/heal", R"({"everything": true})").first, 400);
  EXPECT_EQ(call("POST", "/api/v1/heal", "{}").first, 200);
}

// A pace no machine can keep is refused (x1e9 grew the simulator's memory until the kernel
// killed it); the fastest allowed is taken.
TEST_F(ControlApiTest, RefusesAPaceBeyondWhatTheMachineCanSimulate) {
  auto [status, body] = call("PUT", "/api/v1/pace", R"({"pace": "x1e9"})");
  EXPECT_EQ(status, 400);
  EXPECT_NE(body["error"].get<std::string>().find("100000"), std::string::npos) << body;
  EXPECT_EQ(runner.pace().factor, 1.0);
  EXPECT_EQ(call("PUT", "/api/v1/pace", R"({"pace": "x100000"})").first, 200);
}

}  // namespace
}  // namespace heatlink::sim
