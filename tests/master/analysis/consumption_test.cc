// Consumption per period against hand-computed cases: exact boundaries, gaps interpolated and
// flagged, register rollover, a meter replaced mid-period, local-time calendars, heating
// seasons, and roll-ups.
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

}  // namespace
