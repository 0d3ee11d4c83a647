// heatlink-panel end to end under Xvfb (started here): the panel attaches to a running
// simulator, a scripted command selects the DTU and starts a link fault, the simulator reports
// the fault active, the panel's model shows it; the panel runs a scenario and its checks turn
// green beside the master's view. Screenshots of the window are kept in
// build/test-artifacts/panel/.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "child_process.h"

namespace {

namespace test = heatlink::test;
using Json = nlohmann::json;

std::uint16_t free_port() {
  std::uint16_t port = 0;
  ::close(test::listen_on_loopback(port));
  return port;
}

// An X display nobody uses: the first :N without a lock file.
int free_display() {
  for (int n = 90; n < 200; ++n)
    if (!std::filesystem::exists("/tmp/.X" + std::to_string(n) + "-lock") &&
        !std::filesystem::exists("/tmp/.X11-unix/X" + std::to_string(n)))
      return n;
  return -1;
}

std::string body_of(const std::string& response) {
  const auto at = response.find("\r\n\r\n");
  return at == std::string::npos ? "" : response.substr(at + 4);
}

void expect_screenshot(const std::string& path) {
  ASSERT_TRUE(std::filesystem::exists(path)) << path;
  std::ifstream png(path, std::ios::binary);
  char magic[8] = {};
  png.read(magic, 8);
  EXPECT_EQ(std::string(magic + 1, 3), "PNG") << path;
  EXPECT_GT(std::filesystem::file_size(path), 20000u) << path << ": the window has content";
}

// Each test gets its own X server.
class PanelEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(artifacts);
    const int display = free_display();
    ASSERT_GT(display, 0);
    const std::string screen = ":" + std::to_string(display);
    xvfb_ =
        test::spawn({"/usr/bin/Xvfb", screen, "-screen", "0", "1440x900x24", "-nolisten", "tcp"});
    ASSERT_GT(xvfb_, 0);
    for (int i = 0;
         i < 100 && !std::filesystem::exists("/tmp/.X11-unix/X" + std::to_string(display)); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ::setenv("DISPLAY", screen.c_str(), 1);
  }
  void TearDown() override {
    if (xvfb_ <= 0) return;
    int status = 0;
    ::kill(xvfb_, SIGTERM);
    ::waitpid(xvfb_, &status, 0);
  }

  const std::string artifacts = HEATLINK_ARTIFACTS;
  pid_t xvfb_ = -1;
};

TEST_F(PanelEndToEnd, AScriptedLinkFaultReachesTheSimulatorAndShowsInThePanel) {
  std::uint16_t server = 0;
  const int listener = test::listen_on_loopback(server);  // the DTU connects and registers here
  const std::uint16_t control = free_port();
  const pid_t sim = test::spawn({HEATLINK_BIN, "sim", "--topology",
                                 HEATLINK_SOURCE_DIR "/scenarios/topologies/master-e2e.yaml",
                                 "--server", "127.0.0.1:" + std::to_string(server), "--control",
                                 "127.0.0.1:" + std::to_string(control), "--pace", "x20"});
  ASSERT_GT(sim, 0);

  const std::string dump = artifacts + "/model.json";
  const std::string script =
      "wait-attached 30; wait-online 60; select-dtu 0; select-meter 20; wait 2; tab Inspector;"
      " wait 0.3; screenshot " +
      artifacts + "/inspector.png; tab Traffic; wait 0.5; screenshot " + artifacts +
      "/traffic.png; tab Faults; link-fault loss direction=up probability=0.3;"
      " wait-fault loss 10; wait 0.3; dump " +
      dump + "; screenshot " + artifacts + "/faults.png; quit";
  std::string out;
  const int code =
      test::run_to_end({HEATLINK_PANEL_BIN, "--attach", "127.0.0.1:" + std::to_string(control),
                        "--script", script, "--frame-stats", artifacts + "/frames.json"},
                       out);
  EXPECT_EQ(code, 0) << out;

  // The simulator reports the fault active on the DTU's link.
  const Json faults =
      Json::parse(body_of(test::http_request(control, "GET", "/api/v1/dtus/0/faults")));
  bool active = false;
  for (const Json& f : faults["faults"])
    active = active || (f["kind"] == "loss" && f["direction"] == "up");
  EXPECT_TRUE(active) << faults;
  // The panel's model showed it.
  std::ifstream dumped(dump);
  ASSERT_TRUE(dumped.good());
  const Json model = Json::parse(dumped);
  EXPECT_TRUE(model["attached"].get<bool>());
  EXPECT_EQ(model["meters"], 283);
  bool shown = false;
  for (const Json& f : model["dtus"][0]["faults"]) shown = shown || f["kind"] == "loss";
  EXPECT_TRUE(shown) << model;
  // Screenshots: PNGs of the whole window.
  for (const char* name : {"inspector.png", "traffic.png", "faults.png"})
    expect_screenshot(artifacts + "/" + name);

  int status = 0;
  test::terminate(sim, status);
  ::close(listener);
}

// Open a scenario and run it from the panel: `heatlink run` with the master's core and a real
// SQLite file, the panel attached to its simulator, the checks green as they close.
TEST_F(PanelEndToEnd, RunsAScenarioWhoseChecksTurnGreenBesideTheMastersView) {
  const std::string dump = artifacts + "/scenario.json";
  const std::string script =
      "run-scenario " HEATLINK_SOURCE_DIR
      "/scenarios/gprs-loss.yaml pace=1200; wait-attached 30; tab Scenario; wait 4; screenshot " +
      artifacts + "/scenario-running.png; wait-scenario 120; wait 0.5; dump " + dump +
      "; screenshot " + artifacts + "/scenario.png; quit";
  std::string out;
  const int code = test::run_to_end({HEATLINK_PANEL_BIN, "--script", script}, out);
  EXPECT_EQ(code, 0) << out;
  std::ifstream dumped(dump);
  ASSERT_TRUE(dumped.good());
  const Json model = Json::parse(dumped);
  const Json& run = model["scenario"];
  EXPECT_EQ(run["phase"], "passed") << run;
  EXPECT_EQ(run["exit_code"], 0);
  ASSERT_EQ(run["checks"].size(), 7u) << run;
  for (const Json& c : run["checks"]) {
    EXPECT_EQ(c["status"], "passed") << c;
    EXPECT_TRUE(c["final"].get<bool>()) << c;
  }
  // The master's session with the DTU: dropped under the loss, back after it.
  const Json& dtu = run["master_dtus"]["13800000101"];
  EXPECT_TRUE(dtu["online"].get<bool>()) << run;
  EXPECT_GE(dtu["registrations"].get<int>(), 2) << run;
  // The district as the run left it stays on show.
  EXPECT_EQ(model["meters"], 24);
  for (const char* name : {"scenario-running.png", "scenario.png"})
    expect_screenshot(artifacts + "/" + name);
}

}  // namespace
