// `heatlink run` as QA runs it: the real binary on scenario files and directories, its exit
// status, console verdict, JUnit report and JSON Lines trace.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "child_process.h"

namespace {

namespace fs = std::filesystem;
using heatlink::test::run_to_end;

std::string dir_for(const std::string& name) {
  const std::string dir =
      ::testing::TempDir() + "heatlink-run-cli-" + std::to_string(::getpid()) + "-" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(RunCommand, APassingScenarioExitsZeroWithItsReports) {
  const std::string dir = dir_for("pass");
  std::string out;
  EXPECT_EQ(run_to_end(
                {HEATLINK_BIN, "run", HEATLINK_SOURCE_DIR "/scenarios/gprs-reset.yaml", "--junit",
                 dir + "/report.xml", "--trace", dir + "/trace.jsonl", "--work-dir", dir + "/work"},
                out),
            0)
      << out;
  EXPECT_NE(out.find("PASS gprs-reset"), std::string::npos) << out;
  const std::string junit = read(dir + "/report.xml");
  EXPECT_NE(junit.find("<testsuite name=\"gprs-reset\""), std::string::npos);
  EXPECT_NE(junit.find("failures=\"0\""), std::string::npos);
  EXPECT_NE(junit.find("<property name=\"mode\" value=\"deterministic\"/>"), std::string::npos);
  // Every trace line is JSON: the simulator's events, the timeline, the checks.
  std::ifstream trace(dir + "/trace.jsonl");
  std::size_t lines = 0, faults = 0, checks = 0;
  for (std::string line; std::getline(trace, line); ++lines) {
    const auto j = nlohmann::json::parse(line);
    ASSERT_TRUE(j.contains("t") && j.contains("source") && j.contains("kind")) << line;
    faults += j["kind"] == "fault_start:reset" ? 1u : 0u;
    checks += j["kind"] == "check" ? 1u : 0u;
  }
  EXPECT_GT(lines, 1000u);
  EXPECT_EQ(faults, 1u);
  EXPECT_EQ(checks, 6u);
  EXPECT_TRUE(fs::exists(dir + "/work/gprs-reset/heatlink.db")) << "--work-dir keeps the database";
}

TEST(RunCommand, AFailingCheckExitsOneAndNamesTheReplay) {
  const std::string dir = dir_for("fail");
  std::ofstream(dir + "/wrong.yaml")
      << "meta: {id: wrong, duration: 30m}\n"
      << "topology: " HEATLINK_SOURCE_DIR "/scenarios/topologies/gprs-cell.yaml\n"
      << "expectations:\n"
      << "  checks:\n"
      << "    - {check: stored_readings, max: 3}\n";
  std::string out;
  EXPECT_EQ(run_to_end({HEATLINK_BIN, "run", dir + "/wrong.yaml", "--seed", "5"}, out), 1) << out;
  EXPECT_NE(out.find("FAIL wrong"), std::string::npos) << out;
  EXPECT_NE(out.find("expected <= 3 [" + dir + "/wrong.yaml:5]"), std::string::npos) << out;
  EXPECT_NE(out.find("replay: heatlink run " + dir + "/wrong.yaml --seed 5"), std::string::npos)
      << out;
}

TEST(RunCommand, EventsFollowTheRunAsJsonLinesEndingWithItsVerdict) {
  const std::string dir = dir_for("events");
  std::string out;
  EXPECT_EQ(
      run_to_end({HEATLINK_BIN, "run", HEATLINK_SOURCE_DIR "/scenarios/gprs-reset.yaml", "--events",
                  dir + "/events.jsonl", "--control", "127.0.0.1:0", "--pace", "20000"},
                 out),
      0)
      << out;
  std::ifstream events(dir + "/events.jsonl");
  std::vector<std::string> kinds;
  nlohmann::json last;
  for (std::string line; std::getline(events, line);) {
    last = nlohmann::json::parse(line);
    kinds.push_back(last["event"]);
  }
  ASSERT_GE(kinds.size(), 3u);
  EXPECT_EQ(kinds[0], "control");
  EXPECT_EQ(kinds[1], "plan");
  EXPECT_EQ(last["event"], "done");
  EXPECT_TRUE(last["passed"].get<bool>());
  EXPECT_EQ(run_to_end({HEATLINK_BIN, "run", HEATLINK_SOURCE_DIR "/scenarios/gprs-reset.yaml",
                        "--control", "nowhere"},
                       out),
            2);
}

TEST(RunCommand, ABrokenScenarioExitsTwoNamingThePlace) {
  const std::string dir = dir_for("broken");
  std::ofstream(dir + "/broken.yaml") << "meta:\n  id: b\n  duraton: 1h\n";
  std::string out;
  EXPECT_EQ(run_to_end({HEATLINK_BIN, "run", dir, "--junit", dir + "/never.xml"}, out), 2);
  EXPECT_FALSE(fs::exists(dir + "/never.xml")) << "nothing runs when a scenario is broken";
  EXPECT_EQ(run_to_end({HEATLINK_BIN, "run", dir + "/missing.yaml"}, out), 2);
}

}  // namespace
