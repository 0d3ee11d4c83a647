// Deterministic runs: one seed, one trace (byte for byte); a wrong expectation fails with
// what was measured and the command that replays the run; the reports say so.
#include "heatlink/harness/run.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "http_client.h"

namespace {

namespace harness = heatlink::harness;

harness::Scenario load(const std::string& path) {
  auto loaded = harness::load_scenario(path);
  if (auto* e = std::get_if<harness::ScenarioError>(&loaded)) ADD_FAILURE() << e->to_string();
  return std::get<harness::Scenario>(std::move(loaded));
}

harness::RunOptions options_in(const std::string& name, std::ostream* trace = nullptr) {
  harness::RunOptions o;
  o.work_dir = ::testing::TempDir() + "heatlink-run-" + std::to_string(::getpid()) + "-" + name;
  o.trace = trace;
  return o;
}

TEST(DeterministicRun, OneSeedGivesOneTraceByteForByte) {
  const auto scenario = load(HEATLINK_SOURCE_DIR "/scenarios/gprs-loss.yaml");
  std::ostringstream first, second, other;
  const auto a = harness::run_deterministic(scenario, options_in("a", &first));
  const auto b = harness::run_deterministic(scenario, options_in("b", &second));
  EXPECT_TRUE(a.passed());
  EXPECT_GT(a.trace_events, 1000u);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(first.str(), second.str());
  auto reseeded = options_in("c", &other);
  reseeded.seed = 2;
  const auto c = harness::run_deterministic(scenario, reseeded);
  EXPECT_NE(c.trace_hash, a.trace_hash);
  EXPECT_NE(other.str(), first.str());
}

// What the control panel relies on: while a paced run goes, its simulator answers on the
// control API, and the progress tells the plan, each check as its window closes, and the end.
TEST(DeterministicRun, WithAControlApiItIsPacedServesTheSimulatorAndReportsProgress) {
  using Json = nlohmann::json;
  const auto scenario = load(HEATLINK_SOURCE_DIR "/scenarios/gprs-loss.yaml");
  auto options = options_in("control");
  options.control = std::pair{std::string("127.0.0.1"), std::uint16_t{0}};
  options.pace = 2000;  // 3 simulated hours in about 5 s
  std::mutex mutex;
  std::vector<Json> events;
  std::atomic<int> port{0};
  options.progress = [&](const std::string& line) {
    const Json event = Json::parse(line);
    if (event["event"] == "control") {
      const std::string url = event["url"];
      port = std::stoi(url.substr(url.rfind(':') + 1));
    }
    std::lock_guard lock(mutex);
    events.push_back(event);
  };
  harness::RunReport report;
  std::thread run([&] { report = harness::run_deterministic(scenario, options); });
  double seen_time = -1;
  for (int i = 0; i < 400 && seen_time <= 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    if (port == 0) continue;
    const auto status =
        heatlink::test::http(static_cast<std::uint16_t>(port.load()), "GET", "/api/v1/status");
    if (status.status == 200) seen_time = Json::parse(status.body)["virtual_time_s"];
  }
  run.join();
  EXPECT_GT(seen_time, 0);  // the simulator answered mid-run
  EXPECT_LT(seen_time, 10800);
  EXPECT_TRUE(report.passed());
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events.front()["event"], "control");
  const auto plan = std::find_if(events.begin(), events.end(),
                                 [](const Json& e) { return e["event"] == "plan"; });
  ASSERT_NE(plan, events.end());
  EXPECT_EQ((*plan)["checks"].size(), report.results.size());
  EXPECT_EQ((*plan)["checks"][0]["phase"], "steady state before the first fault");
  EXPECT_EQ((*plan)["checks"][0]["to_s"], 3599);
  // The steady state before the fault is reported as it closes, before the fault begins.
  const auto early = std::find_if(events.begin(), events.end(), [](const Json& e) {
    return e["event"] == "check" && e["index"] == 0 && !e["final"].get<bool>();
  });
  const auto fault = std::find_if(events.begin(), events.end(), [](const Json& e) {
    return e["event"] == "note" && e["kind"] == "timeline";
  });
  ASSERT_NE(early, events.end());
  EXPECT_TRUE((*early)["passed"].get<bool>());
  EXPECT_LT(early - events.begin(), fault - events.begin());
  EXPECT_NE(std::find_if(events.begin(), events.end(),
                         [](const Json& e) { return e["event"] == "cycle"; }),
            events.end());
  EXPECT_EQ(events.back()["event"], "done");
  EXPECT_TRUE(events.back()["passed"].get<bool>());
  EXPECT_EQ(
      std::count_if(events.begin(), events.end(),
                    [](const Json& e) { return e["event"] == "check" && e["final"].get<bool>(); }),
      static_cast<std::ptrdiff_t>(report.results.size()));
  // Watching changed nothing: the trace is the unwatched run's.
  const auto unwatched = harness::run_deterministic(scenario, options_in("unwatched"));
  EXPECT_EQ(report.trace_hash, unwatched.trace_hash);
}

TEST(DeterministicRun, AWrongExpectationFailsWithWhatWasMeasuredAndTheReplay) {
  auto scenario = load(HEATLINK_SOURCE_DIR "/scenarios/smoke-district.yaml");
  harness::Check wrong;
  wrong.name = "at most ten readings";
  wrong.kind = harness::CheckKind::stored_readings;
  wrong.max = 10;
  wrong.line = 99;
  scenario.expectations.checks.push_back(wrong);
  const auto report = harness::run_deterministic(scenario, options_in("wrong"));
  EXPECT_FALSE(report.passed());
  const auto& last = report.results.back();
  EXPECT_FALSE(last.passed);
  EXPECT_NE(last.message.find("readings stored = "), std::string::npos) << last.message;
  EXPECT_NE(last.message.find(", expected <= 10"), std::string::npos) << last.message;
  for (std::size_t i = 0; i + 1 < report.results.size(); ++i)
    EXPECT_TRUE(report.results[i].passed) << report.results[i].message;

  std::ostringstream console, junit;
  harness::write_console(console, report);
  EXPECT_NE(console.str().find("FAIL smoke-district"), std::string::npos);
  EXPECT_NE(console.str().find("smoke-district.yaml:99]"), std::string::npos) << console.str();
  EXPECT_NE(console.str().find("replay: heatlink run " HEATLINK_SOURCE_DIR
                               "/scenarios/smoke-district.yaml --seed 1"),
            std::string::npos)
      << console.str();
  harness::write_junit(junit, {report}, "test");
  EXPECT_NE(junit.str().find("<testsuite name=\"smoke-district\""), std::string::npos);
  EXPECT_NE(junit.str().find("<property name=\"seed\" value=\"1\"/>"), std::string::npos);
  EXPECT_NE(junit.str().find("<testcase name=\"at most ten readings\""), std::string::npos);
  EXPECT_NE(junit.str().find("<failure message=\"readings stored = "), std::string::npos);
}

TEST(DeterministicRun, ATimelineNamingNoSuchDeviceFailsTheRun) {
  auto scenario = load(HEATLINK_SOURCE_DIR "/scenarios/gprs-loss.yaml");
  scenario.timeline.front().action.dtu = "13899999999";
  scenario.timeline.front().line = 7;
  const auto report = harness::run_deterministic(scenario, options_in("nodtu"));
  EXPECT_FALSE(report.passed());
  EXPECT_NE(report.error.find("gprs-loss.yaml:7: at 3600 s: no DTU '13899999999'"),
            std::string::npos)
      << report.error;
}

}  // namespace
