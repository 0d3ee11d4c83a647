// Household heat meter physics: registers agree with instantaneous values, the household
// behaves like one, and every physical fault knob shows.
#include "heatlink/sim/heat_meter_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "heatlink/sim/water.h"

namespace heatlink::sim {
namespace {

void add_fault(HeatMeterModel& meter, std::uint16_t flag) {
  MeterFaults faults = meter.faults();
  faults.flags |= flag;
  meter.set_faults(faults);
}

class HeatMeterModelTest : public ::testing::Test {
 protected:
  HeatMeterModelTest() {
    station.calendar = &calendar;
    station.weather = &weather;
  }
  Calendar calendar{CivilTime{2026, 1, 10, 0, 0, 0}};
  WeatherProfile weather;
  HeatStation station;
  Household household{0.1F, 20.0F, 20.0F, 3.5F, 1.0F};
};

TEST_F(HeatMeterModelTest, EnergyIncrementEqualsTheIntegralOfPower) {
  HeatMeterModel meter(household, 0, 1000.0);
  double integral_kwh = 0;
  for (Micros t = 0; t < days(3); t += minutes(1)) {
    meter.advance(t, station);  // the power shown now holds for the next minute
    integral_kwh += meter.state().power_kw / 60.0;
  }
  meter.advance(days(3), station);
  const double increment = meter.state().energy_kwh - 1000.0;
  EXPECT_GT(increment, 50.0);
  EXPECT_NEAR(increment, integral_kwh, integral_kwh * 0.001);
}

TEST_F(HeatMeterModelTest, VolumeIncrementEqualsTheIntegralOfFlow) {
  HeatMeterModel meter(household, 0);
  double integral_m3 = 0;
  for (Micros t = 0; t < days(1); t += minutes(1)) {
    meter.advance(t, station);
    integral_m3 += meter.state().flow_m3_per_h / 60.0;
  }
  meter.advance(days(1), station);
  EXPECT_NEAR(meter.state().volume_m3, integral_m3, integral_m3 * 0.001);
}

TEST_F(HeatMeterModelTest, StateDoesNotDependOnWhenTheMeterWasRead) {
  HeatMeterModel often(household, 0), once(household, 0);
  for (Micros t = 0; t <= days(2); t += seconds(97)) often.advance(t, station);
  often.advance(days(2), station);
  once.advance(days(2), station);
  EXPECT_NEAR(often.state().energy_kwh, once.state().energy_kwh, 1e-9);
  EXPECT_NEAR(often.state().volume_m3, once.state().volume_m3, 1e-9);
  EXPECT_EQ(often.state().on_seconds, once.state().on_seconds);
}

TEST_F(HeatMeterModelTest, PowerFollowsTheReturnTemperatureAndFlow) {
  HeatMeterModel meter(household, 0);
  meter.advance(hours(10), station);
  const MeterState& s = meter.state();
  EXPECT_GT(s.supply_c, s.return_c);
  EXPECT_GT(s.flow_m3_per_h, 0.0F);
  const double expected = water::power_kw(s.flow_m3_per_h, s.supply_c, s.return_c, s.return_c);
  EXPECT_NEAR(s.power_kw, expected, expected * 1e-4);
  // The supply temperature follows the station's heating curve of the outdoor temperature.
  EXPECT_NEAR(s.supply_c, station.curve.supply_temperature(station.outdoor(hours(10))), 1e-3);
}

TEST_F(HeatMeterModelTest, ColderWeatherDrawsMoreHeat) {
  WeatherProfile cold, mild;
  cold.table = {{0, -15.0}, {days(10), -15.0}};
  mild.table = {{0, 5.0}, {days(10), 5.0}};
  HeatStation cold_station{&calendar, &cold, HeatingCurve{}, true};
  HeatStation mild_station{&calendar, &mild, HeatingCurve{}, true};
  HeatMeterModel a(household, 0), b(household, 0);
  a.advance(days(1), cold_station);
  b.advance(days(1), mild_station);
  EXPECT_GT(a.state().energy_kwh, 2.0 * b.state().energy_kwh);
  EXPECT_GT(a.state().supply_c, b.state().supply_c);
}

TEST_F(HeatMeterModelTest, AClosedValveStopsTheFlowOnceItHasMoved) {
  HeatMeterModel meter(household, 0);
  meter.advance(hours(1), station);
  meter.command_valve(false, hours(1), seconds(30));
  EXPECT_TRUE(meter.valve_moving(hours(1) + seconds(10)));
  EXPECT_TRUE(meter.valve_open(hours(1) + seconds(10)));
  EXPECT_FALSE(meter.valve_open(hours(1) + seconds(30)));
  meter.advance(hours(2), station);
  EXPECT_EQ(meter.state().flow_m3_per_h, 0.0F);
  const double energy = meter.state().energy_kwh;
  meter.advance(hours(5), station);
  EXPECT_EQ(meter.state().energy_kwh, energy);
}

TEST_F(HeatMeterModelTest, TakesBillingValuesAtTheFirstOfTheMonth) {
  HeatMeterModel meter(household, 0, 500.0);
  const Micros feb1 = calendar.time_of(CivilTime{2026, 2, 1});
  meter.advance(feb1 - hours(1), station);
  const double before = meter.state().energy_kwh;
  meter.advance(feb1 + hours(5), station);
  const MeterState& s = meter.state();
  EXPECT_EQ(s.billing_time, feb1);
  EXPECT_GT(s.billing_energy_kwh, before);
  EXPECT_LT(s.billing_energy_kwh, s.energy_kwh);
  EXPECT_FLOAT_EQ(s.month_end_kwh[0], static_cast<float>(s.billing_energy_kwh));
  EXPECT_FLOAT_EQ(s.month_end_kwh[1], 500.0F);
}

TEST_F(HeatMeterModelTest, ABrokenSensorStopsEnergyAndCountsErrorTime) {
  HeatMeterModel meter(household, 0);
  meter.advance(hours(1), station);
  add_fault(meter, MeterFaults::return_sensor_open);
  const double energy = meter.state().energy_kwh;
  const double volume = meter.state().volume_m3;
  meter.advance(hours(3), station);
  EXPECT_EQ(meter.state().energy_kwh, energy);
  EXPECT_GT(meter.state().volume_m3, volume);  // the flow sensor still counts
  EXPECT_EQ(meter.state().error_seconds, 2 * 3600);
}

TEST_F(HeatMeterModelTest, AirReverseFlowLeakAndFrozenRegistersShow) {
  HeatMeterModel air(household, 0), reverse(household, 0), leak(household, 0), frozen(household, 0);
  add_fault(air, MeterFaults::air_in_flow_sensor);
  add_fault(reverse, MeterFaults::reverse_flow);
  MeterFaults leaking;
  leaking.leak_m3_per_h = 0.5F;
  leak.set_faults(leaking);
  leak.command_valve(false, 0, 0);
  frozen.advance(hours(1), station);
  add_fault(frozen, MeterFaults::frozen_registers);
  const double frozen_energy = frozen.state().energy_kwh;
  for (HeatMeterModel* m : {&air, &reverse, &leak, &frozen}) m->advance(hours(6), station);
  EXPECT_EQ(air.state().flow_m3_per_h, 0.0F);
  EXPECT_EQ(air.state().volume_m3, 0.0);
  EXPECT_LT(reverse.state().flow_m3_per_h, 0.0F);
  EXPECT_EQ(reverse.state().energy_kwh, 0.0);
  EXPECT_NEAR(leak.state().volume_m3, 0.5 * 6, 1e-9);  // flow through a closed valve
  EXPECT_EQ(frozen.state().energy_kwh, frozen_energy);
}

TEST_F(HeatMeterModelTest, RegistersCanRunBackwards) {
  HeatMeterModel meter(household, 0, 1000.0);
  add_fault(meter, MeterFaults::registers_backwards);
  meter.advance(hours(6), station);
  EXPECT_LT(meter.state().energy_kwh, 1000.0);
}

TEST_F(HeatMeterModelTest, TheMeterClockDrifts) {
  HeatMeterModel meter(household, 0);
  MeterFaults drifting;
  drifting.clock_drift_ppm = 100;  // 8.64 s a day
  meter.set_faults(drifting);
  EXPECT_EQ(meter.meter_time(days(1)) - days(1), milliseconds(8640));
  meter.set_meter_time(days(1), days(1));
  EXPECT_EQ(meter.meter_time(days(1)), days(1));
}

TEST(Calendar, MapsVirtualTimeToCivilTime) {
  const Calendar calendar{CivilTime{2024, 2, 28, 23, 0, 0}};
  const CivilTime c = calendar.at(hours(2));
  EXPECT_EQ(c.year, 2024);
  EXPECT_EQ(c.month, 2);
  EXPECT_EQ(c.day, 29);  // a leap year
  EXPECT_EQ(c.hour, 1);
  EXPECT_EQ(calendar.time_of(CivilTime{2024, 3, 1}), hours(25));
  EXPECT_EQ(calendar.at(days(366)).day_of_year, 58);  // 2025-02-28
}

TEST(Weather, ColdInJanuaryMildInOctoberColderAtNight) {
  const Calendar calendar{CivilTime{2026, 1, 20, 4, 0, 0}};
  const WeatherProfile weather;
  const double january_night = weather.outdoor_temperature(0, calendar);
  const double january_afternoon = weather.outdoor_temperature(hours(12), calendar);
  const double october = weather.outdoor_temperature(days(260), calendar);
  EXPECT_NEAR(january_night,
              weather.annual_mean - weather.annual_amplitude - weather.daily_amplitude, 0.5);
  EXPECT_GT(january_afternoon, january_night + 6.0);
  EXPECT_GT(october, january_afternoon + 10.0);
}

}  // namespace
}  // namespace heatlink::sim
