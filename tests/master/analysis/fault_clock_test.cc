// The faults that run on the clock, on a real database of either backend: no_data for a meter
// and dtu_offline for a DTU are raised on time with no cycle running (DTUs switched off for
// hours), cleared when data and the DTU return; a DTU held by another master sharing the
// database is not offline, and a master's start is no outage. A register reset nobody filed
// stays raised through later readings and restarts until the replacement is filed.
#include <gtest/gtest.h>

#include <set>

#include "heatlink/master/analysis/fault_monitor.h"
#include "storage_support.h"

namespace {

namespace master = heatlink::master;
using heatlink::test::ok;

constexpr master::EpochSeconds kT0 = 1'796'083'200;  // 2026-12-01 00:00 UTC
constexpr master::EpochSeconds kHour = 3600;

class FaultClockTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    url_ = heatlink::test::fresh_database(GetParam());
    if (url_.empty()) {
      if (std::getenv("CI") != nullptr) FAIL() << "CI must run the PostgreSQL tests";
      GTEST_SKIP() << "HEATLINK_TEST_POSTGRESQL is not set (make test sets it)";
    }
    storage_ = ok(master::open_storage(url_));
    ASSERT_TRUE(storage_);
    ok(storage_->migrate());
    const auto station = ok(storage_->add_station({0, "station-1"}));
    for (const char* dtu : {"13800000001", "13800000002"}) {
      const auto c = ok(
          storage_->add_concentrator({0, station, std::string("hm660-") + dtu, dtu, std::nullopt}));
      concentrators_.push_back(c);
      master::MeterRecord m;
      m.concentrator_id = c;
      m.vendor = "KAM";
      meters_.push_back(ok(storage_->add_meter(m)));
    }
    options_.no_data_after_s = 3 * kHour;
    options_.dtu_offline_after_s = kHour;
    options_.watch_every_s = 60;
  }

  void read(std::size_t meter, master::EpochSeconds at) {
    master::Reading r;
    r.meter_id = meters_[meter];
    r.read_at = at;
    r.received_at = at;
    r.energy_kwh = static_cast<double>(at - kT0) / 100;
    ok(storage_->store_readings(std::span(&r, 1)));
  }

  // The open faults as "code meter-or-concentrator".
  std::set<std::string> open() {
    std::set<std::string> out;
    for (const master::FaultRecord& f : ok(storage_->open_faults())) {
      out.insert(f.code + (f.meter_id != 0 ? " meter " + std::to_string(f.meter_id)
                                           : " concentrator " + std::to_string(f.concentrator_id)));
    }
    return out;
  }
  std::string meter(std::size_t i) const { return " meter " + std::to_string(meters_[i]); }
  std::string concentrator(std::size_t i) const {
    return " concentrator " + std::to_string(concentrators_[i]);
  }

  std::string url_;
  std::unique_ptr<master::Storage> storage_;
  std::vector<std::int64_t> concentrators_, meters_;
  master::FaultMonitorOptions options_;
};

INSTANTIATE_TEST_SUITE_P(Backends, FaultClockTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& param_info) { return param_info.param; });

TEST_P(FaultClockTest, DtusSwitchedOffForHoursRaiseNoDataAndDtuOfflineWithoutACycle) {
  // Master A holds DTU 1, master B (same database) DTU 2.
  auto other = ok(master::open_storage(url_));
  master::FaultMonitor a(*storage_, options_), b(*other, options_);
  ASSERT_FALSE(a.load());
  ASSERT_FALSE(b.load());
  const auto only = [](const char* dtu) {
    return [dtu](const std::string& id) { return master::DtuPresence{id == dtu, ""}; };
  };
  const auto none = [](const std::string&) { return master::DtuPresence{}; };
  read(0, kT0);
  read(1, kT0);
  for (master::EpochSeconds t = kT0; t <= kT0 + 2 * kHour; t += 600) {
    ASSERT_FALSE(a.watch(t, only("13800000001")));
    ASSERT_FALSE(b.watch(t, only("13800000002")));
  }
  EXPECT_EQ(open(), std::set<std::string>{}) << "DTU 2 is online on the other master";

  // 02:00: DTU 1 switched off. No cycle runs; DTU 2's meter goes on being read.
  for (master::EpochSeconds t = kT0 + 2 * kHour + 600; t <= kT0 + 8 * kHour; t += 600) {
    read(1, t);
    ASSERT_FALSE(a.watch(t, none));
    ASSERT_FALSE(b.watch(t, only("13800000002")));
    if (t == kT0 + 3 * kHour - 600) {
      EXPECT_EQ(open(), std::set<std::string>{}) << "not yet an hour";
    }
    if (t == kT0 + 3 * kHour + 600) {
      EXPECT_EQ(open(),
                (std::set<std::string>{"dtu_offline" + concentrator(0), "no_data" + meter(0)}));
    }
  }
  const auto offline = ok(storage_->open_faults());
  for (const master::FaultRecord& f : offline) {
    if (f.code == "dtu_offline") {
      EXPECT_EQ(f.raised_at, kT0 + 3 * kHour) << "an hour after it was last seen, on time";
      EXPECT_NE(f.detail.find("13800000001"), std::string::npos) << f.detail;
    }
    if (f.code == "no_data") {
      EXPECT_EQ(f.raised_at, kT0 + 3 * kHour);
    }
  }

  // 08:10: back, and read.
  ASSERT_FALSE(a.watch(kT0 + 8 * kHour + 600, only("13800000001")));
  EXPECT_EQ(open(), std::set<std::string>{"no_data" + meter(0)}) << "the DTU is back";
  master::Reading r;
  r.meter_id = meters_[0];
  r.read_at = r.received_at = kT0 + 8 * kHour + 700;
  r.energy_kwh = 500;
  ok(storage_->store_readings(std::span(&r, 1)));
  ASSERT_FALSE(a.begin_cycle(concentrators_[0]));
  ASSERT_FALSE(a.observe(concentrators_[0], std::span(&r, 1)));
  a.end_cycle(concentrators_[0]);
  EXPECT_EQ(open(), std::set<std::string>{}) << "data is back";
}

TEST_P(FaultClockTest, AMastersStartIsNoOutage) {
  master::FaultMonitor a(*storage_, options_);
  ASSERT_FALSE(a.load());
  // Never read, never seen: counted from the first watch, not from the epoch.
  ASSERT_FALSE(a.watch(kT0, [](const std::string&) { return master::DtuPresence{}; }));
  EXPECT_EQ(open(), std::set<std::string>{});
  ASSERT_FALSE(a.watch(kT0 + kHour, [](const std::string&) { return master::DtuPresence{}; }));
  EXPECT_EQ(open(), (std::set<std::string>{"dtu_offline" + concentrator(0),
                                           "dtu_offline" + concentrator(1)}));
  ASSERT_FALSE(a.watch(kT0 + 3 * kHour, [](const std::string&) { return master::DtuPresence{}; }));
  EXPECT_EQ(open().size(), 4u) << "and the meters' no_data";
  for (const master::FaultRecord& f : ok(storage_->open_faults()))
    if (f.code == "dtu_offline") {
      EXPECT_NE(f.detail.find("never seen"), std::string::npos);
    }
}

// Two devices claim DTU 1's ID: dtu_id_conflict on its concentrator, naming what the gateway
// saw, until the conflict is resolved; the other DTU's concentrator is untouched.
TEST_P(FaultClockTest, ADtuIdClaimedByTwoDevicesRaisesAConflictUntilResolved) {
  master::FaultMonitor a(*storage_, options_);
  ASSERT_FALSE(a.load());
  std::string conflict = "the session from 10.0.0.1:4000 is alive while 10.0.0.2:5000 claims it";
  const auto presence = [&conflict](const std::string& id) {
    return master::DtuPresence{true, id == "13800000001" ? conflict : ""};
  };
  ASSERT_FALSE(a.watch(kT0, presence));
  EXPECT_EQ(open(), std::set<std::string>{"dtu_id_conflict" + concentrator(0)});
  const auto raised = ok(storage_->open_faults());
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0].severity, 3);
  EXPECT_NE(raised[0].detail.find("10.0.0.2:5000"), std::string::npos) << raised[0].detail;
  ASSERT_FALSE(a.watch(kT0 + 600, presence));
  EXPECT_EQ(ok(storage_->open_faults()).size(), 1u) << "raised once";
  conflict.clear();  // an operator resolved it
  ASSERT_FALSE(a.watch(kT0 + 1200, presence));
  EXPECT_EQ(open(), std::set<std::string>{});
}

// A meter swapped (or its register cleared) with nobody filing it: its register falls near
// zero. replacement_unfiled is raised and stays through the good readings after it and a
// restart of the master, until the replacement is filed; a replacement filed before the
// reading arrives raises nothing, and a small fall is still register_backwards.
TEST_P(FaultClockTest, AnUnfiledRegisterResetStaysRaisedUntilTheReplacementIsFiled) {
  const auto reading = [this](std::size_t meter, master::EpochSeconds at, double kwh) {
    master::Reading r;
    r.meter_id = meters_[meter];
    r.read_at = r.received_at = at;
    r.energy_kwh = kwh;
    ok(storage_->store_readings(std::span(&r, 1)));
    return r;
  };
  const auto nobody = [](const std::string&) { return master::DtuPresence{true, ""}; };
  {
    master::FaultMonitor a(*storage_, options_);
    ASSERT_FALSE(a.load());
    ASSERT_FALSE(a.begin_cycle(concentrators_[0]));
    for (const auto& [at, kwh] : std::vector<std::pair<master::EpochSeconds, double>>{
             {kT0, 5000}, {kT0 + kHour, 5010}, {kT0 + 2 * kHour, 3}, {kT0 + 3 * kHour, 8}}) {
      const master::Reading r = reading(0, at, kwh);
      ASSERT_FALSE(a.observe(concentrators_[0], std::span(&r, 1)));
      a.end_cycle(concentrators_[0]);
      ASSERT_FALSE(a.begin_cycle(concentrators_[0]));
    }
    ASSERT_FALSE(a.watch(kT0 + 3 * kHour, nobody));
    EXPECT_EQ(open(), std::set<std::string>{"replacement_unfiled" + meter(0)})
        << "raised by the fall, kept by the good reading after it";
  }
  master::FaultMonitor b(*storage_, options_);  // the master restarted
  ASSERT_FALSE(b.load());
  ASSERT_FALSE(b.watch(kT0 + 4 * kHour, nobody));
  EXPECT_EQ(open(), std::set<std::string>{"replacement_unfiled" + meter(0)});

  master::ReplacementRecord swap;
  swap.meter_id = meters_[0];
  swap.replaced_at = kT0 + kHour + 1800;
  swap.old_final_kwh = 5012;
  swap.new_start_kwh = 0;
  ok(storage_->file_replacement(swap));
  ASSERT_FALSE(b.watch(kT0 + 4 * kHour + 60, nobody));
  EXPECT_EQ(open(), std::set<std::string>{}) << "filing the replacement clears it";

  // Meter 1: filed before its readings arrive; then a small fall of a faulty register.
  swap.meter_id = meters_[1];
  ok(storage_->file_replacement(swap));
  ASSERT_FALSE(b.begin_cycle(concentrators_[1]));
  for (const auto& [at, kwh] : std::vector<std::pair<master::EpochSeconds, double>>{
           {kT0 + kHour, 5010}, {kT0 + 2 * kHour, 3}, {kT0 + 3 * kHour, 2}}) {
    const master::Reading r = reading(1, at, kwh);
    ASSERT_FALSE(b.observe(concentrators_[1], std::span(&r, 1)));
    if (at == kT0 + 2 * kHour) {
      EXPECT_EQ(open(), std::set<std::string>{}) << "the fall is the filed replacement";
    }
  }
  EXPECT_EQ(open(), std::set<std::string>{"register_backwards" + meter(1)})
      << "3 to 2 kWh is no reset but a register going backwards";
}

// A register the meter sends as an error value (the calculator fault) is no register: the
// next valid one is compared with the last valid one before it, within a cycle and across
// cycles and restarts, so a register that went backwards meanwhile is still caught.
TEST_P(FaultClockTest, ARegisterSentAsAnErrorValueIsSkippedNotComparedWith) {
  const auto reading = [this](master::EpochSeconds at, std::optional<double> kwh) {
    master::Reading r;
    r.meter_id = meters_[0];
    r.read_at = r.received_at = at;
    r.energy_kwh = kwh;
    if (!kwh) r.error_bits = master::fault_bit::calculator;
    ok(storage_->store_readings(std::span(&r, 1)));
    return r;
  };
  master::FaultMonitor a(*storage_, options_);
  ASSERT_FALSE(a.load());
  ASSERT_FALSE(a.begin_cycle(concentrators_[0]));
  for (const auto& [at, kwh] : std::vector<std::pair<master::EpochSeconds, std::optional<double>>>{
           {kT0, 5000}, {kT0 + kHour, std::nullopt}, {kT0 + 2 * kHour, 4000}}) {
    const master::Reading r = reading(at, kwh);
    ASSERT_FALSE(a.observe(concentrators_[0], std::span(&r, 1)));
    if (!kwh) {
      EXPECT_EQ(open(), std::set<std::string>{"calculator" + meter(0)});
    }
  }
  EXPECT_EQ(open(), std::set<std::string>{"register_backwards" + meter(0)})
      << "5000 to 4000 kWh across a reading without a register";
  a.end_cycle(concentrators_[0]);

  // Across cycles: the newest stored reading is an error value again.
  for (const master::EpochSeconds at : {kT0 + 3 * kHour, kT0 + 4 * kHour}) {
    ASSERT_FALSE(a.begin_cycle(concentrators_[0]));
    const master::Reading r =
        reading(at, at == kT0 + 3 * kHour ? std::nullopt : std::optional<double>(3900));
    ASSERT_FALSE(a.observe(concentrators_[0], std::span(&r, 1)));
    a.end_cycle(concentrators_[0]);
  }
  EXPECT_EQ(open(), (std::set<std::string>{"register_backwards" + meter(0)}))
      << "4000 to 3900 kWh across a reading without a register";
}

}  // namespace
