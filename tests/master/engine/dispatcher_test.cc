// The dispatcher on a virtual clock (DESIGN.md rule 2): the small district's HM-660 (310
// meters, 270 of them on one segment, CJ/T 188 meters with valves) in this process, the
// master's base information imported from the district's records, readings in a real SQLite
// file. Schedules read hourly and settle at 00:00; the day's consumption equals what the
// simulated meters used; manual reads go ahead; two masters sharing the database never read
// a slot twice; a cycle cut off resumes where it stopped; the meters' fault knobs raise and
// clear fault events.
#include "heatlink/master/engine/dispatcher.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "heatlink/master/analysis/fault_monitor.h"
#include "heatlink/master/engine/archived_meter.h"
#include "heatlink/master/program/base_information.h"
#include "heatlink/master/program/master_config.h"
#include "heatlink/master/storage/sql_database.h"
#include "heatlink/protocol/hm660_procedures.h"
#include "heatlink/sim/base_information.h"
#include "heatlink/sim/topology.h"
#include "sim_line.h"
#include "storage_support.h"

namespace {

namespace master = heatlink::master;
namespace sim = heatlink::sim;

constexpr master::EpochSeconds kStart = 1'796'054'400;  // 2026-12-01 00:00 +08
constexpr master::EpochSeconds kDay = 86400;

using heatlink::test::ok;

// A master: its storage connection, fault monitor, engine and dispatcher.
struct Master {
  std::unique_ptr<master::Storage> storage;
  std::unique_ptr<master::FaultMonitor> monitor;
  std::unique_ptr<master::ReadingEngine> engine;
  std::unique_ptr<master::Dispatcher> dispatcher;
  bool dtu_online = true;
  std::vector<master::CycleStats> cycles;
};

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    district(HEATLINK_SOURCE_DIR "/scenarios/topologies/small-district.yaml");
  }

  // The district of a topology file (or of the `topology` of a scenario file).
  void district(const std::string& file, const std::string& under = "") {
    std::ifstream in(file);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto loaded = sim::parse_topology(text, file, under);
    ASSERT_TRUE(std::holds_alternative<sim::Topology>(loaded));
    topology_ = std::get<sim::Topology>(loaded);
    district_ = std::make_unique<sim::District>(topology_, 42);
    line_ =
        std::make_unique<heatlink::test::SimLine>(district_->queue(), district_->concentrator(0));
    dir_ = ::testing::TempDir() + "heatlink-dispatcher-" + std::to_string(::getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    url_ = "sqlite:" + dir_ + "/heatlink.db";
    auto storage = ok(master::open_storage(url_));
    ASSERT_EQ(ok(storage->migrate()), 10);
    std::ofstream(dir_ + "/base.yaml") << sim::base_information_yaml(topology_, *district_);
    auto imported = master::import_base_information(dir_ + "/base.yaml", *storage);
    ASSERT_TRUE(std::holds_alternative<std::size_t>(imported)) << std::get<std::string>(imported);
    ASSERT_EQ(std::get<std::size_t>(imported), topology_.meter_count());
    concentrator_ = ok(storage->concentrators()).at(0);
    meters_ = ok(storage->meters_of(concentrator_.id));  // in the district's order
  }

  master::EpochSeconds now() const { return kStart + district_->queue().now() / 1'000'000; }

  Master& add_master(const std::string& name, master::DispatcherOptions options = {},
                     std::function<void(std::shared_ptr<heatlink::protocol::link::Procedure>,
                                        master::ReadingEngine::Done)>
                         run = nullptr,
                     master::EngineOptions engine_options = {}) {
    auto m = std::make_unique<Master>();
    m->storage = ok(master::open_storage(url_));
    m->monitor = std::make_unique<master::FaultMonitor>(*m->storage);
    EXPECT_FALSE(m->monitor->load().has_value());
    if (!run) {
      run = [this](auto procedure, auto done) {
        if (line_ticks_) return line_->start(std::move(procedure), std::move(done));
        line_->run(std::move(procedure), done);
      };
    }
    m->engine = std::make_unique<master::ReadingEngine>(
        *m->storage,
        [this, run](const std::string& dtu, auto procedure, auto done) {
          EXPECT_EQ(dtu, concentrator_.dtu_id);
          run(std::move(procedure), std::move(done));
        },
        [this] { return now(); }, engine_options, m->monitor.get());
    options.master = name;
    Master* raw = m.get();
    m->dispatcher = std::make_unique<master::Dispatcher>(
        *m->storage, *m->engine, [raw](const std::string&) { return raw->dtu_online; },
        [this] { return now(); }, options,
        [raw](const master::CycleStats& s) { raw->cycles.push_back(s); },
        [](const std::string&) {});
    masters_.push_back(std::move(m));
    return *masters_.back();
  }

  // Ticks every master once a virtual second until `until`; `before_tick` sees each second.
  void run_until(master::EpochSeconds until,
                 const std::function<void(master::EpochSeconds)>& before_tick = nullptr) {
    while (now() < until) {
      if (before_tick) before_tick(now());
      if (masters_.empty()) return;  // every master stopped
      for (auto& m : masters_) EXPECT_FALSE(m->dispatcher->tick().has_value());
      line_->advance(district_->queue().now() + 1'000'000);
    }
  }

  // Readings of every meter received in [from, to).
  std::size_t readings_between(master::Storage& storage, master::EpochSeconds from,
                               master::EpochSeconds to) {
    std::size_t n = 0;
    for (const auto& m : meters_) {
      for (const auto& r : ok(storage.readings(m.id, from - 600, to + 600)))
        n += r.received_at >= from && r.received_at < to ? 1 : 0;
    }
    return n;
  }

  // The energy register's resolution, as the meter reports it.
  double resolution_kwh(std::size_t i) {
    switch (district_->meter(i).identity().energy_unit) {
      case sim::EnergyUnit::kwh:
        return 1.0;
      case sim::EnergyUnit::mwh:
        return 100.0;
      case sim::EnergyUnit::gj:
        return 27.8;
    }
    return 1.0;
  }

  // Queues a job of `kind` for the district's concentrator, as the API does.
  std::int64_t queue_job(Master& m, const char* kind) {
    master::ReadJob job;
    job.kind = kind;
    job.target = concentrator_.name;
    job.requested_at = now();
    return ok(m.storage->queue_read_job(job));
  }

  // Runs until background job `id` has stored `slices` slices of its progress under `key`
  // ("scan", "archive_write"), then kills every master (kill -9: the job stays running in the
  // database). The progress stored then (null: never that far by `until`).
  nlohmann::json kill_after_slices(Master& m, std::int64_t id, const char* key, std::size_t slices,
                                   master::EpochSeconds until) {
    nlohmann::json at;
    run_until(until, [&](master::EpochSeconds) {
      const auto d = nlohmann::json::parse(ok(m.storage->read_job(id))->detail, nullptr, false);
      if (!d.is_object() || !d.contains(key) || d[key]["slices"].get<std::size_t>() < slices)
        return;
      at = d[key];
      masters_.clear();
    });
    return at;
  }

  // Scan job `id`, stopped with its progress `before`, was carried on by `m` to the end: every
  // M-Bus meter found, and only the slices still to do run again.
  void expect_scan_carried_on(Master& m, std::int64_t id, const nlohmann::json& before);

  sim::Topology topology_;
  std::unique_ptr<sim::District> district_;
  std::unique_ptr<heatlink::test::SimLine> line_;
  std::string dir_, url_;
  master::ConcentratorRecord concentrator_;
  std::vector<master::MeterRecord> meters_;
  std::vector<std::unique_ptr<Master>> masters_;
  // The masters' clocks tick while a procedure runs on the line (SimLine::start), not only
  // between two procedures.
  bool line_ticks_ = false;
};

TEST_F(DispatcherTest, HourlyCyclesReadEveryMeterAndMidnightSettlesTheDay) {
  Master& m = add_master("master-a");
  std::vector<double> at_day2, at_day3;  // ground truth at the settlement times
  run_until(kStart + 2 * kDay + 1800, [&](master::EpochSeconds t) {
    auto capture = [&](std::vector<double>& into) {
      if (!into.empty()) return;
      for (std::size_t i = 0; i < district_->meter_count(); ++i)
        into.push_back(district_->meter(i).model().state().energy_kwh);
    };
    if (t >= kStart + kDay) capture(at_day2);
    if (t >= kStart + 2 * kDay) capture(at_day3);
  });
  // 00:00 to 00:00 two days later, hourly: 49 cycles, each reading all 310 meters.
  ASSERT_EQ(m.cycles.size(), 49u);
  for (const auto& c : m.cycles) {
    EXPECT_EQ(c.error, "");
    EXPECT_EQ(c.read, 310u) << c.slot;
    EXPECT_EQ(c.skipped, 0u);
    EXPECT_EQ(c.segments.at(1).meters, 270u);
    EXPECT_EQ(c.slot % 3600, 0);
  }
  EXPECT_TRUE(m.cycles.front().settlement);
  EXPECT_FALSE(m.cycles[1].settlement);
  EXPECT_TRUE(m.cycles[24].settlement);
  EXPECT_EQ(ok(m.storage->count_readings()), 49 * 310);

  // Day 2 (the first whole day read) per meter, against what the simulated meter used.
  double station_total = 0;
  for (std::size_t i = 0; i < meters_.size(); ++i) {
    // Settled at each 00:00: the day before the first (no readings), the first day and the
    // second.
    const auto day = ok(m.storage->aggregates(meters_[i].id, "day"));
    ASSERT_EQ(day.size(), 3u) << i;
    EXPECT_FALSE(day[0].energy_kwh.has_value());
    EXPECT_EQ(day[2].period_start, kStart + kDay);
    ASSERT_TRUE(day[2].energy_kwh.has_value()) << i;
    const double used = at_day3[i] - at_day2[i];
    EXPECT_NEAR(*day[2].energy_kwh, used, 2 * resolution_kwh(i) + 1.0)
        << sim::meter_kind_name(district_->meter(i).kind());
    station_total += *day[2].energy_kwh;
    const auto snapshots = ok(m.storage->settlements(meters_[i].id));
    ASSERT_EQ(snapshots.size(), 3u) << "00:00 on each of three days";
    EXPECT_NEAR(*snapshots[1].energy_kwh, at_day2[i], resolution_kwh(i) + 5.0);
  }
  const auto station = ok(m.storage->rollups("station", concentrator_.station_id, "day"));
  ASSERT_EQ(station.size(), 3u);
  EXPECT_EQ(station[2].meters, 310);
  EXPECT_EQ(station[2].complete, 310);
  EXPECT_NEAR(*station[2].energy_kwh, station_total, 1e-6);
  EXPECT_EQ(station[0].complete, 0);
  for (const auto& c : m.cycles) EXPECT_EQ(c.overrun_s, 0) << c.slot;
}

// A meter replaced at noon by one starting from zero, and nobody filed the replacement (the
// simulated meter's registers reset): the day it happened settles as suspect and never
// negative, for the meter and for the station; the days around it are untouched.
TEST_F(DispatcherTest, AnUnfiledMeterReplacementNeverSettlesAsNegativeConsumption) {
  Master& m = add_master("master-a");
  constexpr std::size_t kReplaced = 7;
  bool replaced = false;
  run_until(kStart + 2 * kDay + 1800, [&](master::EpochSeconds t) {
    if (!replaced && t >= kStart + kDay + kDay / 2) {
      district_->meter(kReplaced).model().reset_registers();
      replaced = true;
    }
  });
  for (std::size_t i = 0; i < meters_.size(); ++i) {
    const auto day = ok(m.storage->aggregates(meters_[i].id, "day"));
    ASSERT_EQ(day.size(), 3u) << i;
    ASSERT_TRUE(day[2].energy_kwh.has_value()) << i;
    EXPECT_GE(*day[2].energy_kwh, 0) << i;
    EXPECT_EQ(day[2].suspect, i == kReplaced) << i;
    EXPECT_FALSE(day[1].suspect) << i;
  }
  const auto station = ok(m.storage->rollups("station", concentrator_.station_id, "day"));
  ASSERT_EQ(station.size(), 3u);
  EXPECT_EQ(station[2].suspect, 1);
  EXPECT_EQ(station[1].suspect, 0);
  EXPECT_GE(*station[2].energy_kwh, 0);
}

// A line so slow that an hourly cycle of 310 meters needs more than its hour (every exchange
// waits 15 s more): each cycle says by how much it overran its slot, and once they have
// overrun for two hours the concentrator raises cycle_overrun, cleared by the first cycle in
// time; the cycles of a fast line (every other test here) say 0.
TEST_F(DispatcherTest, ACycleLongerThanItsSlotSaysByHowMuchItOverran) {
  bool slow = true;
  Master& m = add_master("master-a", {}, [this, &slow](auto procedure, auto done) {
    if (!slow) return line_->run(std::move(procedure), done);
    district_->queue().schedule_after(15'000'000,
                                      [this, procedure, done] { line_->run(procedure, done); });
  });
  auto overrun_fault = [&] {
    for (const auto& f : ok(m.storage->open_faults()))
      if (f.code == "cycle_overrun" && f.meter_id == 0) return true;
    return false;
  };
  run_until(kStart + 3 * 3600);
  EXPECT_FALSE(overrun_fault()) << "overrunning for less than two hours";
  ASSERT_GE(m.cycles.size(), 1u);
  const master::CycleStats& first = m.cycles.front();
  EXPECT_EQ(first.slot, kStart);
  EXPECT_EQ(first.read, 310u);
  EXPECT_GT(first.finished_at, kStart + 3600);
  EXPECT_EQ(first.overrun_s, first.finished_at - (kStart + 3600));
  EXPECT_NE(master::stats_json(first).find("\"overrun_s\":" + std::to_string(first.overrun_s)),
            std::string::npos);
  run_until(kStart + 5 * 3600);
  EXPECT_TRUE(overrun_fault());
  slow = false;
  run_until(kStart + 8 * 3600);
  EXPECT_EQ(m.cycles.back().overrun_s, 0);
  EXPECT_FALSE(overrun_fault()) << "cleared by a cycle in time";
}

// A line so slow that a cycle needs more than two hours (30 s more per exchange): the slot
// whose cycle waited behind it for the whole of its hour is missed, not read - reported with
// nothing read and kept in cycle_claim as missed - and the overrunning cycle's readings after
// its slot ended are late: they count for the slot they were taken in, not for its own.
TEST_F(DispatcherTest, ASlotWhoseCycleCouldNotStartInItIsMissedNotRead) {
  Master& m = add_master("master-a", {}, [this](auto procedure, auto done) {
    district_->queue().schedule_after(30'000'000,
                                      [this, procedure, done] { line_->run(procedure, done); });
  });
  run_until(kStart + 4 * 3600 + 60);
  std::vector<master::EpochSeconds> missed, read;
  for (const auto& c : m.cycles) (c.missed ? missed : read).push_back(c.slot - kStart);
  EXPECT_EQ(missed, (std::vector<master::EpochSeconds>{3600, 3 * 3600}));
  ASSERT_FALSE(read.empty());
  EXPECT_EQ(read.front(), 0);
  EXPECT_EQ(m.dispatcher->cycles_missed(), 2u);
  const master::CycleStats& first =
      *std::find_if(m.cycles.begin(), m.cycles.end(), [](const auto& c) { return !c.missed; });
  EXPECT_EQ(first.slot, kStart);
  EXPECT_EQ(first.read, 310u);
  EXPECT_GT(first.late, 100u) << "read after 01:00";
  EXPECT_LT(first.success_rate(), 0.6) << "the slot's own meters";
  for (const auto& c : m.cycles) {
    if (!c.missed) continue;
    EXPECT_EQ(c.read, 0u);
    EXPECT_EQ(c.meters, 310u);
    EXPECT_EQ(c.success_rate(), 0.0);
    EXPECT_NE(master::stats_json(c).find("\"missed\":true"), std::string::npos);
  }
  const auto rows = ok(m.storage->database().query(
      "SELECT slot FROM cycle_claim WHERE missed = 1 ORDER BY slot", {}));
  ASSERT_EQ(rows.rows.size(), 2u);
  EXPECT_EQ(master::as_integer(rows.rows[0][0]), kStart + 3600);
}

// The DTU away from 23:30 to 01:30 on the first night: the 00:00 slot is missed (01:00 is read
// when the DTU returns at 01:30), yet the day is settled, from the readings around midnight,
// once the DTU is back - not left without a figure.
TEST_F(DispatcherTest, AMissedMidnightIsStillSettledWhenTheDtuReturns) {
  Master& m = add_master("master-a");
  run_until(kStart + 2 * kDay - 1800);
  m.dtu_online = false;
  run_until(kStart + 2 * kDay + 5400);
  m.dtu_online = true;
  run_until(kStart + 2 * kDay + 7200);
  std::vector<master::EpochSeconds> missed;
  for (const auto& c : m.cycles)
    if (c.missed) missed.push_back(c.slot - kStart);
  EXPECT_EQ(missed, (std::vector<master::EpochSeconds>{2 * kDay}));
  EXPECT_EQ(m.cycles.back().slot, kStart + 2 * kDay + 3600);
  EXPECT_FALSE(m.cycles.back().missed);
  for (std::size_t i = 0; i < meters_.size(); i += 31) {
    const auto day = ok(m.storage->aggregates(meters_[i].id, "day"));
    ASSERT_EQ(day.size(), 3u) << i;
    EXPECT_EQ(day[2].period_start, kStart + kDay);
    EXPECT_TRUE(day[2].energy_kwh.has_value()) << i;
    EXPECT_TRUE(day[2].interpolated) << "00:00 lies between two readings";
  }
}

// The master itself down from 22:30 to 02:30 (kill -9 in the middle of the 22:00 cycle's slot,
// started again hours later): the slots that ended meanwhile are kept missed - the 23:00,
// 00:00 and 01:00 ones - not left without a word, and the night's midnight is settled from
// the readings around it once the 02:00 cycle has run.
TEST_F(DispatcherTest, SlotsThatEndedWhileTheMasterWasDownAreMissedAndTheMidnightSettled) {
  add_master("master-a");
  run_until(kStart + 2 * kDay - 5400);  // the 22:00 cycle done
  masters_.clear();
  district_->queue().run_until(district_->queue().now() +
                               std::int64_t{4 * 3600} * 1'000'000);  // nobody reads
  Master& m = add_master("master-a");
  run_until(kStart + 2 * kDay + 3 * 3600 + 1800);
  std::vector<master::EpochSeconds> missed, read;
  for (const auto& c : m.cycles) (c.missed ? missed : read).push_back(c.slot - kStart);
  EXPECT_EQ(missed,
            (std::vector<master::EpochSeconds>{2 * kDay - 3600, 2 * kDay, 2 * kDay + 3600}));
  EXPECT_EQ(read, (std::vector<master::EpochSeconds>{2 * kDay + 7200, 2 * kDay + 10800}));
  EXPECT_TRUE(m.cycles[1].settlement) << "the midnight missed";
  for (std::size_t i = 0; i < meters_.size(); i += 31) {
    const auto day = ok(m.storage->aggregates(meters_[i].id, "day"));
    ASSERT_EQ(day.size(), 3u) << i;
    EXPECT_EQ(day[2].period_start, kStart + kDay);
    EXPECT_TRUE(day[2].energy_kwh.has_value()) << i;
    EXPECT_TRUE(day[2].interpolated) << "00:00 lies between two readings";
  }
  // A restart inside a slot leaves it to be read, not missed.
  masters_.clear();
  Master& again = add_master("master-a");
  run_until(kStart + 2 * kDay + 4 * 3600 + 600);
  ASSERT_FALSE(again.cycles.empty());
  for (const auto& c : again.cycles) EXPECT_FALSE(c.missed) << c.slot - kStart;
}

// A commissioning scan of the concentrator's buses (a job of kind scan) is a background job:
// it runs in slices, its progress is in the job while it runs, every hourly slot's cycle goes
// first when its slot begins (none missed, each read in its slot), and it ends with every
// M-Bus meter's secondary address found.
TEST_F(DispatcherTest, AScanYieldsToTheScheduleAndFindsEveryMeter) {
  // One segment of 300 meters at primary address 0 (the scan's bus: a transparent HM-660 puts
  // a wildcard selection on its only channel).
  masters_.clear();
  district(HEATLINK_SOURCE_DIR "/scenarios/segment-300-secondary-scan.yaml", "topology");
  master::DispatcherOptions options;
  options.scan_slice_probes = 20;
  Master& m = add_master("master-a", options);
  run_until(kStart + 3000);
  const auto id = queue_job(m, "scan");
  bool progress_seen = false;
  run_until(kStart + 4 * 3600, [&](master::EpochSeconds) {
    const auto j = ok(m.storage->read_job(id));
    progress_seen = progress_seen ||
                    (j->status == "running" && j->detail.find("\"probes\":") != std::string::npos);
  });
  const auto done = ok(m.storage->read_job(id));
  ASSERT_EQ(done->status, "done") << done->detail;
  EXPECT_TRUE(progress_seen) << "the scan's progress is in the job while it runs";
  std::size_t mbus = 0;
  for (const auto& meter : meters_) {
    if (meter.protocol != master::MeterProtocol::mbus) continue;
    ++mbus;
    EXPECT_NE(done->detail.find(meter.secondary_address.substr(0, 8)), std::string::npos)
        << meter.secondary_address;
  }
  EXPECT_NE(done->detail.find("\"slices\":"), std::string::npos) << done->detail;
  std::vector<master::EpochSeconds> read;
  for (const auto& c : m.cycles) {
    if (c.job != 0) continue;
    EXPECT_FALSE(c.missed) << c.slot - kStart;
    EXPECT_EQ(c.read - c.late, 300u) << "the slot's own meters, at " << c.slot - kStart;
    read.push_back(c.slot - kStart);
  }
  EXPECT_EQ(read, (std::vector<master::EpochSeconds>{0, 3600, 7200, 10800}));
  const auto hour = std::find_if(m.cycles.begin(), m.cycles.end(), [](const auto& c) {
    return c.job == 0 && c.slot == kStart + 3600;
  });
  ASSERT_NE(hour, m.cycles.end());
  EXPECT_LT(hour->started_at, *done->finished_at) << "the 01:00 cycle ran while the scan was on";
  EXPECT_LT(hour->started_at - hour->slot, 300) << "within a slice of its slot";
  EXPECT_GT(mbus, 250u);
}

// An operator's manual read, or the next slot's cycle, does not wait for a whole slice of a
// scan (40 selections, many minutes over GPRS): the scan gives the bus up after its next
// selection and carries on afterwards, still finding every meter.
TEST_F(DispatcherTest, AManualReadDuringAScanWaitsForOneSelectionNotTheSlice) {
  masters_.clear();
  district(HEATLINK_SOURCE_DIR "/scenarios/segment-300-secondary-scan.yaml", "topology");
  line_ticks_ = true;
  Master& m = add_master("master-a");  // slices of the default 40 selections
  run_until(kStart + 3000);
  const auto scan = queue_job(m, "scan");
  for (const std::size_t i : {150U, 20U, 270U}) {  // three reads, at three points of the scan
    run_until(now() + 97);
    ASSERT_EQ(ok(m.storage->read_job(scan))->status, "running");
    master::ReadJob job;
    job.kind = "meter";
    job.target = std::to_string(meters_[i].id);
    job.requested_at = now();
    const auto read = ok(m.storage->queue_read_job(job));
    run_until(now() + 600);
    const auto done = ok(m.storage->read_job(read));
    ASSERT_TRUE(done->finished_at.has_value()) << "not read in ten minutes";
    EXPECT_EQ(done->status, "done") << done->detail;
    EXPECT_NE(done->detail.find("\"read\":1"), std::string::npos) << done->detail;
    EXPECT_LE(*done->finished_at - job.requested_at, 120) << "one selection of the scan, not 40";
  }
  EXPECT_EQ(ok(m.storage->read_job(scan))->status, "running") << "the scan goes on after them";

  run_until(kStart + 4 * 3600);
  const auto scanned = ok(m.storage->read_job(scan));
  ASSERT_EQ(scanned->status, "done") << scanned->detail;
  for (const auto& meter : meters_) {
    if (meter.protocol != master::MeterProtocol::mbus) continue;
    EXPECT_NE(scanned->detail.find(meter.secondary_address.substr(0, 8)), std::string::npos)
        << meter.secondary_address;
  }
  for (const auto& c : m.cycles) {
    if (c.job != 0 || c.slot == kStart) continue;
    EXPECT_LT(c.started_at - c.slot, 120) << "the slot's cycle, one selection after it began";
  }
}

// A job's detail as JSON.
nlohmann::json detail_of(const master::ReadJob& job) {
  return nlohmann::json::parse(job.detail, nullptr, false);
}

// The background job cycles (slices) a master ran.
std::size_t job_cycles(const Master& m) {
  return static_cast<std::size_t>(
      std::count_if(m.cycles.begin(), m.cycles.end(), [](const auto& c) { return c.job != 0; }));
}

void DispatcherTest::expect_scan_carried_on(Master& m, std::int64_t id,
                                            const nlohmann::json& before) {
  const auto done = ok(m.storage->read_job(id));
  ASSERT_EQ(done->status, "done") << done->detail;
  const auto d = detail_of(*done);
  for (const auto& meter : meters_) {
    if (meter.protocol != master::MeterProtocol::mbus) continue;
    EXPECT_NE(done->detail.find(meter.secondary_address.substr(0, 8)), std::string::npos)
        << meter.secondary_address;
  }
  const std::size_t slices = d["scan"]["slices"], slices_before = before["slices"];
  EXPECT_EQ(job_cycles(m), slices - slices_before) << "only the slices still to do ran again";
  EXPECT_GT(d["scan"]["probes"].get<std::size_t>(), before["probes"].get<std::size_t>());
}

TEST_F(DispatcherTest, AScanStoppedByARestartCarriesOnWhereItWas) {
  masters_.clear();
  district(HEATLINK_SOURCE_DIR "/scenarios/segment-300-secondary-scan.yaml", "topology");
  master::DispatcherOptions options;
  options.scan_slice_probes = 20;
  Master* m = &add_master("master-a", options);
  run_until(kStart + 3000);
  const auto id = queue_job(*m, "scan");
  const auto before = kill_after_slices(*m, id, "scan", 5, kStart + 4 * 3600);
  ASSERT_FALSE(before.is_null()) << "five slices in four hours";
  EXPECT_EQ(ok(ok(master::open_storage(url_))->read_job(id))->status, "running");
  m = &add_master("master-a", options);  // the same master, started again
  run_until(now() + 4 * 3600);
  expect_scan_carried_on(*m, id, before);
}

// A master that dies for good in a job leaves it to the others: once it has been silent for
// the job lease, another master sharing the database takes the job over and carries it on
// from the progress it stored (before, the job stayed "running" for ever).
TEST_F(DispatcherTest, AJobOfAMasterThatDiedForGoodIsTakenOverByAnother) {
  masters_.clear();
  district(HEATLINK_SOURCE_DIR "/scenarios/segment-300-secondary-scan.yaml", "topology");
  master::DispatcherOptions options;
  options.scan_slice_probes = 20;
  Master* a = &add_master("master-a", options);
  run_until(kStart + 3000);
  const auto id = queue_job(*a, "scan");
  const auto before = kill_after_slices(*a, id, "scan", 5, kStart + 4 * 3600);
  ASSERT_FALSE(before.is_null()) << "five slices in four hours";
  Master& b = add_master("master-b", options);
  run_until(now() + options.job_lease_s - 120);
  EXPECT_EQ(ok(b.storage->read_job(id))->claimed_by, "master-a") << "not within the lease";
  run_until(now() + 4 * 3600);
  expect_scan_carried_on(b, id, before);
  EXPECT_EQ(ok(b.storage->read_job(id))->claimed_by, "master-b");
}

// The HM-660's archive as the line reads it.
std::vector<heatlink::protocol::hm660::ArchiveEntry> archive_of(heatlink::test::SimLine& line) {
  auto read = std::make_shared<heatlink::protocol::hm660::EntryListRead>(
      heatlink::protocol::hm660::kArchiveRead);
  line.run(read, [](const master::IoStatus&) {});
  EXPECT_EQ(read->verdict(), heatlink::protocol::link::Verdict::ok) << read->problem();
  return read->entries();
}

TEST_F(DispatcherTest, AnArchiveWriteYieldsToTheScheduleAndSurvivesARestart) {
  master::DispatcherOptions options;
  options.archive_slice_frames = 2;
  Master* m = &add_master("master-a", options);
  run_until(kStart + 3000);
  const auto id = queue_job(*m, "archive_write");
  const auto before = kill_after_slices(*m, id, "archive_write", 4, kStart + 3 * 3600);
  ASSERT_FALSE(before.is_null()) << "four slices in three hours";
  const std::size_t written_before = before["written"], slices_before = before["slices"];
  ASSERT_GT(written_before, 0u);
  ASSERT_LT(written_before, meters_.size());
  m = &add_master("master-a", options);
  run_until(kStart + 3 * 3600);
  const auto done = ok(m->storage->read_job(id));
  ASSERT_EQ(done->status, "done") << done->detail;
  const auto d = detail_of(*done);
  EXPECT_EQ(d["archive_write"]["entries"], meters_.size());
  EXPECT_EQ(d["archive_write"]["written"], meters_.size());
  EXPECT_EQ(d["archive_write"]["verified"], true);
  EXPECT_EQ(d["archive_write"]["restarts"], 0) << "carried on, nothing cleared or written twice";
  const std::size_t slices = d["archive_write"]["slices"];
  EXPECT_EQ(job_cycles(*m), slices - slices_before);
  // The concentrator's archive is the base information, meter by meter.
  const auto archive = archive_of(*line_);
  ASSERT_EQ(archive.size(), meters_.size());
  for (std::size_t i = 0; i < meters_.size(); ++i) {
    const auto entry = master::archive_entry(meters_[i]);
    ASSERT_TRUE(std::holds_alternative<heatlink::protocol::hm660::ArchiveEntry>(entry));
    EXPECT_TRUE(std::get<heatlink::protocol::hm660::ArchiveEntry>(entry).same_meter(archive[i]))
        << "entry " << i;
  }
  // The slots after the restart were read in full, the write between the cycles.
  std::size_t hourly = 0;
  for (const auto& c : m->cycles) {
    if (c.job != 0) continue;
    ++hourly;
    EXPECT_FALSE(c.missed) << c.slot - kStart;
  }
  EXPECT_GE(hourly, 1u);
}

TEST_F(DispatcherTest, AManualReadGoesAheadOfTheSchedule) {
  Master& m = add_master("master-a");
  run_until(kStart + 1800);
  ASSERT_EQ(m.cycles.size(), 1u);
  const std::int64_t meter = meters_[300].id;  // a meter on the crowded segment
  master::ReadJob job;
  job.kind = "meter";
  job.target = std::to_string(meter);
  job.requested_at = now();
  const auto id = ok(m.storage->queue_read_job(job));
  run_until(now() + 30);
  const auto done = ok(m.storage->read_job(id));
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->status, "done") << done->detail;
  EXPECT_EQ(done->claimed_by, "master-a");
  EXPECT_LE(*done->finished_at - job.requested_at, 5) << "within seconds, not at the next hour";
  EXPECT_NE(done->detail.find("\"read\":1"), std::string::npos) << done->detail;
  EXPECT_EQ(ok(m.storage->latest(meter))->received_at, *done->finished_at);

  // A community the base information does not have: the job fails, saying why.
  job.kind = "community";
  job.target = "nowhere";
  const auto bad = ok(m.storage->queue_read_job(job));
  run_until(now() + 3);
  const auto failed = ok(m.storage->read_job(bad));
  EXPECT_EQ(failed->status, "failed");
  EXPECT_NE(failed->detail.find("no community 'nowhere'"), std::string::npos) << failed->detail;
}

// A manual read whose line is lost under it - the DTU's session replaced by its new one after a
// NAT timeout, or the DTU gone for a while - is read again on the DTU's next session, and says
// how many attempts it took; past its deadline it fails, saying the DTU is offline.
TEST_F(DispatcherTest, AManualReadInterruptedByALostLineIsReadAgainOnTheNextSession) {
  int lost = 0;  // lines to lose before passing procedures on
  Master& m = add_master("master-a", {}, [&](auto procedure, auto done) {
    if (lost > 0) {
      --lost;
      return done(master::IoStatus{"connection closed (replaced by a newer connection)"});
    }
    line_->run(std::move(procedure), done);
  });
  run_until(kStart + 1800);  // the 00:00 cycle is done
  auto ask = [&] {
    master::ReadJob job;
    job.kind = "meter";
    job.target = std::to_string(meters_[5].id);
    job.requested_at = now();
    return ok(m.storage->queue_read_job(job));
  };

  lost = 1;  // the session is replaced as the read goes out
  const auto replaced = ask();
  run_until(now() + 10);
  auto job = ok(m.storage->read_job(replaced));
  EXPECT_EQ(job->status, "done") << job->detail;
  EXPECT_NE(job->detail.find("\"attempts\":2"), std::string::npos) << job->detail;
  EXPECT_NE(job->detail.find("\"read\":1"), std::string::npos) << job->detail;

  lost = 1;  // the line is lost, and the DTU is gone for two minutes
  const auto gone = ask();
  run_until(now() + 1);  // the job is taken, and its line lost
  m.dtu_online = false;
  run_until(now() + 120);
  EXPECT_FALSE(ok(m.storage->read_job(gone))->finished_at.has_value()) << "waits for the DTU";
  m.dtu_online = true;
  run_until(now() + 10);
  job = ok(m.storage->read_job(gone));
  EXPECT_EQ(job->status, "done") << job->detail;
  EXPECT_NE(job->detail.find("\"attempts\":2"), std::string::npos) << job->detail;

  lost = 1000;  // never back within the job's deadline (600 s)
  const auto never = ask();
  run_until(now() + 700);
  job = ok(m.storage->read_job(never));
  EXPECT_EQ(job->status, "failed") << job->detail;
  EXPECT_NE(job->detail.find("replaced by a newer connection"), std::string::npos) << job->detail;
}

// A manual read and a valve command asked for while the hourly cycle is reading the
// concentrator's 310 meters run between two of its meters, not after it; the cycle then goes on
// and reads every meter once.
TEST_F(DispatcherTest, AManualReadDuringACycleWaitsForOneMeterNotTheCycle) {
  // The line answers one procedure per virtual second, so that the cycle is seen running.
  std::deque<
      std::pair<std::shared_ptr<heatlink::protocol::link::Procedure>, master::ReadingEngine::Done>>
      line;
  Master& m = add_master("master-a", {}, [&line](auto procedure, auto done) {
    line.emplace_back(std::move(procedure), std::move(done));
  });
  std::size_t answered = 0;
  auto step = [&] {
    run_until(now() + 1);
    if (line.empty()) return;
    auto [procedure, done] = std::move(line.front());
    line.pop_front();
    line_->run(std::move(procedure), std::move(done));
    ++answered;
  };
  while (answered < 20 && now() < kStart + 600) step();
  ASSERT_TRUE(m.engine->busy(concentrator_.id)) << "the midnight cycle is running";
  const std::int64_t meter = meters_[305].id;  // near the end of the cycle's order
  master::ReadJob job;
  job.kind = "meter";
  job.target = std::to_string(meter);
  job.requested_at = now();
  const auto id = ok(m.storage->queue_read_job(job));
  ASSERT_EQ(district_->meter(45).kind(), sim::MeterKind::cjt188_heat);
  master::ReadJob valve = job;
  valve.kind = "valve_close";
  valve.target = std::to_string(meters_[45].id);
  const auto valve_id = ok(m.storage->queue_read_job(valve));
  const std::size_t asked_at = answered;
  auto finished = [&](std::int64_t j) {
    const std::string status = ok(m.storage->read_job(j))->status;
    return status == "done" || status == "failed";
  };
  while (!(finished(id) && finished(valve_id)) && answered < asked_at + 60) step();
  EXPECT_EQ(ok(m.storage->read_job(id))->status, "done");
  EXPECT_EQ(ok(m.storage->read_job(valve_id))->status, "done");
  EXPECT_FALSE(district_->meter(45).model().valve_open(district_->queue().now()));
  EXPECT_LT(answered - asked_at, 40u) << "a few procedures, not the cycle's 290 left";
  EXPECT_TRUE(m.engine->busy(concentrator_.id)) << "the cycle goes on";

  while (m.engine->busy(concentrator_.id) && now() < kStart + 3000) step();
  const auto scheduled = std::find_if(m.cycles.begin(), m.cycles.end(),
                                      [](const master::CycleStats& s) { return s.job == 0; });
  ASSERT_NE(scheduled, m.cycles.end());
  EXPECT_EQ(scheduled->read, 310u) << "every meter of the cycle, once";
}

TEST_F(DispatcherTest, TwoMastersSharingTheDatabaseNeverReadASlotTwice) {
  Master& a = add_master("master-a");
  Master& b = add_master("master-b");
  run_until(kStart + 3 * 3600 + 1800);  // four slots, the DTU connected to both
  a.dtu_online = false;                 // the DTU now reaches master-b only
  run_until(kStart + 6 * 3600 + 1800);  // three more
  EXPECT_EQ(a.cycles.size() + b.cycles.size(), 7u);
  EXPECT_EQ(a.cycles.size(), 4u) << "master-a ticked first while both had the DTU";
  std::set<master::EpochSeconds> slots;
  for (const auto* m : {&a, &b}) {
    for (const auto& c : m->cycles) EXPECT_TRUE(slots.insert(c.slot).second) << c.slot;
  }
  EXPECT_EQ(ok(a.storage->count_readings()), 7 * 310) << "each meter once per slot";
}

TEST_F(DispatcherTest, ACycleCutOffResumesWithoutReadingAMeterTwice) {
  int calls = 0;
  bool lost = false;
  master::DispatcherOptions options;
  options.resume_after_s = 120;
  Master& m = add_master("master-a", options, [&](auto procedure, auto done) {
    if (++calls == 101) lost = true;  // the DTU's connection drops mid-cycle
    if (lost) return done({"DTU 13800138000: the connection closed"});
    line_->run(std::move(procedure), done);
  });
  run_until(kStart + 60);
  ASSERT_EQ(m.cycles.size(), 1u);
  EXPECT_EQ(m.cycles[0].read, 100u);
  EXPECT_NE(m.cycles[0].error, "");
  lost = false;  // the DTU is back
  run_until(kStart + 1800);
  ASSERT_EQ(m.cycles.size(), 2u);
  EXPECT_EQ(m.cycles[1].error, "");
  EXPECT_EQ(m.cycles[1].skipped, 100u) << "what was stored before the loss is not read again";
  EXPECT_EQ(m.cycles[1].read, 210u);
  EXPECT_EQ(m.cycles[1].slot, kStart);
  EXPECT_EQ(readings_between(*m.storage, kStart, kStart + 1800), 310u);
}

TEST_F(DispatcherTest, EveryFaultKnobRaisesItsFaultEventWhichClearsWhenTheFaultGoes) {
  // A custom rule on the supply temperature, held for two hours.
  auto storage = ok(master::open_storage(url_));
  master::FaultRuleRecord rule;
  rule.name = "supply_above_30";
  rule.field = "supply_c";
  rule.op = ">";
  rule.threshold = 30;
  rule.persistence_s = 7200;
  ok(storage->add_fault_rule(rule));

  // Each physical knob on a Multical 403 of its own (meters 0-11 are; a frozen register on a
  // Sharky drawing enough heat to move its register hourly), the stuck valve and the
  // drifting clock on CJ/T 188 meters (40-49), and a low battery on one meter of every kind.
  struct Knob {
    std::size_t meter;
    sim::MeterFaults faults;
    std::string code;
  };
  auto flags = [](std::uint16_t f) {
    sim::MeterFaults m;
    m.flags = f;
    return m;
  };
  sim::MeterFaults leak, burst, drift;
  leak.leak_m3_per_h = 0.5F;
  burst.leak_m3_per_h = 2.0F;
  drift.clock_drift_ppm = 200000.0F;  // 12 minutes an hour
  std::vector<Knob> knobs = {
      {0, flags(sim::MeterFaults::supply_sensor_open), "supply_sensor"},
      {1, flags(sim::MeterFaults::supply_sensor_short), "supply_sensor"},
      {2, flags(sim::MeterFaults::return_sensor_open), "return_sensor"},
      {3, flags(sim::MeterFaults::return_sensor_short), "return_sensor"},
      {4, flags(sim::MeterFaults::air_in_flow_sensor), "air"},
      {5, flags(sim::MeterFaults::reverse_flow), "reverse_flow"},
      {19, flags(sim::MeterFaults::frozen_registers), "energy_flat"},  // a Sharky, 3 kW
      {7, flags(sim::MeterFaults::registers_backwards), "register_backwards"},
      {8, leak, "leak"},
      {9, burst, "burst"},
      {41, drift, "clock_drift"},  // Kamstrup's telegrams carry no clock
      {40, flags(sim::MeterFaults::valve_stuck), "valve_fault"},
  };
  std::set<sim::MeterKind> kinds;
  for (std::size_t i = 0; i < district_->meter_count(); ++i) {
    if (kinds.insert(district_->meter(i).kind()).second && i != 0 && i != 40 && i != 41)
      knobs.push_back({i, flags(sim::MeterFaults::low_battery), "low_battery"});
  }
  ASSERT_EQ(kinds.size(), 5u);
  for (const Knob& k : knobs) {
    ASSERT_EQ(district_->meter(k.meter).kind() == sim::MeterKind::cjt188_heat, k.meter >= 40);
    district_->meter(k.meter).model().set_faults(k.faults);
  }

  Master& m = add_master("master-a");
  auto open_codes = [&](std::size_t i) {
    std::set<std::string> codes;
    for (const auto& f : ok(m.storage->open_faults())) {
      if (f.meter_id == meters_[i].id) codes.insert(f.code);
    }
    return codes;
  };
  run_until(kStart + 1800);
  EXPECT_EQ(open_codes(20).count("custom:supply_above_30"), 0u) << "not yet held two hours";
  run_until(kStart + 2 * 3600 + 1800);
  for (const Knob& k : knobs) {
    EXPECT_EQ(open_codes(k.meter).count(k.code), 1u)
        << k.code << " on " << sim::meter_kind_name(district_->meter(k.meter).kind());
  }
  EXPECT_EQ(open_codes(20).count("custom:supply_above_30"), 1u);
  EXPECT_TRUE(open_codes(20).count("low_battery") == 0) << "a meter without faults";
  // A failed sensor's sentinel (185 degC open, 0 short) is no temperature: no rule about
  // temperatures or heat reasons with it (the custom rule on the supply temperature holds for
  // meters 2 and 3, whose supply sensor works), and no curve draws it.
  for (const std::size_t i : {0u, 1u, 2u, 3u}) {
    for (const char* code : {"supply_below_return", "low_delta_t", "energy_flat", "register_jump"})
      EXPECT_EQ(open_codes(i).count(code), 0u) << code << " on meter " << i;
    if (i < 2) {
      EXPECT_EQ(open_codes(i).count("custom:supply_above_30"), 0u) << i;
    }
    const auto latest = ok(m.storage->latest(meters_[i].id));
    ASSERT_TRUE(latest.has_value());
    EXPECT_EQ(latest->supply_c.has_value(), i >= 2) << i;
    EXPECT_EQ(latest->return_c.has_value(), i < 2) << i;
    EXPECT_FALSE(latest->delta_t_k.has_value()) << i;
  }

  // Cleared at the next reading without the fault; a register frozen for hours first has to
  // move by its resolution (a small flat's 1 kWh) before it reads as moving again.
  for (const Knob& k : knobs) district_->meter(k.meter).model().set_faults({});
  run_until(kStart + 5 * 3600 + 1800);
  for (const Knob& k : knobs) {
    if (k.code == "clock_drift") continue;  // the meter's clock stays wrong until it is set
    EXPECT_EQ(open_codes(k.meter).count(k.code), 0u)
        << k.code << " on " << sim::meter_kind_name(district_->meter(k.meter).kind());
    const auto history = ok(m.storage->faults_of(meters_[k.meter].id));
    const auto raised = std::find_if(history.begin(), history.end(),
                                     [&](const auto& f) { return f.code == k.code; });
    ASSERT_NE(raised, history.end()) << k.code;
    ASSERT_TRUE(raised->cleared_at.has_value()) << k.code;
    EXPECT_GE(*raised->cleared_at, kStart + 3 * 3600) << k.code;
  }
}

TEST_F(DispatcherTest, MeterClocksThatDriftAreSet) {
  // A CJ/T 188 meter (A015) and a Sharky 775 on M-Bus (SND_UD 04 6D), 12 minutes fast an hour.
  const std::size_t cjt = 40, sharky = 12;
  ASSERT_EQ(district_->meter(cjt).kind(), sim::MeterKind::cjt188_heat);
  ASSERT_EQ(district_->meter(sharky).kind(), sim::MeterKind::sharky775);
  sim::MeterFaults drift;
  drift.clock_drift_ppm = 200000.0F;
  for (const std::size_t i : {cjt, sharky}) district_->meter(i).model().set_faults(drift);
  master::EngineOptions options;
  options.clock_sync_threshold_s = 300;
  Master& m = add_master("master-a", {}, nullptr, options);
  auto drift_s = [&](std::size_t i) {
    const auto t = district_->queue().now();
    return (district_->meter(i).model().meter_time(t) - t) / 1'000'000;
  };
  run_until(kStart + 1800);
  ASSERT_EQ(m.cycles.size(), 1u);
  EXPECT_EQ(m.cycles[0].clock_set, 0u) << "off by seconds at 00:00";
  run_until(kStart + 3600 + 300);  // the 01:00 cycle has read them, 12 minutes off
  ASSERT_EQ(m.cycles.size(), 2u);
  EXPECT_EQ(m.cycles[1].clock_set, 2u) << "only the drifting meters";
  for (const std::size_t i : {cjt, sharky})
    EXPECT_LT(std::llabs(drift_s(i)), 120) << "set at about 01:00, drifted only since: " << i;
}

TEST_F(DispatcherTest, AConcentratorInCollectModeIsReadFromItsOwnBuffer) {
  // Commissioned as a technician would: the HM-660 scans both channels, archives what it
  // found and reads its archive every ten minutes.
  namespace hm660 = heatlink::protocol::hm660;
  auto command = [&](std::uint8_t ci, std::vector<std::uint8_t> data = {}) {
    auto c = std::make_shared<hm660::Command>(ci, std::move(data));
    line_->run(c, [](const master::IoStatus&) {});
    EXPECT_EQ(c->verdict(), heatlink::protocol::link::Verdict::ok) << c->problem();
    return c->data();
  };
  command(hm660::kArchiveClear);
  command(hm660::kScanStart, {0x03});
  for (int minutes = 0; minutes < 120; ++minutes) {
    district_->queue().run_until(district_->queue().now() + 60'000'000);
    const auto info = hm660::decode_info(command(hm660::kInfo));
    if (info.ok() && info->scan_state == 2) break;
  }
  auto found = std::make_shared<hm660::EntryListRead>(hm660::kScanRead);
  line_->run(found, [](const master::IoStatus&) {});
  // Every M-Bus meter; the ten CJ/T 188 meters of channel 2 answer the scan's broadcast
  // address read all at once, and their collision hides them.
  ASSERT_EQ(found->entries().size(), 300u) << found->problem();
  for (std::size_t i = 0; i < found->entries().size(); i += 15) {  // 15 entries a frame
    std::vector<std::uint8_t> entries;
    for (std::size_t k = i; k < std::min(i + 15, found->entries().size()); ++k)
      hm660::encode_entry(found->entries()[k], entries);
    command(hm660::kArchiveAdd, entries);
  }
  command(hm660::kCycleSet, {0x58, 0x02, 0, 0});  // 600 s
  district_->queue().run_until(district_->queue().now() + 900'000'000);

  Master& m = add_master("master-a");
  master::CycleRequest request;
  request.concentrator = concentrator_;
  request.concentrator.mode = master::ConcentratorMode::collect;
  request.slot = now();
  std::optional<master::CycleStats> stats;
  ASSERT_TRUE(m.engine->read(request, [&](const master::CycleStats& s) { stats = s; }));
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats->error, "");
  EXPECT_EQ(stats->read, 300u);
  EXPECT_EQ(stats->failed, 10u) << "the meters missing from the concentrator's archive";
  EXPECT_GE(ok(m.storage->count_readings()), 300) << "a reading per concentrator cycle";
  for (std::size_t i = 0; i < meters_.size(); ++i) {
    if (district_->meter(i).kind() == sim::MeterKind::cjt188_heat) continue;
    const auto latest = ok(m.storage->latest(meters_[i].id));
    ASSERT_TRUE(latest.has_value()) << i;
    const double now_held = district_->meter(i).model().state().energy_kwh;
    EXPECT_LE(*latest->energy_kwh, now_held + 1e-6) << i;
    EXPECT_GE(*latest->energy_kwh, now_held - resolution_kwh(i) - 10) << i;
    EXPECT_LE(latest->read_at, now()) << "the time the concentrator read it";
    EXPECT_GT(latest->read_at, kStart) << i;
  }
  // Collected once, the buffer is empty: the next collect finds nothing new to read.
  stats.reset();
  m.engine->read(request, [&](const master::CycleStats& s) { stats = s; });
  EXPECT_EQ(stats->read, 0u);
}

}  // namespace
