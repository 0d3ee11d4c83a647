// `heatlink master` end to end: `heatlink sim --server` connects a simulated district's DTU to
// the master, which imports its base information, reads every meter through the DTU and the
// concentrator (primary, secondary and CJ/T 188), and stores one reading per meter in SQLite
// holding the registers the simulated meters hold.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "child_process.h"
#include "heatlink/master/storage.h"

namespace {

namespace master = heatlink::master;
using Json = nlohmann::json;

std::uint16_t free_port() {
  std::uint16_t port = 0;
  ::close(heatlink::test::listen_on_loopback(port));
  return port;
}

TEST(MasterEndToEnd, ACycleStoresEveryMeterOfASimulatedDistrict) {
  const std::string dir = ::testing::TempDir() + "heatlink-master-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::uint16_t port = free_port();
  const std::uint16_t control = free_port();
  std::ofstream(dir + "/gateway.yaml") << "listen: 127.0.0.1:" << port << R"(
models:
  - {name: MD-109G, convention: id_on_connect, heartbeat_s: 5, latency_ms: 1000}
dtus:
  - {id: "13800000077", model: MD-109G}
)";
  // The base information, as the heat company keeps it: ch1 by primary address, ch2 by ID.
  std::ostringstream base;
  base << "stations:\n  - name: station-1\n    concentrators:\n"
       << "      - name: hm660-e2e\n        dtu: \"13800000077\"\n        meters:\n";
  for (int i = 1; i <= 20; ++i) base << "          - {channel: 0, primary: " << i << "}\n";
  for (int i = 1; i <= 3; ++i)
    base << "          - {channel: 1, protocol: cjt188, address: \"0000003000000" << i << "\"}\n";
  for (int i = 1; i <= 12; ++i) {
    char id[9];
    std::snprintf(id, sizeof id, "400000%02d", i);
    base << "          - {channel: 1, secondary: \"" << id << "FFFFFFFF\"}\n";
  }
  std::ofstream(dir + "/base.yaml") << base.str();
  std::ofstream(dir + "/master.yaml") << "database: sqlite:" << dir << "/heatlink.db\n"
                                      << "gateway: gateway.yaml\nbase_information: base.yaml\n"
                                      << "read_every_s: 3600\nfirst_cycle_after_s: 6\n";

  const pid_t sim =
      heatlink::test::spawn({HEATLINK_BIN, "sim", "--topology",
                             HEATLINK_SOURCE_DIR "/scenarios/topologies/master-e2e.yaml",
                             "--server", "127.0.0.1:" + std::to_string(port), "--control",
                             "127.0.0.1:" + std::to_string(control), "--pace", "x20"});
  ASSERT_GT(sim, 0);
  std::string out;
  const int status = heatlink::test::run_to_end(
      {HEATLINK_BIN, "master", "--config", dir + "/master.yaml", "--cycles", "1"}, out);
  ASSERT_EQ(status, 0) << out;
  const Json cycle = Json::parse(out.substr(0, out.find('\n')));
  EXPECT_EQ(cycle["meters"], 35) << out;
  EXPECT_EQ(cycle["read"], 35) << out;
  EXPECT_EQ(cycle["stored"], 35) << out;

  // Every stored register against what the simulated meter holds now (the meters ran on a
  // little since: at most a few kWh, and never backwards).
  const std::string answer =
      heatlink::test::http_request(control, "GET", "/api/v1/meters?limit=100");
  int status_code = 0;
  EXPECT_EQ(heatlink::test::terminate(sim, status_code), true);
  const Json meters = Json::parse(answer.substr(answer.find("\r\n\r\n") + 4))["meters"];
  ASSERT_EQ(meters.size(), 35u);
  auto opened = master::open_storage("sqlite:" + dir + "/heatlink.db");
  auto& storage = *std::get<std::unique_ptr<master::Storage>>(opened);
  EXPECT_EQ(std::get<std::int64_t>(storage.count_readings()), 35);
  // Base information order: ch1 primaries 1-20 (the sim's meters 0-19), then CJ/T 188 (20-22),
  // then the secondary ones (23-34): the same order as the topology.
  for (std::int64_t meter_id = 1; meter_id <= 35; ++meter_id) {
    const auto latest = std::get<std::optional<master::Reading>>(storage.latest(meter_id));
    ASSERT_TRUE(latest.has_value()) << meter_id;
    const double held = meters[static_cast<std::size_t>(meter_id - 1)]["energy_kwh"];
    EXPECT_LE(*latest->energy_kwh, held + 0.01) << meter_id;
    EXPECT_GE(*latest->energy_kwh, held - 120) << meter_id << ": more than a MULTICAL 603 digit";
  }
}

}  // namespace
