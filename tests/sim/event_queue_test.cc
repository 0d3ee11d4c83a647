// Virtual time: order, cancellation, run_until, and paced runs against a fake wall clock.
#include "heatlink/sim/event_queue.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "heatlink/sim/pace.h"

namespace heatlink::sim {
namespace {

TEST(EventQueue, RunsEventsInTimeThenSchedulingOrder) {
  EventQueue q;
  std::string order;
  q.schedule_at(seconds(2), [&] { order += 'c'; });
  q.schedule_at(seconds(1), [&] { order += 'a'; });
  q.schedule_at(seconds(1), [&] { order += 'b'; });
  while (q.step()) {
  }
  EXPECT_EQ(order, "abc");
  EXPECT_EQ(q.now(), seconds(2));
}

TEST(EventQueue, EventsCanScheduleMoreEvents) {
  EventQueue q;
  int ticks = 0;
  std::function<void()> tick = [&] {
    ++ticks;
    q.schedule_after(minutes(1), tick);
  };
  q.schedule_at(0, tick);
  q.run_until(hours(1));
  EXPECT_EQ(ticks, 61);
  EXPECT_EQ(q.now(), hours(1));
}

TEST(EventQueue, CancelledEventsDoNotRunAndStaleIdsCancelNothing) {
  EventQueue q;
  bool ran = false;
  const auto id = q.schedule_at(seconds(1), [&] { ran = true; });
  EXPECT_TRUE(q.cancel(id));
  EXPECT_FALSE(q.cancel(id));
  q.run_until(seconds(5));
  EXPECT_FALSE(ran);
  bool later = false;
  q.schedule_at(seconds(6), [&] { later = true; });  // reuses the slot
  EXPECT_FALSE(q.cancel(id));
  q.run_until(seconds(10));
  EXPECT_TRUE(later);
}

TEST(EventQueue, NeverSchedulesIntoThePast) {
  EventQueue q;
  q.run_until(seconds(10));
  Micros seen = 0;
  q.schedule_at(seconds(1), [&] { seen = q.now(); });
  q.step();
  EXPECT_EQ(seen, seconds(10));
}

class FakeWallClock final : public WallClock {
 public:
  Micros now() override { return now_; }
  void sleep_until(Micros when) override {
    slept_ += when - now_;
    now_ = when;
  }
  Micros slept() const { return slept_; }

 private:
  Micros now_ = seconds(1000);
  Micros slept_ = 0;
};

TEST(PacedRunner, FastestNeverWaits) {
  EventQueue q;
  FakeWallClock wall;
  PacedRunner runner(q, wall, Pace::fastest());
  q.schedule_at(hours(5), [] {});
  EXPECT_EQ(runner.run_until(days(1)), 1u);
  EXPECT_EQ(wall.slept(), 0);
  EXPECT_EQ(q.now(), days(1));
}

TEST(PacedRunner, ScaledPaceWaitsVirtualTimeOverFactor) {
  EventQueue q;
  FakeWallClock wall;
  PacedRunner runner(q, wall, Pace::times(60));
  std::vector<Micros> wall_times;
  for (int i = 1; i <= 3; ++i) q.schedule_at(minutes(i), [&] { wall_times.push_back(wall.now()); });
  runner.run_until(minutes(10));
  EXPECT_EQ(wall_times, (std::vector<Micros>{seconds(1001), seconds(1002), seconds(1003)}));
  EXPECT_EQ(wall.slept(), seconds(10));
}

TEST(PacedRunner, ChangingPaceKeepsVirtualTime) {
  EventQueue q;
  FakeWallClock wall;
  PacedRunner runner(q, wall, Pace::real_time());
  runner.run_until(seconds(30));
  EXPECT_EQ(wall.slept(), seconds(30));
  runner.set_pace(Pace::fastest());
  runner.run_until(hours(1));
  EXPECT_EQ(wall.slept(), seconds(30));
  EXPECT_EQ(q.now(), hours(1));
}

TEST(Pace, ParsesTheThreePaces) {
  EXPECT_EQ(Pace::parse("fast")->mode, Pace::Mode::fastest);
  EXPECT_EQ(Pace::parse("realtime")->factor, 1.0);
  EXPECT_EQ(Pace::parse("x10")->factor, 10.0);
  EXPECT_FALSE(Pace::parse("x0").ok());
  EXPECT_FALSE(Pace::parse("slow").ok());
}

}  // namespace
}  // namespace heatlink::sim
