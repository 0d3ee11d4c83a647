// Readings from the telegrams of every vendor the simulator impersonates: the registers the
// simulated meter holds come back, in kWh and m3, and each vendor's fault codes land on the
// same fault bits.
#include "heatlink/master/engine/reading_extract.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <deque>

#include "heatlink/master/analysis/fault_rules.h"
#include "heatlink/protocol/cjt188.h"
#include "heatlink/protocol/mbus_request.h"
#include "heatlink/sim/simulated_meter.h"

namespace {

namespace master = heatlink::master;
namespace sim = heatlink::sim;
namespace mbus = heatlink::protocol::mbus;
namespace cjt188 = heatlink::protocol::cjt188;

class ReadingExtract : public ::testing::Test {
 protected:
  ReadingExtract() {
    station_.calendar = &calendar_;
    station_.weather = &weather_;
  }

  sim::SimulatedMeter& meter(sim::MeterKind kind, sim::EnergyUnit unit = sim::EnergyUnit::kwh) {
    sim::MeterIdentity identity;
    identity.id = 0x50000001;
    identity.primary = 7;
    identity.energy_unit = unit;
    const sim::HeatMeterModel model(sim::Household{}, clock_.now(), 12345.6, 678.9);
    return meters_.emplace_back(kind, identity, model, station_, clock_);
  }

  // Every telegram of a REQ_UD2 conversation.
  std::vector<std::vector<std::uint8_t>> telegrams(sim::SimulatedMeter& m) {
    std::vector<std::vector<std::uint8_t>> out;
    bool fcb = true;
    for (int i = 0; i < 4; ++i) {
      const auto request_bytes = mbus::req_ud2(7, fcb);
      const auto request = mbus::decode_frame(request_bytes.view());
      const auto reply = m.mbus().receive(*request);
      if (!reply) break;
      out.push_back(reply->to_vector());
      mbus::Telegram t;
      mbus::decode_telegram(*mbus::decode_frame(out.back()), t);
      if (!t.more_records_follow) break;
      fcb = !fcb;
    }
    return out;
  }

  master::Reading extract(sim::SimulatedMeter& m) {
    master::ExtractOptions options;
    options.meter_id = 42;
    options.received_at = 1'796'083'200;
    auto result = master::reading_from_mbus(telegrams(m), options);
    if (auto* problem = std::get_if<std::string>(&result)) {
      ADD_FAILURE() << *problem;
      return {};
    }
    return std::get<master::Reading>(result);
  }

  sim::EventQueue clock_;
  sim::Calendar calendar_;
  sim::WeatherProfile weather_;
  sim::HeatStation station_;
  std::deque<sim::SimulatedMeter> meters_;
};

TEST_F(ReadingExtract, EveryMbusVendorGivesTheRegistersItHolds) {
  struct Case {
    sim::MeterKind kind;
    sim::EnergyUnit unit;
    double resolution_kwh;
    bool reports_volume;
  };
  for (const Case c : {Case{sim::MeterKind::multical403, sim::EnergyUnit::kwh, 1, true},
                       Case{sim::MeterKind::multical603, sim::EnergyUnit::mwh, 100, false},
                       Case{sim::MeterKind::multical603, sim::EnergyUnit::gj, 27.8, false},
                       Case{sim::MeterKind::sharky775, sim::EnergyUnit::kwh, 1, true},
                       Case{sim::MeterKind::sonometer30, sim::EnergyUnit::kwh, 1, true}}) {
    auto& m = meter(c.kind, c.unit);
    const master::Reading r = extract(m);
    const auto& state = m.model().state();
    SCOPED_TRACE(sim::meter_kind_name(c.kind));
    ASSERT_TRUE(r.energy_kwh.has_value());
    EXPECT_NEAR(*r.energy_kwh, state.energy_kwh, c.resolution_kwh);
    EXPECT_LE(*r.energy_kwh, state.energy_kwh + 1e-6)
        << "a register is truncated, never rounded up";
    ASSERT_TRUE(r.energy_step_kwh.has_value()) << "the register's step, for the fault rules";
    EXPECT_GT(*r.energy_step_kwh, 0);
    EXPECT_LE(*r.energy_step_kwh, c.resolution_kwh + 1e-9);
    EXPECT_EQ(r.volume_m3.has_value(), c.reports_volume);
    if (c.reports_volume) {
      EXPECT_NEAR(*r.volume_m3, state.volume_m3, 0.01);
    }
    EXPECT_TRUE(r.supply_c.has_value() && r.return_c.has_value() && r.delta_t_k.has_value());
    EXPECT_EQ(r.meter_id, 42);
    EXPECT_EQ(r.received_at, 1'796'083'200);
    EXPECT_EQ(r.error_bits, 0u);
  }
}

TEST_F(ReadingExtract, VendorFaultCodesBecomeTheSameBits) {
  for (const auto kind :
       {sim::MeterKind::multical403, sim::MeterKind::sharky775, sim::MeterKind::sonometer30}) {
    auto& m = meter(kind);
    sim::MeterFaults faults;
    faults.flags = sim::MeterFaults::return_sensor_open;
    m.model().set_faults(faults);
    SCOPED_TRACE(sim::meter_kind_name(kind));
    EXPECT_NE(extract(m).error_bits & master::fault_bit::return_sensor, 0u);
  }
  auto& kamstrup = meter(sim::MeterKind::multical403);
  sim::MeterFaults battery;
  battery.flags = sim::MeterFaults::low_battery;
  kamstrup.model().set_faults(battery);
  EXPECT_EQ(extract(kamstrup).error_bits, master::fault_bit::low_battery);
}

// A failed sensor's sentinel (Kamstrup: 185.00 degC open, 0.00 short) is no temperature: the
// reading keeps the fault bit and the registers, and leaves empty what the sensor measured.
TEST_F(ReadingExtract, ValuesOfAFailedSensorAreLeftEmptyNotTakenAsMeasured) {
  struct Case {
    sim::MeterKind kind;
    std::uint16_t fault;
    bool supply_failed;
  };
  for (const Case c :
       {Case{sim::MeterKind::multical403, sim::MeterFaults::supply_sensor_open, true},
        Case{sim::MeterKind::multical403, sim::MeterFaults::return_sensor_short, false},
        Case{sim::MeterKind::sharky775, sim::MeterFaults::supply_sensor_short, true},
        Case{sim::MeterKind::sonometer30, sim::MeterFaults::return_sensor_open, false}}) {
    auto& m = meter(c.kind);
    sim::MeterFaults faults;
    faults.flags = c.fault;
    m.model().set_faults(faults);
    SCOPED_TRACE(sim::meter_kind_name(c.kind));
    const master::Reading r = extract(m);
    EXPECT_NE(r.error_bits & (c.supply_failed ? master::fault_bit::supply_sensor
                                              : master::fault_bit::return_sensor),
              0u);
    EXPECT_EQ(r.supply_c.has_value(), !c.supply_failed);
    EXPECT_EQ(r.return_c.has_value(), c.supply_failed);
    EXPECT_FALSE(r.delta_t_k.has_value());
    EXPECT_FALSE(r.power_kw.has_value());
    EXPECT_TRUE(r.energy_kwh.has_value()) << "the register is not the sensor";
    EXPECT_TRUE(r.flow_m3h.has_value()) << "the flow sensor works";
  }
}

TEST_F(ReadingExtract, ACjt188ReplyGivesCurrentHeatNotTheSettlementValue) {
  auto& m = meter(sim::MeterKind::cjt188_heat);
  const auto request = cjt188::read_data(cjt188::kHeatHeating, m.identity().cjt188_address(),
                                         cjt188::kDiCurrentData, 0);
  const auto reply = m.receive_cjt188(*cjt188::decode_frame(request.view()));
  ASSERT_TRUE(reply.has_value());
  master::ExtractOptions options;
  options.keep_raw = true;
  auto result = master::reading_from_cjt188(reply->view(), options);
  ASSERT_TRUE(std::holds_alternative<master::Reading>(result)) << std::get<std::string>(result);
  const auto& r = std::get<master::Reading>(result);
  EXPECT_NEAR(*r.energy_kwh, m.model().state().energy_kwh, 0.01);
  EXPECT_TRUE(r.meter_time.has_value());
  EXPECT_EQ(r.read_at, *r.meter_time);
  EXPECT_EQ(r.raw, reply->to_vector());
}

// An RSP_UD of a Kamstrup heat meter (ID 50000001) whose BCD records are written out: energy
// (kWh, 8 digits), flow and return temperature (0.1 degC, 4 digits) and flow (l/h, 6 digits).
std::vector<std::uint8_t> bcd_telegram(std::array<std::uint8_t, 4> energy,
                                       std::array<std::uint8_t, 2> supply,
                                       std::array<std::uint8_t, 3> flow) {
  const std::vector<std::uint8_t> data = {
      0x01, 0x00, 0x00,      0x50,      0x2D,      0x2C,
      0x34, 0x04, 0x01,      0x00,      0x00,      0x00,       // header
      0x0C, 0x06, energy[0], energy[1], energy[2], energy[3],  // energy
      0x0A, 0x5A, supply[0], supply[1],                        // flow temp.
      0x0A, 0x5E, 0x50,      0x04,                             // return 45.0
      0x0B, 0x3B, flow[0],   flow[1],   flow[2]};              // flow
  return mbus::encode_long(0x08, 7, 0x72, data)->to_vector();
}

// A value the meter sends as an error (BCD digits A-E) is no number: it is left empty, never
// read as 0 or as a huge value, and it raises the fault of the sensor behind it. An energy
// register sent as an error still files the reading (the temperatures and the flow are good),
// with no energy and the calculator fault, rather than losing the whole answer.
TEST_F(ReadingExtract, ValuesSentAsBcdErrorsAreEmptyAndRaiseTheirSensorsFault) {
  master::ExtractOptions options;
  const std::vector<std::vector<std::uint8_t>> good = {
      bcd_telegram({0x56, 0x34, 0x12, 0x00}, {0x50, 0x07}, {0x00, 0x05, 0x00})};
  const auto healthy = std::get<master::Reading>(master::reading_from_mbus(good, options));
  EXPECT_DOUBLE_EQ(*healthy.energy_kwh, 123456);
  EXPECT_DOUBLE_EQ(*healthy.supply_c, 75.0);
  EXPECT_DOUBLE_EQ(*healthy.delta_t_k, 30.0);
  EXPECT_EQ(healthy.error_bits, 0u);

  const std::vector<std::vector<std::uint8_t>> open_supply = {
      bcd_telegram({0x56, 0x34, 0x12, 0x00}, {0xEE, 0xEE}, {0x00, 0x05, 0x00})};
  const auto sensor = std::get<master::Reading>(master::reading_from_mbus(open_supply, options));
  EXPECT_FALSE(sensor.supply_c.has_value());
  EXPECT_FALSE(sensor.delta_t_k.has_value()) << "no difference with a value that is none";
  EXPECT_DOUBLE_EQ(*sensor.return_c, 45.0);
  EXPECT_DOUBLE_EQ(*sensor.energy_kwh, 123456);
  EXPECT_EQ(sensor.error_bits, master::fault_bit::supply_sensor);

  const std::vector<std::vector<std::uint8_t>> broken_flow = {
      bcd_telegram({0x56, 0x34, 0x12, 0x00}, {0x50, 0x07}, {0x00, 0xA0, 0x00})};
  const auto flow = std::get<master::Reading>(master::reading_from_mbus(broken_flow, options));
  EXPECT_FALSE(flow.flow_m3h.has_value());
  EXPECT_EQ(flow.error_bits, master::fault_bit::flow_sensor);

  const std::vector<std::vector<std::uint8_t>> no_register = {
      bcd_telegram({0xEE, 0xEE, 0xEE, 0xEE}, {0x50, 0x07}, {0x00, 0x05, 0x00})};
  const auto result = master::reading_from_mbus(no_register, options);
  ASSERT_TRUE(std::holds_alternative<master::Reading>(result)) << std::get<std::string>(result);
  const auto& calculator = std::get<master::Reading>(result);
  EXPECT_FALSE(calculator.energy_kwh.has_value());
  EXPECT_EQ(calculator.error_bits, master::fault_bit::calculator);
  EXPECT_DOUBLE_EQ(*calculator.supply_c, 75.0);
}

// CJ/T 188: a temperature field that is no BCD (a vendor's EE EE EE for an open sensor) is
// empty and names its sensor, whatever the status bytes say.
TEST_F(ReadingExtract, ACjt188FieldThatIsNoBcdIsEmptyAndNamesItsSensor) {
  auto& m = meter(sim::MeterKind::cjt188_heat);
  const auto request = cjt188::read_data(cjt188::kHeatHeating, m.identity().cjt188_address(),
                                         cjt188::kDiCurrentData, 0);
  auto reply = m.receive_cjt188(*cjt188::decode_frame(request.view()))->to_vector();
  const auto frame = cjt188::decode_frame(reply);
  ASSERT_TRUE(frame);
  const auto data_at = static_cast<std::size_t>(frame->data.data() - reply.data());
  const auto start =
      static_cast<std::size_t>(std::find(reply.begin(), reply.end(), 0x68) - reply.begin());
  for (std::size_t i = 28; i < 31; ++i) reply[data_at + i] = 0xEE;  // return temperature
  reply[reply.size() - 2] =
      mbus::checksum(std::span<const std::uint8_t>(reply).subspan(start, reply.size() - 2 - start));
  const auto result = master::reading_from_cjt188(reply, master::ExtractOptions{});
  ASSERT_TRUE(std::holds_alternative<master::Reading>(result)) << std::get<std::string>(result);
  const auto& r = std::get<master::Reading>(result);
  EXPECT_FALSE(r.return_c.has_value());
  EXPECT_FALSE(r.delta_t_k.has_value());
  EXPECT_TRUE(r.supply_c.has_value());
  EXPECT_EQ(r.error_bits, master::fault_bit::return_sensor);
  EXPECT_NEAR(*r.energy_kwh, m.model().state().energy_kwh, 0.01);
}

TEST_F(ReadingExtract, NamesWhatIsWrong) {
  master::ExtractOptions options;
  std::vector<std::vector<std::uint8_t>> broken = {{0x68, 0x03, 0x03, 0x68, 0x08}};
  auto result = master::reading_from_mbus(broken, options);
  ASSERT_TRUE(std::holds_alternative<std::string>(result));
  EXPECT_EQ(std::get<std::string>(result).rfind("telegram 1: ", 0), 0u)
      << std::get<std::string>(result);
  const std::vector<std::uint8_t> not_cjt = {0xE5};
  EXPECT_TRUE(std::holds_alternative<std::string>(master::reading_from_cjt188(not_cjt, options)));
}

// The identity an answer carries, matched against the base information: the full header of
// each telegram (so two makers' meters sharing an ID are told apart), a mask's F nibbles as
// wildcards, a CJ/T 188 meter's address; a meter whose identity is unknown takes any.
TEST_F(ReadingExtract, AnAnswerIsTheMetersOnlyWhenItsIdentityIsTheBaseInformations) {
  auto& kamstrup = meter(sim::MeterKind::multical403);
  const auto identities = master::identities_of_mbus(telegrams(kamstrup));
  ASSERT_FALSE(identities.empty());
  const std::string seen = identities.front();
  ASSERT_EQ(seen.size(), 16u);
  EXPECT_EQ(seen.substr(0, 8), "50000001");
  master::MeterRecord record;
  EXPECT_TRUE(master::identity_matches(record, seen)) << "no identity on file: nothing to check";
  record.secondary_address = seen;
  EXPECT_TRUE(master::identity_matches(record, seen));
  record.secondary_address = "50000001FFFFFFFF";
  EXPECT_TRUE(master::identity_matches(record, seen)) << "only the ID on file";
  record.secondary_address = "50000002FFFFFFFF";
  EXPECT_FALSE(master::identity_matches(record, seen));
  record.secondary_address = "50000001" + std::string("2324") + seen.substr(12);
  EXPECT_FALSE(master::identity_matches(record, seen)) << "the same ID from another maker";
  EXPECT_FALSE(master::identity_matches(record, "")) << "no identity is no match";

  auto& cjt = meter(sim::MeterKind::cjt188_heat);
  const auto request = cjt188::read_data(cjt188::kHeatHeating, cjt.identity().cjt188_address(),
                                         cjt188::kDiCurrentData, 0);
  const auto reply = cjt.receive_cjt188(*cjt188::decode_frame(request.view()));
  ASSERT_TRUE(reply.has_value());
  const std::string address = master::identity_of_cjt188(reply->view());
  EXPECT_EQ(address, cjt.identity().cjt188_address().to_string());
  master::MeterRecord cjt_record;
  cjt_record.protocol = master::MeterProtocol::cjt188;
  cjt_record.secondary_address = address;
  EXPECT_TRUE(master::identity_matches(cjt_record, address));
  cjt_record.secondary_address = "00000050000002";
  EXPECT_FALSE(master::identity_matches(cjt_record, address));
}

}  // namespace
