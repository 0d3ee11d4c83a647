// Fault analysis against hand-made readings: vendor codes normalised, every built-in rule,
// custom rules, and faults that raise after their persistence time and clear.
#include "heatlink/master/analysis/fault_rules.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace {

namespace master = heatlink::master;
namespace bit = heatlink::master::fault_bit;

master::Reading heating(master::EpochSeconds at, double energy) {
  master::Reading r;
  r.meter_id = 1;
  r.read_at = at;
  r.received_at = at;
  r.meter_time = at;
  r.energy_kwh = energy;
  r.flow_m3h = 0.4;
  r.supply_c = 65;
  r.return_c = 45;
  r.delta_t_k = 20;
  return r;
}

std::vector<std::string> codes(const std::vector<master::Finding>& findings) {
  std::vector<std::string> out;
  for (const auto& f : findings) out.push_back(f.code);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(FaultBits, EveryVendorCodeMapsToOneSet) {
  EXPECT_EQ(master::kamstrup_fault_bits(0x2), bit::low_battery);
  EXPECT_EQ(master::kamstrup_fault_bits(0x8 | 0x4), bit::supply_sensor);
  EXPECT_EQ(master::kamstrup_fault_bits(0x40), bit::return_sensor);
  EXPECT_EQ(master::kamstrup_fault_bits(0x100 | 0x200), bit::air | bit::reverse_flow);
  EXPECT_EQ(master::kamstrup_fault_bits(0x4000 | 0x8000), bit::leak | bit::burst);
  EXPECT_EQ(master::sharky_fault_bits(0x01 | 0x04 | 0x20),
            bit::supply_sensor | bit::flow_sensor | bit::leak);
  EXPECT_EQ(master::sharky_fault_bits(0x08 | 0x10), bit::low_battery | bit::reverse_flow);
  EXPECT_EQ(master::sonometer_fault_bits(0x0010), bit::supply_sensor);
  EXPECT_EQ(master::sonometer_fault_bits(0x8208),
            bit::calculator | bit::return_sensor | bit::flow_sensor);
  EXPECT_EQ(master::sonometer_fault_bits(0x1003), bit::low_battery | bit::air | bit::reverse_flow);
  EXPECT_EQ(master::sonometer_fault_bits(0x6004), 0u) << "dT and flow limits: rules of their own";
  EXPECT_EQ(master::cjt188_fault_bits(0x07, 0x0A),
            bit::valve_fault | bit::low_battery | bit::supply_sensor | bit::flow_sensor);
  EXPECT_EQ(master::cjt188_fault_bits(0x01, 0x00), 0u) << "a closed valve is no fault";
}

TEST(BuiltinRules, AHealthyReadingFindsNothing) {
  const auto before = heating(0, 1000);
  const auto now = heating(3600, 1009);
  master::RuleLimits limits;
  limits.max_power_kw = 50;
  EXPECT_TRUE(master::builtin_findings(now, &before, limits).empty());
}

TEST(BuiltinRules, TemperatureAndFlowRules) {
  master::RuleLimits limits;
  limits.max_flow_m3h = 2;
  auto r = heating(0, 1000);
  r.supply_c = 40;
  r.return_c = 45;
  r.delta_t_k.reset();
  EXPECT_EQ(codes(master::builtin_findings(r, nullptr, limits)),
            std::vector<std::string>{"supply_below_return"});
  r = heating(0, 1000);
  r.delta_t_k = 0.4;
  EXPECT_EQ(codes(master::builtin_findings(r, nullptr, limits)),
            std::vector<std::string>{"low_delta_t"});
  r.flow_m3h = 0;  // not flowing: a small dT is normal
  EXPECT_TRUE(master::builtin_findings(r, nullptr, limits).empty());
  r = heating(0, 1000);
  r.flow_m3h = 3.5;
  EXPECT_EQ(codes(master::builtin_findings(r, nullptr, limits)),
            std::vector<std::string>{"flow_above_limit"});
}

TEST(BuiltinRules, RegisterRules) {
  master::RuleLimits limits;
  limits.max_power_kw = 20;
  const auto before = heating(0, 1000);
  EXPECT_EQ(codes(master::builtin_findings(heating(3600, 990), &before, limits)),
            std::vector<std::string>{"register_backwards"});
  EXPECT_EQ(codes(master::builtin_findings(heating(3600, 12), &before, limits)),
            std::vector<std::string>{"replacement_unfiled"})
      << "1000 to 12 kWh: a register reset, a replacement to file";
  EXPECT_EQ(codes(master::builtin_findings(heating(3600, 1030), &before, limits)),
            std::vector<std::string>{"register_jump"})
      << "30 kWh in an hour is more than 20 kW can give";
  EXPECT_EQ(codes(master::builtin_findings(heating(7200, 1000), &before, limits)),
            std::vector<std::string>{"energy_flat"});
  auto idle = heating(7200, 1000);
  idle.flow_m3h = 0;
  EXPECT_TRUE(master::builtin_findings(idle, &before, limits).empty()) << "no flow, no heat";
  auto trickle = heating(3600, 1000);
  trickle.flow_m3h = 0.05;  // 20 K: about 1.2 kWh an hour, less than two register steps
  EXPECT_TRUE(master::builtin_findings(trickle, &before, limits).empty())
      << "a small flow may not move a kWh register in an hour";
  auto coarse = heating(10800, 1000);  // 0.4 m3/h at 20 K: about 28 kWh in three hours
  coarse.energy_step_kwh = 10;         // a register in 0.01 MWh
  EXPECT_EQ(codes(master::builtin_findings(coarse, &before, limits)),
            std::vector<std::string>{"energy_flat"});
  coarse.energy_step_kwh = 100;  // in 0.1 MWh: 28 kWh may leave it where it was
  EXPECT_TRUE(master::builtin_findings(coarse, &before, limits).empty())
      << "a register stands still through less heat than two of its steps";
}

TEST(BuiltinRules, StatusBitsClockAndValve) {
  auto r = heating(0, 1000);
  r.error_bits = bit::low_battery | bit::leak | bit::return_sensor;
  r.meter_time = r.received_at - 900;
  master::MeterContext valve;
  valve.valve_commanded_open = false;
  valve.valve_reported_open = true;
  EXPECT_EQ(codes(master::builtin_findings(r, nullptr, {}, valve)),
            (std::vector<std::string>{"clock_drift", "leak", "low_battery", "return_sensor",
                                      "valve_mismatch"}));
}

TEST(BuiltinRules, NoDataAndConcentratorFailureRate) {
  EXPECT_FALSE(master::no_data_finding(1000, 1000 + 2 * 3600, 3600, 3).has_value());
  EXPECT_EQ(master::no_data_finding(1000, 1000 + 3 * 3600, 3600, 3)->code, "no_data");
  EXPECT_EQ(master::no_data_finding(std::nullopt, 0, 3600, 3)->code, "no_data");
  EXPECT_FALSE(master::concentrator_finding(300, 9, 0.05).has_value());
  const auto bus = master::concentrator_finding(300, 200, 0.05);
  ASSERT_TRUE(bus.has_value());
  EXPECT_EQ(bus->severity, master::Severity::alarm);
}

// The catalogue of codes a scenario may name is the codes the rules raise: every fault bit and
// every rule on readings, the clocks' and the concentrators'.
TEST(FaultCodes, TheCatalogueHoldsEveryCodeTheRulesRaise) {
  auto r = heating(0, 1000);
  r.error_bits = 0xFFFFFFFFu;
  std::vector<std::string> raised = codes(master::builtin_findings(r, nullptr, {}));
  EXPECT_EQ(raised.size(), 10u) << "one per fault bit";
  const auto previous = heating(0, 1000);
  for (const double energy : {999.0, 50.0, 1000.0, 9000.0}) {
    auto now = heating(3600, energy);
    now.supply_c = 40;  // below the return: and a small dT
    now.delta_t_k = -5;
    now.flow_m3h = 40;  // above any limit
    now.meter_time = 0;
    master::RuleLimits limits;
    limits.max_flow_m3h = 5;
    limits.max_power_kw = 100;
    master::MeterContext valve;
    valve.valve_commanded_open = true;
    valve.valve_reported_open = false;
    for (const auto& code : codes(master::builtin_findings(now, &previous, limits, valve)))
      raised.push_back(code);
  }
  raised.push_back(master::no_data_finding(std::nullopt, 0, 3600, 3)->code);
  raised.push_back(master::concentrator_finding(300, 200, 0.05)->code);
  for (const auto& code : raised) EXPECT_TRUE(master::is_fault_code(code)) << code;
  for (const auto& code : {"replacement_unfiled", "register_backwards", "register_jump",
                           "supply_below_return", "flow_above_limit", "valve_mismatch"})
    EXPECT_NE(std::find(raised.begin(), raised.end(), code), raised.end()) << code;
  EXPECT_TRUE(master::is_fault_code("custom:too_hot"));
  EXPECT_FALSE(master::is_fault_code("custom:"));
  EXPECT_FALSE(master::is_fault_code("energy_flatt"));
}

TEST(CustomRules, CheckTheirFieldsAndCompare) {
  master::CustomRule rule{"hot_return", "return_c", ">", 50, 0, master::Severity::warning};
  EXPECT_EQ(rule.problem(), "");
  auto r = heating(0, 1000);
  EXPECT_FALSE(rule.holds(r));
  r.return_c = 55;
  EXPECT_TRUE(rule.holds(r));
  r.return_c.reset();
  EXPECT_FALSE(rule.holds(r)) << "a value the meter did not send matches nothing";
  master::CustomRule bad{"x", "pressure", ">", 1, 0, master::Severity::info};
  EXPECT_EQ(bad.problem(), "field: 'pressure' is not a reading field");
  bad.field = "flow_m3h";
  bad.op = "=>";
  EXPECT_EQ(bad.problem(), "op: '=>' is not one of < <= > >= == !=");
}

TEST(FaultTracker, RaisesAfterPersistenceAndClears) {
  master::FaultTracker tracker;
  tracker.set_persistence("low_delta_t", 3 * 3600);
  const std::vector<master::Finding> low = {{"low_delta_t", master::Severity::info, "dT 0.4 K"}};
  EXPECT_TRUE(tracker.observe(1, 0, low).empty());
  EXPECT_TRUE(tracker.observe(1, 2 * 3600, low).empty()) << "not yet three hours";
  auto events = tracker.observe(1, 3 * 3600, low);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].raised);
  EXPECT_EQ(events[0].at, 3 * 3600);
  EXPECT_TRUE(tracker.observe(1, 4 * 3600, low).empty()) << "raised once";
  EXPECT_TRUE(tracker.active(1, "low_delta_t"));
  events = tracker.observe(1, 5 * 3600, {});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].raised);
  EXPECT_FALSE(tracker.active(1, "low_delta_t"));
  // A condition that stops before its persistence never raises, and so never clears.
  EXPECT_TRUE(tracker.observe(2, 0, low).empty());
  EXPECT_TRUE(tracker.observe(2, 3600, {}).empty());
  // No persistence: at once.
  EXPECT_EQ(tracker.observe(3, 0, {{"leak", master::Severity::alarm, ""}}).size(), 1u);
}

}  // namespace
