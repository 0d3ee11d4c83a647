// Simulated meters seen from the master's side: requests built with the protocol library,
// replies decoded with it, values compared with the model's ground truth.
#include "heatlink/sim/simulated_meter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <deque>

#include "heatlink/protocol/mbus_request.h"
#include "heatlink/protocol/mbus_telegram.h"

namespace heatlink::sim {
namespace {

namespace mbus = protocol::mbus;
namespace cjt188 = protocol::cjt188;

class SimulatedMeterTest : public ::testing::Test {
 protected:
  SimulatedMeterTest() {
    station.calendar = &calendar;
    station.weather = &weather;
  }

  SimulatedMeter& add(MeterKind kind, std::uint32_t id, std::uint8_t primary,
                      EnergyUnit unit = EnergyUnit::kwh) {
    MeterIdentity identity;
    identity.id = id;
    identity.primary = primary;
    identity.energy_unit = unit;
    const HeatMeterModel model(Household{}, clock.now(), 12345.0, 678.0);
    return meters.emplace_back(kind, identity, model, station, clock);
  }

  // REQ_UD2 to `meter`, decoded.
  const mbus::Telegram& read(SimulatedMeter& meter, bool fcb = true) {
    const protocol::FrameBytes bytes = mbus::req_ud2(meter.identity().primary, fcb);
    const auto request = mbus::decode_frame(bytes.view());  // views `bytes`
    reply = meter.mbus().receive(*request);
    EXPECT_TRUE(reply.has_value());
    const auto frame = mbus::decode_frame(reply->view());
    EXPECT_TRUE(frame.ok());
    EXPECT_TRUE(mbus::decode_telegram(*frame, telegram)) << telegram.error.message();
    return telegram;
  }

  const mbus::Record& find(protocol::Quantity q, std::uint64_t storage = 0,
                           mbus::Function f = mbus::Function::instantaneous) {
    for (const mbus::Record& r : telegram.records) {
      if (r.quantity == q && r.storage == storage && r.function == f) return r;
    }
    ADD_FAILURE() << "no " << protocol::quantity_name(q) << " at storage " << storage;
    return telegram.records.front();
  }

  std::optional<protocol::FrameBytes> cjt188_request(SimulatedMeter& meter,
                                                     const protocol::FrameBytes& request) {
    const auto frame = cjt188::decode_frame(request.view());
    EXPECT_TRUE(frame.ok());
    return meter.receive_cjt188(*frame);
  }

  EventQueue clock;
  Calendar calendar{CivilTime{2026, 1, 10}};
  WeatherProfile weather;
  HeatStation station;
  std::deque<SimulatedMeter> meters;
  std::optional<protocol::FrameBytes> reply;
  mbus::Telegram telegram;
};

TEST_F(SimulatedMeterTest, Multical403ReportsTheModelsRegisters) {
  SimulatedMeter& meter = add(MeterKind::multical403, 0x11223344, 1);
  clock.run_until(hours(30));
  read(meter);
  const MeterState& truth = meter.model_now().state();
  EXPECT_EQ(telegram.id, 0x11223344u);
  EXPECT_STREQ(mbus::manufacturer_letters(telegram.manufacturer).data(), "KAM");
  EXPECT_EQ(telegram.version, 0x34);
  EXPECT_EQ(find(protocol::Quantity::energy).mantissa,
            static_cast<std::int64_t>(std::floor(truth.energy_kwh)));
  EXPECT_GT(truth.energy_kwh, 12345.0 + 10);
  EXPECT_NEAR(find(protocol::Quantity::volume).value, truth.volume_m3, 0.01);
  EXPECT_NEAR(find(protocol::Quantity::flow_temperature).value, truth.supply_c, 0.005);
  EXPECT_NEAR(find(protocol::Quantity::return_temperature).value, truth.return_c, 0.005);
  EXPECT_NEAR(find(protocol::Quantity::flow).value, truth.flow_m3_per_h, 0.0005);
  EXPECT_EQ(find(protocol::Quantity::operating_time).value,
            static_cast<double>(truth.on_seconds / 60 * 60));
}

TEST_F(SimulatedMeterTest, KamstrupShowsABrokenSensorWithSentinelAndInfoCode) {
  SimulatedMeter& meter = add(MeterKind::multical403, 0x11223344, 1);
  MeterFaults faults;
  faults.flags = MeterFaults::supply_sensor_open | MeterFaults::low_battery;
  meter.model().set_faults(faults);
  clock.run_until(hours(1));
  read(meter);
  EXPECT_DOUBLE_EQ(find(protocol::Quantity::flow_temperature).value, 185.0);
  EXPECT_EQ(telegram.records.at(7).mantissa, 0x2 | 0x4 | 0x8);  // the info code record
  faults.flags = MeterFaults::return_sensor_short;
  meter.model().set_faults(faults);
  read(meter, false);
  EXPECT_DOUBLE_EQ(find(protocol::Quantity::return_temperature).value, 0.0);
}

TEST_F(SimulatedMeterTest, Multical603InMwhAndGj) {
  SimulatedMeter& mwh = add(MeterKind::multical603, 0x55555555, 2, EnergyUnit::mwh);
  SimulatedMeter& gj = add(MeterKind::multical603, 0x66666666, 3, EnergyUnit::gj);
  clock.run_until(days(40));  // across a month end: billing values in storage 1
  read(mwh);
  const auto& energy = find(protocol::Quantity::energy);
  EXPECT_EQ(energy.original_unit, protocol::Unit::mwh);
  EXPECT_NEAR(energy.value, mwh.model_now().state().energy_kwh, 100.0);  // 0.1 MWh steps
  const auto& billing = find(protocol::Quantity::energy, 1);
  EXPECT_NEAR(billing.value, mwh.model_now().state().billing_energy_kwh, 100.0);
  EXPECT_EQ(find(protocol::Quantity::date, 1).time.day, 1);
  EXPECT_EQ(find(protocol::Quantity::fabrication_number).mantissa, 55555555);
  EXPECT_EQ(find(protocol::Quantity::power, 0, mbus::Function::maximum).kind,
            mbus::ValueKind::integer);
  read(gj);
  EXPECT_EQ(find(protocol::Quantity::energy).original_unit, protocol::Unit::gj);
  EXPECT_NEAR(find(protocol::Quantity::energy).value, gj.model_now().state().energy_kwh, 28.0);
}

TEST_F(SimulatedMeterTest, Sharky775SendsEveryValueInBcdWithErrorFlags) {
  SimulatedMeter& meter = add(MeterKind::sharky775, 0x87654321, 4);
  MeterFaults faults;
  faults.flags = MeterFaults::air_in_flow_sensor;
  meter.model().set_faults(faults);
  clock.run_until(hours(12));
  read(meter);
  EXPECT_STREQ(mbus::manufacturer_letters(telegram.manufacturer).data(), "HYD");
  for (const mbus::Record& r : telegram.records) {
    if (r.quantity != protocol::Quantity::datetime && r.quantity != protocol::Quantity::date &&
        r.quantity != protocol::Quantity::error_flags) {
      EXPECT_EQ(r.kind, mbus::ValueKind::bcd) << protocol::quantity_name(r.quantity);
    }
  }
  EXPECT_EQ(find(protocol::Quantity::error_flags).mantissa, 0x04);  // E-4
  EXPECT_EQ(find(protocol::Quantity::flow).value, 0.0);
  faults.flags = MeterFaults::reverse_flow;
  meter.model().set_faults(faults);
  read(meter, false);
  EXPECT_LT(find(protocol::Quantity::power).mantissa, 0);  // a leading F nibble: negative
  EXPECT_EQ(find(protocol::Quantity::power).kind, mbus::ValueKind::bcd);
}

TEST_F(SimulatedMeterTest, SonoMeterSelectsDataSetsAndAnswersInTwoTelegrams) {
  SimulatedMeter& meter = add(MeterKind::sonometer30, 0x12121212, 5);
  clock.run_until(days(70));
  const protocol::FrameBytes all_data = mbus::application_reset(5, 0x10);
  const auto reset = mbus::decode_frame(all_data.view());  // views `all_data`
  ASSERT_TRUE(meter.mbus().receive(*reset).has_value());
  EXPECT_EQ(meter.data_set(), DataSet::all);
  read(meter, true);
  EXPECT_TRUE(telegram.more_records_follow);
  EXPECT_EQ(find(protocol::Quantity::error_flags).mantissa, 0);
  read(meter, false);  // FCB toggled: the second telegram, the month-end values
  EXPECT_FALSE(telegram.more_records_follow);
  EXPECT_NEAR(find(protocol::Quantity::energy, 2).value, meter.model_now().state().month_end_kwh[1],
              1.0);
  const protocol::FrameBytes instant_data = mbus::application_reset(5, 0x30);
  const auto instantaneous = mbus::decode_frame(instant_data.view());
  meter.mbus().receive(*instantaneous);
  read(meter, true);
  EXPECT_EQ(telegram.records.size(), 5u);
}

TEST_F(SimulatedMeterTest, SonoMeterErrorCodeHasFourHexDigits) {
  SimulatedMeter& meter = add(MeterKind::sonometer30, 0x12121213, 6);
  MeterFaults faults;
  faults.flags = MeterFaults::return_sensor_open | MeterFaults::supply_sensor_short |
                 MeterFaults::reverse_flow | MeterFaults::low_battery;
  meter.model().set_faults(faults);
  read(meter);
  EXPECT_EQ(find(protocol::Quantity::error_flags).mantissa, 0x1842);
}

TEST_F(SimulatedMeterTest, AnswersReqUd1WithAnAlarmWhileAFaultIsPresent) {
  SimulatedMeter& meter = add(MeterKind::multical403, 0x11223344, 1);
  const auto req_ud1 = mbus::decode_frame(mbus::req_ud1(1, true).view());
  auto answer = meter.mbus().receive(*req_ud1);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->size, 1u);  // E5: nothing to report
  read(meter);
  EXPECT_EQ(mbus::decode_frame(reply->view())->c & mbus::kFcb, 0);  // no ACD
  MeterFaults faults;
  faults.flags = MeterFaults::reverse_flow;
  meter.model().set_faults(faults);
  read(meter, false);
  EXPECT_NE(mbus::decode_frame(reply->view())->c & mbus::kFcb, 0);  // ACD: an alarm waits
  answer = meter.mbus().receive(*mbus::decode_frame(mbus::req_ud1(1, false).view()));
  ASSERT_TRUE(answer.has_value());
  ASSERT_TRUE(mbus::decode_telegram(*mbus::decode_frame(answer->view()), telegram));
  EXPECT_EQ(telegram.records.at(0).mantissa, 0x200);  // Kamstrup: wrong flow direction
}

TEST_F(SimulatedMeterTest, Cjt188MeterAnswersReadDataWithTheModelsValues) {
  SimulatedMeter& meter = add(MeterKind::cjt188_heat, 0x00123456, 0);
  clock.run_until(hours(20));
  const cjt188::Address address = meter.identity().cjt188_address();
  const auto answer = cjt188_request(
      meter, cjt188::read_data(cjt188::kHeatHeating, address, cjt188::kDiCurrentData, 7));
  ASSERT_TRUE(answer.has_value());
  const auto frame = cjt188::decode_frame(answer->view());
  ASSERT_TRUE(frame.ok());
  EXPECT_EQ(frame->ser, 7);
  cjt188::Reply r;
  ASSERT_TRUE(cjt188::decode_reply(*frame, r)) << r.error.message();
  const MeterState& truth = meter.model_now().state();
  EXPECT_NEAR(r.records.at(1).value, truth.energy_kwh, 0.01);
  EXPECT_NEAR(r.records.at(5).value, truth.supply_c, 0.005);
  EXPECT_EQ(r.status.valve(), cjt188::Valve::open);
}

TEST_F(SimulatedMeterTest, Cjt188ValveTakesSecondsToMove) {
  SimulatedMeter& meter = add(MeterKind::cjt188_heat, 0x00123457, 0);
  const cjt188::Address address = meter.identity().cjt188_address();
  const auto ack = cjt188_request(
      meter, cjt188::valve_control(cjt188::kHeatHeating, address, cjt188::kValveClose, 1));
  ASSERT_TRUE(ack.has_value());
  cjt188::Reply r;
  ASSERT_TRUE(cjt188::decode_reply(*cjt188::decode_frame(ack->view()), r));
  EXPECT_EQ(r.status.valve(), cjt188::Valve::open);  // still moving
  clock.run_until(meter.valve_travel + seconds(1));
  const auto poll = cjt188_request(
      meter, cjt188::read_data(cjt188::kHeatHeating, address, cjt188::kDiCurrentData, 2));
  ASSERT_TRUE(cjt188::decode_reply(*cjt188::decode_frame(poll->view()), r));
  EXPECT_EQ(r.status.valve(), cjt188::Valve::closed);
}

TEST_F(SimulatedMeterTest, Cjt188SetTimeReadAddressAndErrors) {
  SimulatedMeter& meter = add(MeterKind::cjt188_heat, 0x00123458, 0);
  const cjt188::Address address = meter.identity().cjt188_address();
  const mbus::TimePoint t{2026, 2, 1, 8, 30, 0, 'I'};
  ASSERT_TRUE(
      cjt188_request(meter, cjt188::set_time(cjt188::kHeatHeating, address, t, 3)).has_value());
  EXPECT_EQ(calendar.at(meter.model().meter_time(clock.now())).month, 2);
  const auto who = cjt188_request(meter, cjt188::read_address(cjt188::kHeatHeating, 4));
  ASSERT_TRUE(who.has_value());
  EXPECT_EQ(cjt188::decode_frame(who->view())->address, address);
  const auto bad =
      cjt188_request(meter, cjt188::read_data(cjt188::kHeatHeating, address, 0x1234, 5));
  ASSERT_TRUE(bad.has_value());
  EXPECT_TRUE(cjt188::decode_frame(bad->view())->is_error());
  cjt188::Address other = address;
  other.bytes[0] ^= 1;
  EXPECT_FALSE(cjt188_request(
                   meter, cjt188::read_data(cjt188::kHeatHeating, other, cjt188::kDiCurrentData, 6))
                   .has_value());
}

TEST_F(SimulatedMeterTest, SettlementValuesAreTheMonthEnds) {
  SimulatedMeter& meter = add(MeterKind::cjt188_heat, 0x00123459, 0);
  clock.run_until(days(80));
  const cjt188::Address address = meter.identity().cjt188_address();
  const auto answer =
      cjt188_request(meter, cjt188::read_data(cjt188::kHeatHeating, address, 0xD121, 8));
  cjt188::Reply r;
  ASSERT_TRUE(cjt188::decode_reply(*cjt188::decode_frame(answer->view()), r)) << r.error.message();
  EXPECT_EQ(r.records.at(0).storage, 2u);
  EXPECT_NEAR(r.records.at(0).value, meter.model_now().state().month_end_kwh[1], 0.01);
}

// For a bench in another process: the registers the meter sent, the newest few, with when.
TEST_F(SimulatedMeterTest, KeepsItsNewestAnswersWhenAsked) {
  SimulatedMeter& meter = add(MeterKind::multical403, 0x11223344, 1);
  read(meter);
  EXPECT_TRUE(meter.answers().empty()) << "nothing kept by default";
  meter.keep_answers(2);
  for (int h = 1; h <= 3; ++h) {
    clock.run_until(hours(h));
    read(meter, h % 2 == 0);
  }
  ASSERT_EQ(meter.answers().size(), 2u);
  EXPECT_EQ(meter.answers().front().at, hours(2));
  EXPECT_EQ(meter.answers().back().at, hours(3));
  EXPECT_DOUBLE_EQ(meter.answers().back().energy_kwh, meter.model_now().state().energy_kwh);
  EXPECT_LT(meter.answers().front().energy_kwh, meter.answers().back().energy_kwh);
}

TEST(SimulatedMeterSize, StateFitsTheMemoryBudget) {
  // 3,000,000 meters in 1.5 GiB: under 512 bytes each (recorded in docs/BENCHMARKS.md).
  EXPECT_LT(sizeof(SimulatedMeter), 512u);
}

}  // namespace
}  // namespace heatlink::sim
