// Running a scenario from the panel's model: the real `heatlink run` as a child process, its
// simulator watched through the control API it serves, its checks turning green as their
// windows close, the master's sessions and cycles as the run saw them; a run stopped midway
// takes its processes with it. No window.
#include "heatlink/gui/scenario_run.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <thread>

#include "heatlink/gui/panel_model.h"

namespace heatlink::gui {
namespace {

using Status = CheckView::Status;

bool until(const std::function<bool()>& done, int seconds = 30) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

ScenarioRunOptions gprs_loss(const std::string& name, double pace) {
  ScenarioRunOptions o;
  o.binary = HEATLINK_BIN;
  o.file = HEATLINK_SOURCE_DIR "/scenarios/gprs-loss.yaml";
  o.pace = pace;
  o.work_dir = ::testing::TempDir() + "heatlink-panel-run-" + std::to_string(::getpid()) + name;
  return o;
}

TEST(ScenarioRun, ChecksTurnGreenAsTheRunGoesAndThePanelWatchesItsSimulator) {
  ScenarioRun run(gprs_loss("pass", 1500));  // 3 simulated hours in about 7 s
  ASSERT_TRUE(until([&] { return run.control().has_value(); })) << run.state().error;
  PanelModel model(run.control()->first, run.control()->second);
  model.refresh();
  const auto snapshot = model.snapshot();
  EXPECT_TRUE(snapshot->attached) << snapshot->error;
  EXPECT_EQ(snapshot->dtus.size(), 1u);
  EXPECT_EQ(snapshot->meters.size(), 24u);
  // The steady state before the fault (its window ends at 3599 s) is green mid-run.
  bool green_midway = false;
  ASSERT_TRUE(until([&] {
    const ScenarioState s = run.state();
    if (s.phase == ScenarioState::Phase::running && !s.checks.empty() &&
        s.checks[0].status == Status::passed && !s.checks[0].final)
      green_midway = true;
    return run.finished();
  }));
  EXPECT_TRUE(green_midway);
  const ScenarioState s = run.state();
  EXPECT_EQ(s.phase, ScenarioState::Phase::passed) << s.error;
  EXPECT_EQ(s.exit_code, 0);
  EXPECT_EQ(s.scenario, "gprs-loss");
  ASSERT_EQ(s.checks.size(), 7u);
  EXPECT_EQ(s.count(Status::passed), 7u);
  for (const CheckView& c : s.checks) EXPECT_TRUE(c.final) << c.name;
  EXPECT_EQ(s.checks[0].phase, "steady state before the first fault");
  // The master's side: its session with the DTU (dropped by the loss, back), its cycles.
  ASSERT_EQ(s.dtus.count("13800000101"), 1u);
  const RunDtu& dtu = s.dtus.at("13800000101");
  EXPECT_TRUE(dtu.online);
  EXPECT_GE(dtu.registrations, 2);
  EXPECT_GE(dtu.drops, 1);
  const RunConcentrator& c = s.concentrators.at("hm660-cell");
  EXPECT_GE(c.cycles, 10);
  ASSERT_TRUE(c.success_rate());
  EXPECT_GT(*c.success_rate(), 0.9);
  EXPECT_LT(*c.success_rate(), 1.0);  // a meter failed under the fault
  EXPECT_NE(s.replay.find("heatlink run"), std::string::npos);
  EXPECT_FALSE(s.output.empty());  // the console report
  EXPECT_TRUE(std::any_of(s.notes.begin(), s.notes.end(), [](const auto& n) {
    return n.second == "timeline: link_fault dtu 13800000101 loss";
  }));
}

TEST(ScenarioRun, AStoppedRunEndsWithItsSimulator) {
  ScenarioRun run(gprs_loss("stop", 60));
  ASSERT_TRUE(until([&] { return run.control().has_value(); })) << run.state().error;
  const auto [host, port] = *run.control();
  run.stop();
  EXPECT_TRUE(run.finished());
  const ScenarioState s = run.state();
  EXPECT_EQ(s.phase, ScenarioState::Phase::error);
  EXPECT_NE(s.error.find("stopped"), std::string::npos) << s.error;
  PanelModel model(host, port);
  model.refresh();
  EXPECT_FALSE(model.snapshot()->attached);
}

TEST(ScenarioRun, ABrokenScenarioSaysWhy) {
  auto options = gprs_loss("broken", 60);
  options.file = HEATLINK_SOURCE_DIR "/scenarios/no-such-scenario.yaml";
  ScenarioRun run(options);
  ASSERT_TRUE(until([&] { return run.finished(); }));
  const ScenarioState s = run.state();
  EXPECT_EQ(s.phase, ScenarioState::Phase::error);
  EXPECT_EQ(s.exit_code, 2);
  EXPECT_NE(s.error.find("no-such-scenario.yaml"), std::string::npos) << s.error;
}

TEST(ScenarioState, KeepsWhatIsNotProgressAsReportAndIgnoresStrayChecks) {
  ScenarioState s;
  s.apply(R"({"event":"plan","scenario":"x","checks":[{"index":0,"name":"a","to_s":60}]})");
  s.apply("PASS x (x.yaml): 60 s simulated");
  s.apply("{not json");
  s.apply(R"({"event":"check","index":7,"passed":true})");
  s.apply(R"({"event":"check","index":0,"passed":false,"message":"= 0, expected >= 1"})");
  ASSERT_EQ(s.checks.size(), 1u);
  EXPECT_EQ(s.checks[0].status, Status::failed);
  EXPECT_EQ(s.checks[0].message, "= 0, expected >= 1");
  EXPECT_EQ(s.output.size(), 2u);
  EXPECT_EQ(s.phase, ScenarioState::Phase::running);
}

}  // namespace
}  // namespace heatlink::gui
