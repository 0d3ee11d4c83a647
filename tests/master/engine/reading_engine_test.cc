// The reading engine on a virtual clock (DESIGN.md rule 2): the simulated HM-660 of the
// 300-meter segment in this process, its RS-232 side driven by the engine's procedures, and
// the readings in a real SQLite file. A cycle stores one reading per meter holding the
// registers the simulated meters hold.
#include "heatlink/master/engine/reading_engine.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "heatlink/master/analysis/fault_monitor.h"
#include "heatlink/master/engine/archived_meter.h"
#include "heatlink/master/storage/sql_database.h"
#include "heatlink/protocol/cjt188.h"
#include "heatlink/protocol/mbus_request.h"
#include "heatlink/sim/district.h"
#include "heatlink/sim/topology.h"
#include "sim_line.h"

namespace {

namespace master = heatlink::master;
namespace sim = heatlink::sim;
using heatlink::test::SimLine;

constexpr master::EpochSeconds kStart =
    1'796'054'400;  // the topology's start, 2026-12-01 00:00 +08

class ReadingEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = sim::load_topology(HEATLINK_SOURCE_DIR "/scenarios/topologies/segment-300.yaml");
    ASSERT_TRUE(std::holds_alternative<sim::Topology>(loaded));
    district_ = std::make_unique<sim::District>(std::get<sim::Topology>(loaded), 7);
    line_ = std::make_unique<SimLine>(district_->queue(), district_->concentrator(0));

    const std::string path =
        ::testing::TempDir() + "heatlink-engine-" + std::to_string(::getpid()) + ".db";
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    storage_ = std::move(
        std::get<std::unique_ptr<master::Storage>>(master::open_storage("sqlite:" + path)));
    ASSERT_TRUE(std::holds_alternative<int>(storage_->migrate()));
    const auto station = std::get<std::int64_t>(storage_->add_station({0, "station-1"}));
    concentrator_ = {0, station, "hm660-300", "line-1", std::nullopt};
    concentrator_.id = std::get<std::int64_t>(storage_->add_concentrator(concentrator_));
    // The base information, as a heat company would have entered it.
    for (std::size_t i = 0; i < district_->meter_count(); ++i) {
      const sim::SimulatedMeter& m = district_->meter(i);
      master::MeterRecord record;
      record.concentrator_id = concentrator_.id;
      if (m.kind() == sim::MeterKind::cjt188_heat) {
        record.protocol = master::MeterProtocol::cjt188;
        record.secondary_address = m.identity().cjt188_address().to_string();
      } else {
        heatlink::protocol::mbus::SecondaryAddress a;
        a.id = m.identity().id;
        a.manufacturer = m.identity().manufacturer(m.kind());
        a.version = m.identity().version(m.kind());
        a.medium = m.identity().medium(m.kind());
        record.secondary_address = a.to_string();
      }
      record.vendor = sim::meter_kind_name(m.kind());
      meter_ids_.push_back(std::get<std::int64_t>(storage_->add_meter(record)));
    }
  }

  master::ReadingEngine engine(master::ReadingEngine::RunProcedure run) {
    return master::ReadingEngine(*storage_, std::move(run),
                                 [this] { return kStart + district_->queue().now() / 1'000'000; });
  }

  // An engine reading over the simulated line, its answers watched by `monitor`.
  master::ReadingEngine engine_on_line(master::FaultMonitor& monitor) {
    return master::ReadingEngine(
        *storage_,
        [this](const std::string&, auto procedure, auto done) {
          line_->run(std::move(procedure), done);
        },
        [this] { return kStart + district_->queue().now() / 1'000'000; }, {}, &monitor);
  }

  // A read of one meter now, to its end: its statistics.
  master::CycleStats read_now(master::ReadingEngine& e, std::int64_t meter) {
    master::CycleRequest request;
    request.concentrator = concentrator_;
    request.only_meters = {meter};
    request.slot = kStart + district_->queue().now() / 1'000'000;
    std::optional<master::CycleStats> stats;
    EXPECT_TRUE(e.read(request, [&](const master::CycleStats& s) { stats = s; }));
    EXPECT_TRUE(stats.has_value());
    return stats.value_or(master::CycleStats{});
  }

  std::unique_ptr<sim::District> district_;
  std::unique_ptr<SimLine> line_;
  std::unique_ptr<master::Storage> storage_;
  master::ConcentratorRecord concentrator_;
  std::vector<std::int64_t> meter_ids_;
};

TEST_F(ReadingEngineTest, ACycleStoresEveryMeterWithTheRegistersItHolds) {
  auto e = engine([this](const std::string& dtu, auto procedure, auto done) {
    EXPECT_EQ(dtu, "line-1");
    line_->run(std::move(procedure), done);
  });
  district_->queue().run_until(3'600'000'000);  // an hour of heating first
  std::optional<master::CycleStats> stats;
  ASSERT_TRUE(e.read_concentrator(concentrator_, [&](const master::CycleStats& s) { stats = s; }));
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats->error, "");
  EXPECT_EQ(stats->meters, 302u);
  EXPECT_EQ(stats->read, 302u);
  EXPECT_EQ(stats->failed, 0u);
  EXPECT_EQ(stats->stored, 302u);
  EXPECT_EQ(std::get<std::int64_t>(storage_->count_readings()), 302);
  for (std::size_t i = 0; i < meter_ids_.size(); ++i) {
    const auto latest = std::get<std::optional<master::Reading>>(storage_->latest(meter_ids_[i]));
    ASSERT_TRUE(latest.has_value()) << i;
    const double held = district_->meter(i).model().state().energy_kwh;
    // Registers are truncated to their resolution, and the meters ran on during the cycle.
    EXPECT_NEAR(*latest->energy_kwh, held, 2.0) << sim::meter_kind_name(district_->meter(i).kind());
    EXPECT_LE(*latest->energy_kwh, held + 1e-6);
  }
}

TEST_F(ReadingEngineTest, ALostLineEndsTheCycleAndSaysWhy) {
  int calls = 0;
  auto e = engine([&](const std::string&, auto procedure, auto done) {
    if (++calls > 3) return done({"DTU line-1: the connection closed"});
    line_->run(std::move(procedure), done);
  });
  std::optional<master::CycleStats> stats;
  e.read_concentrator(concentrator_, [&](const master::CycleStats& s) { stats = s; });
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats->error, "DTU line-1: the connection closed");
  EXPECT_EQ(stats->read, 3u);
  EXPECT_EQ(stats->failed, 299u);
  EXPECT_EQ(stats->stored, 3u) << "what was read before the loss is kept";
}

// The database refuses the readings (a full disk, made here by a trigger that fails every
// insert the way SQLite does then): the cycle stops and says why; the meters that answered
// count as read with their readings unstored, and those it did not reach as not asked - none
// as failed (before, a full disk counted every meter after it as a failed read).
TEST_F(ReadingEngineTest, ADatabaseThatRefusesTheReadingsFailsNoMeter) {
  ASSERT_TRUE(std::holds_alternative<master::SqlResult>(
      storage_->database().query("CREATE TRIGGER disk_full BEFORE INSERT ON reading "
                                 "BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END",
                                 {})));
  auto e = engine([this](const std::string&, auto procedure, auto done) {
    line_->run(std::move(procedure), done);
  });
  std::optional<master::CycleStats> stats;
  e.read_concentrator(concentrator_, [&](const master::CycleStats& s) { stats = s; });
  ASSERT_TRUE(stats.has_value());
  EXPECT_NE(stats->error.find("database or disk is full"), std::string::npos) << stats->error;
  EXPECT_TRUE(stats->storage_failed);
  EXPECT_EQ(stats->failed, 0u);
  EXPECT_EQ(stats->stored, 0u);
  EXPECT_GT(stats->unstored, 0u);
  EXPECT_EQ(stats->read, stats->unstored) << "every answer given was refused";
  EXPECT_EQ(stats->read + stats->not_asked, 302u);
  EXPECT_EQ(std::get<std::int64_t>(storage_->count_readings()), 0);
}

// Reconciliation: an archive request reads the HM-660's meter archive (A3) and no meter, and
// each entry comes back in the base information's address form.
TEST_F(ReadingEngineTest, AnArchiveRequestListsTheConcentratorsArchiveInBaseInformationForm) {
  namespace hm660 = heatlink::protocol::hm660;
  namespace cjt188 = heatlink::protocol::cjt188;
  auto e = engine([this](const std::string&, auto procedure, auto done) {
    line_->run(std::move(procedure), done);
  });
  std::string mbus_address, cjt_address;
  for (const std::int64_t id : meter_ids_) {
    const auto m = *std::get<std::optional<master::MeterRecord>>(storage_->meter(id));
    auto& wanted = m.protocol == master::MeterProtocol::cjt188 ? cjt_address : mbus_address;
    if (wanted.empty()) wanted = m.secondary_address;
  }
  ASSERT_FALSE(mbus_address.empty());
  ASSERT_FALSE(cjt_address.empty());
  hm660::ArchiveEntry mbus;
  mbus.protocol = hm660::ArchiveEntry::mbus_secondary;
  mbus.secondary = *heatlink::protocol::mbus::SecondaryAddress::parse(mbus_address);
  const hm660::ArchiveEntry cjt =
      hm660::cjt188_entry(0, *cjt188::Address::parse(cjt_address), 0x20);
  std::vector<std::uint8_t> entries;
  hm660::encode_entry(mbus, entries);
  hm660::encode_entry(cjt, entries);
  auto add = std::make_shared<hm660::Command>(hm660::kArchiveAdd, entries);
  line_->run(add, [](const master::IoStatus&) {});
  ASSERT_EQ(add->verdict(), heatlink::protocol::link::Verdict::ok) << add->problem();

  master::CycleRequest request;
  request.concentrator = concentrator_;
  request.slot = kStart;
  request.archive = true;
  std::optional<master::CycleStats> stats;
  ASSERT_TRUE(e.read(request, [&](const master::CycleStats& s) { stats = s; }));
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats->error, "");
  EXPECT_EQ(stats->meters, 0u) << "no meter is read";
  EXPECT_EQ(std::get<std::int64_t>(storage_->count_readings()), 0);
  ASSERT_EQ(stats->archive.size(), 2u);
  const auto first = master::archived_meter(stats->archive[0]);
  EXPECT_EQ(first.protocol, "mbus_secondary");
  EXPECT_EQ(first.address, mbus_address);
  const auto second = master::archived_meter(stats->archive[1]);
  EXPECT_EQ(second.protocol, "cjt188");
  EXPECT_EQ(second.channel, 0);  // the segment's one channel
  EXPECT_EQ(second.address, cjt_address);
}

// Identity on every answer: a meter read by its primary address is swapped for another one
// (换表) and the base information is not told. The new meter's telegram is kept aside as an
// unassigned reading and a fault names both identities; nothing is filed under the old meter
// until the replacement is filed, and then its readings are the household's.
TEST_F(ReadingEngineTest, AnotherMetersAnswerIsKeptAsideUntilTheReplacementIsFiled) {
  master::FaultMonitor monitor(*storage_);
  ASSERT_FALSE(monitor.load());
  master::ReadingEngine e = engine_on_line(monitor);
  sim::SimulatedMeter& fitted = district_->meter(0);
  ASSERT_NE(fitted.kind(), sim::MeterKind::cjt188_heat);
  fitted.mbus().set_primary(5);  // the only meter at 5
  const std::int64_t meter = meter_ids_[0];
  ASSERT_FALSE(std::holds_alternative<master::StorageError>(
      storage_->database().query("UPDATE meter SET primary_address = 5 WHERE id = ?", {meter})));
  const std::string old_identity =
      std::get<std::optional<master::MeterRecord>>(storage_->meter(meter))->secondary_address;
  auto cycle = [&] { return read_now(e, meter); };

  district_->queue().run_until(3'600'000'000);
  auto stats = cycle();
  ASSERT_EQ(stats.read, 1u) << "its own identity: filed";
  const double old_final =
      *std::get<std::optional<master::Reading>>(storage_->latest(meter))->energy_kwh;

  district_->queue().run_until(3'700'000'000);
  fitted.replace(0x20000417, 0);  // the fitter's new meter, its register at 0
  district_->queue().run_until(7'200'000'000);
  stats = cycle();
  EXPECT_EQ(stats.error, "");
  EXPECT_EQ(stats.read, 0u);
  EXPECT_EQ(stats.mismatched, 1u);
  EXPECT_EQ(stats.failed, 1u);
  EXPECT_EQ(stats.retried, 0u) << "another meter's answer is not a collision to try again";
  EXPECT_EQ(*std::get<std::optional<master::Reading>>(storage_->latest(meter))->energy_kwh,
            old_final)
      << "nothing of the new meter is filed under the old one";
  const auto aside =
      std::get<std::vector<master::UnassignedReading>>(storage_->unassigned_of(meter));
  ASSERT_EQ(aside.size(), 1u);
  EXPECT_EQ(aside[0].identity.substr(0, 8), "20000417");
  EXPECT_EQ(aside[0].expected_identity, old_identity);
  EXPECT_EQ(aside[0].primary_address, 5);
  EXPECT_EQ(aside[0].status, "open");
  ASSERT_TRUE(aside[0].reading.energy_kwh.has_value());
  EXPECT_LT(*aside[0].reading.energy_kwh, 100) << "the new register, counting from 0";
  auto faults = std::get<std::vector<master::FaultRecord>>(storage_->faults_of(meter));
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].code, "meter_identity_mismatch");
  EXPECT_EQ(faults[0].severity, 3);
  EXPECT_NE(faults[0].detail.find(old_identity), std::string::npos) << faults[0].detail;
  EXPECT_NE(faults[0].detail.find(aside[0].identity), std::string::npos) << faults[0].detail;
  EXPECT_FALSE(faults[0].cleared_at.has_value());

  // Filed: the meter takes the new identity and the reading kept aside; the next read is its own.
  master::ReplacementRecord filed;
  filed.meter_id = meter;
  filed.replaced_at = kStart + 3'700;
  filed.old_identity = old_identity;
  filed.new_identity = aside[0].identity;
  filed.old_final_kwh = old_final;
  filed.new_start_kwh = 0;
  filed.filed_at = kStart + 7'300;
  ASSERT_TRUE(std::holds_alternative<std::int64_t>(storage_->file_replacement(filed)));
  EXPECT_EQ(std::get<std::optional<master::Reading>>(storage_->latest(meter))->energy_kwh,
            aside[0].reading.energy_kwh);
  EXPECT_EQ(
      std::get<std::vector<master::UnassignedReading>>(storage_->unassigned_of(meter))[0].status,
      "replacement");
  district_->queue().run_until(10'800'000'000);
  stats = cycle();
  EXPECT_EQ(stats.read, 1u);
  EXPECT_EQ(stats.mismatched, 0u);
  faults = std::get<std::vector<master::FaultRecord>>(storage_->faults_of(meter));
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_TRUE(faults[0].cleared_at.has_value()) << "the meter answers as itself again";
}

}  // namespace

// A register no heat meter could reach - a forged answer on a taken-over line, or one corrupted
// on its way - is not filed as the meter's: the reading is kept aside as unassigned and
// register_jump raised; the meter's next plausible answer is filed and clears it.
TEST_F(ReadingEngineTest, ARegisterNoMeterCouldReachIsKeptOutOfTheMetersReadings) {
  master::FaultMonitor monitor(*storage_);
  ASSERT_FALSE(monitor.load());
  master::ReadingEngine e = engine_on_line(monitor);
  sim::SimulatedMeter& m = district_->meter(3);
  const std::int64_t meter = meter_ids_[3];
  auto cycle = [&] { return read_now(e, meter); };
  auto latest = [&] { return *std::get<std::optional<master::Reading>>(storage_->latest(meter)); };

  district_->queue().run_until(3'600'000'000);
  ASSERT_EQ(cycle().read, 1u);
  const double before = *latest().energy_kwh;

  m.model().step_energy(77'777'777);  // an hour later the register says 77.8 GWh more
  district_->queue().run_until(7'200'000'000);
  auto stats = cycle();
  EXPECT_EQ(stats.read, 0u);
  EXPECT_EQ(stats.implausible, 1u);
  EXPECT_EQ(stats.failed, 1u);
  EXPECT_EQ(*latest().energy_kwh, before) << "nothing of it filed under the meter";
  const auto aside =
      std::get<std::vector<master::UnassignedReading>>(storage_->unassigned_of(meter));
  ASSERT_EQ(aside.size(), 1u);
  EXPECT_GT(*aside[0].reading.energy_kwh, 77'777'777);
  auto faults = std::get<std::vector<master::FaultRecord>>(storage_->faults_of(meter));
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].code, "register_jump");
  EXPECT_NE(faults[0].detail.find("kept out"), std::string::npos) << faults[0].detail;

  m.model().step_energy(-77'777'777);  // the meter's own register again
  district_->queue().run_until(10'800'000'000);
  stats = cycle();
  EXPECT_EQ(stats.read, 1u);
  EXPECT_EQ(stats.implausible, 0u);
  EXPECT_GE(*latest().energy_kwh, before);
  EXPECT_LT(*latest().energy_kwh, before + 1000);
  faults = std::get<std::vector<master::FaultRecord>>(storage_->faults_of(meter));
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_TRUE(faults[0].cleared_at.has_value()) << "cleared by a plausible answer";
}
