// Deterministic runs: one seed, one trace (byte for byte); a wrong expectation fails with
// what was measured and the command that replays the run; the reports say so.
#include "heatlink/harness/run.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

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
