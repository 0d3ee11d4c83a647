// Consumption per period against hand-computed cases: exact boundaries, gaps interpolated and
// flagged, register rollover, a meter replaced mid-period (filed, and not filed: never
// negative, suspect), a register stepping back, local-time calendars, heating seasons, and
// roll-ups.
#include "heatlink/master/analysis/consumption.h"

#include <gtest/gtest.h>

#include <ctime>

namespace {

namespace master = heatlink::master;
using master::Period;
using master::RegisterSample;

// Local time in China (UTC+8), as epoch seconds.
master::EpochSeconds local(int year, int month, int day, int hour = 0) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  return timegm(&tm) - 8 * 3600;
}

TEST(Consumption, DaysFromReadingsAtMidnight) {
  const std::vector<RegisterSample> samples = {{local(2026, 12, 1), 100, 10.0},
                                               {local(2026, 12, 2), 150, 11.5},
                                               {local(2026, 12, 3), 230, 13.0}};
  const auto days =
      master::consumption(samples, Period::day, local(2026, 12, 1), local(2026, 12, 4));
  ASSERT_EQ(days.size(), 3u);
  EXPECT_EQ(days[0].start, local(2026, 12, 1));
  EXPECT_DOUBLE_EQ(*days[0].energy_kwh, 50);
  EXPECT_DOUBLE_EQ(*days[0].volume_m3, 1.5);
  EXPECT_FALSE(days[0].interpolated);
  EXPECT_DOUBLE_EQ(*days[1].energy_kwh, 80);
  EXPECT_FALSE(days[2].energy_kwh.has_value()) << "no reading after 3 December: incomplete";
}

TEST(Consumption, AMissingMidnightIsInterpolatedAndFlagged) {
  // 22:00 and 02:00 around the missing midnight: 1000 and 1040 kWh, so 1020 at 00:00.
  const std::vector<RegisterSample> samples = {{local(2026, 12, 1), 900, std::nullopt},
                                               {local(2026, 12, 1, 22), 1000, std::nullopt},
                                               {local(2026, 12, 2, 2), 1040, std::nullopt},
                                               {local(2026, 12, 3), 1100, std::nullopt}};
  const auto days =
      master::consumption(samples, Period::day, local(2026, 12, 1), local(2026, 12, 3));
  ASSERT_EQ(days.size(), 2u);
  EXPECT_DOUBLE_EQ(*days[0].energy_kwh, 120);
  EXPECT_TRUE(days[0].interpolated);
  EXPECT_DOUBLE_EQ(*days[1].energy_kwh, 80);
  EXPECT_TRUE(days[1].interpolated);
}

TEST(Consumption, ARegisterThatWrapsIsNotNegativeUse) {
  master::ConsumptionOptions options;
  options.rollover_kwh = 100000;
  const std::vector<RegisterSample> samples = {{local(2026, 12, 1), 99990, std::nullopt},
                                               {local(2026, 12, 1, 12), 99999, std::nullopt},
                                               {local(2026, 12, 2), 20, std::nullopt},
                                               {local(2026, 12, 3), 70, std::nullopt}};
  const auto days =
      master::consumption(samples, Period::day, local(2026, 12, 1), local(2026, 12, 3), options);
  EXPECT_DOUBLE_EQ(*days[0].energy_kwh, 30);
  EXPECT_DOUBLE_EQ(*days[1].energy_kwh, 50);
}

TEST(Consumption, AReplacedMeterCountsBothMeters) {
  // The old meter ran from 5000 to 5100 until noon; the new one starts at 0 and reads 50 at
  // midnight: the day used 150 kWh.
  master::ConsumptionOptions options;
  options.replacements.push_back({local(2026, 12, 1, 12), 5100, 0, std::nullopt, std::nullopt});
  const std::vector<RegisterSample> samples = {{local(2026, 12, 1), 5000, std::nullopt},
                                               {local(2026, 12, 2), 50, std::nullopt},
                                               {local(2026, 12, 3), 90, std::nullopt}};
  const auto days =
      master::consumption(samples, Period::day, local(2026, 12, 1), local(2026, 12, 3), options);
  EXPECT_DOUBLE_EQ(*days[0].energy_kwh, 150);
  EXPECT_FALSE(days[0].interpolated);
  EXPECT_DOUBLE_EQ(*days[1].energy_kwh, 40);
}

TEST(Consumption, AnUnfiledResetIsNeverNegativeUseButASuspectLowerBound) {
  // The meter read 20,000 kWh on 10 December at midnight, 20,100 at noon, then was replaced by
  // one starting from 0 that nobody filed: 30 kWh at 18:00, 80 at midnight and 500 at the end
  // of the month. Nothing is known of the six hours between noon and 18:00.
  const std::vector<RegisterSample> samples = {
      {local(2026, 12, 1), 19000, 900.0},       {local(2026, 12, 10), 20000, 1000.0},
      {local(2026, 12, 10, 12), 20100, 1001.0}, {local(2026, 12, 10, 18), 30, 0.2},
      {local(2026, 12, 11), 80, 0.5},           {local(2027, 1, 1), 500, 4.5}};
  const auto days =
      master::consumption(samples, Period::day, local(2026, 12, 9), local(2026, 12, 12));
  ASSERT_EQ(days.size(), 3u);
  EXPECT_FALSE(days[0].suspect);
  EXPECT_DOUBLE_EQ(*days[1].energy_kwh, 100 + 50) << "before the fall, and after it";
  EXPECT_NEAR(*days[1].volume_m3, 1.0 + 0.3, 1e-9);
  EXPECT_TRUE(days[1].suspect);
  EXPECT_FALSE(days[2].suspect) << "the day after: the new meter alone";
  EXPECT_DOUBLE_EQ(*days[2].energy_kwh, 420.0 / 21);

  const auto month =
      master::consumption(samples, Period::month, local(2026, 12, 1), local(2027, 1, 1));
  ASSERT_EQ(month.size(), 1u);
  EXPECT_DOUBLE_EQ(*month[0].energy_kwh, 1100 + 470);
  EXPECT_TRUE(month[0].suspect);
  for (const Period p : {Period::quarter, Period::year, Period::heating_season}) {
    for (const auto& c : master::consumption(samples, p, local(2026, 10, 1), local(2027, 1, 1))) {
      EXPECT_GE(c.energy_kwh.value_or(0), 0) << master::period_name(p);
    }
  }
}

TEST(Consumption, AFiledReplacementIsNotSuspect) {
  // The same meter with the replacement filed: old final 20,130 at 15:00, new start 0.
  master::ConsumptionOptions options;
  options.replacements.push_back({local(2026, 12, 10, 15), 20130, 0, 1001.5, 0.0});
  const std::vector<RegisterSample> samples = {{local(2026, 12, 10), 20000, 1000.0},
                                               {local(2026, 12, 10, 12), 20100, 1001.0},
                                               {local(2026, 12, 10, 18), 30, 0.2},
                                               {local(2026, 12, 11), 80, 0.5}};
  const auto days =
      master::consumption(samples, Period::day, local(2026, 12, 10), local(2026, 12, 11), options);
  ASSERT_EQ(days.size(), 1u);
  EXPECT_DOUBLE_EQ(*days[0].energy_kwh, 130 + 80);
  EXPECT_NEAR(*days[0].volume_m3, 1.5 + 0.5, 1e-9);
  EXPECT_FALSE(days[0].suspect);
}

TEST(Consumption, ARegisterThatStepsBackMarksOnlyThePeriodsAcrossTheStep) {
  // One low reading between two good ones on 2 December: the days around it are suspect,
  // neither is negative, the days before and after are not touched.
  const std::vector<RegisterSample> samples = {{local(2026, 12, 1), 1000, std::nullopt},
                                               {local(2026, 12, 2), 1010, std::nullopt},
                                               {local(2026, 12, 2, 12), 900, std::nullopt},
                                               {local(2026, 12, 3), 1030, std::nullopt},
                                               {local(2026, 12, 4), 1050, std::nullopt}};
  const auto days =
      master::consumption(samples, Period::day, local(2026, 12, 1), local(2026, 12, 4));
  ASSERT_EQ(days.size(), 3u);
  EXPECT_FALSE(days[0].suspect);
  EXPECT_DOUBLE_EQ(*days[0].energy_kwh, 10);
  EXPECT_TRUE(days[1].suspect);
  EXPECT_GE(*days[1].energy_kwh, 0);
  EXPECT_FALSE(days[2].suspect);
  EXPECT_DOUBLE_EQ(*days[2].energy_kwh, 20);
}

TEST(Consumption, CalendarPeriodsFollowLocalTime) {
  const master::ConsumptionOptions options;
  const auto months = master::periods(Period::month, local(2027, 1, 1), local(2027, 4, 1), options);
  ASSERT_EQ(months.size(), 3u);
  EXPECT_EQ(months[1].first, local(2027, 2, 1));
  EXPECT_EQ(months[1].second, local(2027, 3, 1));
  const auto quarters =
      master::periods(Period::quarter, local(2026, 11, 5), local(2027, 2, 1), options);
  ASSERT_EQ(quarters.size(), 2u);
  EXPECT_EQ(quarters[0].first, local(2026, 10, 1));
  EXPECT_EQ(quarters[1].first, local(2027, 1, 1));
  EXPECT_EQ(quarters[1].second, local(2027, 4, 1));
  const auto years = master::periods(Period::year, local(2026, 6, 1), local(2027, 6, 1), options);
  ASSERT_EQ(years.size(), 2u);
  EXPECT_EQ(years[1].first, local(2027, 1, 1));
  // 00:00 in Beijing is 16:00 UTC the day before.
  EXPECT_EQ(local(2027, 1, 1) % 86400, 16 * 3600);
}

TEST(Consumption, TheHeatingSeasonRunsFromNovemberToMarch) {
  const master::ConsumptionOptions options;
  const auto seasons =
      master::periods(Period::heating_season, local(2026, 6, 1), local(2027, 12, 31), options);
  ASSERT_EQ(seasons.size(), 2u);
  EXPECT_EQ(seasons[0].first, local(2026, 11, 15));
  EXPECT_EQ(seasons[0].second, local(2027, 3, 15));
  EXPECT_EQ(seasons[1].first, local(2027, 11, 15));

  const std::vector<RegisterSample> samples = {{local(2026, 11, 15), 1000, std::nullopt},
                                               {local(2027, 3, 15), 7200, std::nullopt}};
  const auto used = master::consumption(samples, Period::heating_season, local(2026, 11, 15),
                                        local(2027, 3, 15), options);
  ASSERT_EQ(used.size(), 1u);
  EXPECT_DOUBLE_EQ(*used[0].energy_kwh, 6200);
}

TEST(Consumption, RollsUpMetersPeriodByPeriod) {
  const std::vector<std::vector<master::PeriodConsumption>> meters = {
      {{0, 10, 100.0, 1.0, false}, {10, 20, 50.0, std::nullopt, false}},
      {{0, 10, 30.0, 0.5, true}, {10, 20, std::nullopt, std::nullopt, false}},
  };
  const auto total = master::roll_up(meters);
  ASSERT_EQ(total.size(), 2u);
  EXPECT_DOUBLE_EQ(*total[0].total.energy_kwh, 130);
  EXPECT_DOUBLE_EQ(*total[0].total.volume_m3, 1.5);
  EXPECT_TRUE(total[0].total.interpolated);
  EXPECT_EQ(total[0].meters, 2u);
  EXPECT_FALSE(total[1].total.energy_kwh.has_value()) << "one meter missing: not a total";
  EXPECT_EQ(total[1].incomplete, 1u);
}

TEST(Consumption, ARollUpWithASuspectMeterIsSuspectAndCountsIt) {
  master::PeriodConsumption suspect{0, 10, 40.0, std::nullopt, false};
  suspect.suspect = true;
  const std::vector<std::vector<master::PeriodConsumption>> meters = {
      {{0, 10, 100.0, 1.0, false}}, {suspect}, {{0, 10, 5.0, 0.1, false}}};
  const auto total = master::roll_up(meters);
  ASSERT_EQ(total.size(), 1u);
  EXPECT_DOUBLE_EQ(*total[0].total.energy_kwh, 145);
  EXPECT_TRUE(total[0].total.suspect);
  EXPECT_EQ(total[0].suspect, 1u);
}

}  // namespace
