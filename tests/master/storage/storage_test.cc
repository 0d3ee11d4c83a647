// The storage interface against both real backends: a SQLite file, and a PostgreSQL server
// (`make test` starts a throwaway cluster and names it in HEATLINK_TEST_POSTGRESQL).
#include "heatlink/master/storage/storage.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "heatlink/master/storage/sql_database.h"
#include "storage_support.h"

namespace {

namespace master = heatlink::master;

using heatlink::test::ok;

// A fresh, empty database per test.
std::string fresh_database(const std::string& backend) {
  if (backend == "sqlite") {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '-');
    const std::string path = ::testing::TempDir() + "heatlink-storage-" +
                             std::to_string(::getpid()) + "-" + name + ".db";
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    return "sqlite:" + path;
  }
  const char* url = std::getenv("HEATLINK_TEST_POSTGRESQL");
  return url != nullptr ? url : "";
}

class StorageTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    url_ = fresh_database(GetParam());
    if (url_.empty()) {
      if (std::getenv("CI") != nullptr) FAIL() << "CI must run the PostgreSQL tests";
      GTEST_SKIP() << "HEATLINK_TEST_POSTGRESQL is not set (make test sets it)";
    }
    if (GetParam() == "postgresql")
      url_ = heatlink::test::own_schema(url_, "test_" + std::to_string(::getpid()));
    storage_ = ok(master::open_storage(url_));
    ASSERT_TRUE(storage_);
    ASSERT_EQ(ok(storage_->migrate()), 10);
    station_ = ok(storage_->add_station({0, "station-" + std::to_string(::getpid())}));
    concentrator_ = ok(storage_->add_concentrator(
        {0, station_, "hm660-" + std::to_string(::getpid()), "13800000001", std::nullopt}));
    meter_ = add_meter("50000001FFFF0104");
  }

  std::int64_t add_meter(const std::string& secondary) {
    master::MeterRecord m;
    m.concentrator_id = concentrator_;
    m.vendor = "KAM";
    m.model = "MULTICAL 403";
    m.secondary_address = secondary;
    return ok(storage_->add_meter(m));
  }

  master::Reading reading(std::int64_t meter, master::EpochSeconds at, double energy) const {
    master::Reading r;
    r.meter_id = meter;
    r.read_at = at;
    r.received_at = at + 3;
    r.meter_time = at - 1;
    r.energy_kwh = energy;
    r.volume_m3 = energy / 100;
    r.supply_c = 70.25;
    r.return_c = 40.5;
    r.status_bits = 0x10;
    r.raw = {0x68, 0x03, 0x03, 0x68, 0x08, 0x05, 0x72, 0x7F, 0x16};
    return r;
  }

  std::string url_;
  std::unique_ptr<master::Storage> storage_;
  std::int64_t station_ = 0;
  std::int64_t concentrator_ = 0;
  std::int64_t meter_ = 0;
};

constexpr master::EpochSeconds kDec1 = 1'796'083'200;  // 2026-12-01T00:00:00Z

TEST_P(StorageTest, MigratesOnceAndKnowsItsVersion) {
  EXPECT_EQ(ok(storage_->schema_version()), 10);
  EXPECT_EQ(ok(storage_->migrate()), 10) << "a second migration is a no-op";
  EXPECT_EQ(ok(storage_->meters_of(concentrator_)).size(), 1u);
  const auto concentrators = ok(storage_->concentrators());
  ASSERT_EQ(concentrators.size(), 1u);
  EXPECT_EQ(concentrators[0].dtu_id, "13800000001");
  EXPECT_EQ(concentrators[0].station_id, station_);
}

TEST_P(StorageTest, StoresEachReadingOnceHoweverOftenItArrives) {
  std::vector<master::Reading> batch;
  for (int h = 0; h < 24; ++h) batch.push_back(reading(meter_, kDec1 + h * 3600, 1000 + h));
  EXPECT_EQ(ok(storage_->store_readings(batch)), 24u);
  EXPECT_EQ(ok(storage_->store_readings(batch)), 0u) << "a retried upload";
  batch.push_back(reading(meter_, kDec1 + 24 * 3600, 1024));
  EXPECT_EQ(ok(storage_->store_readings(batch)), 1u);
  EXPECT_EQ(ok(storage_->count_readings()), 25);

  const auto stored = ok(storage_->readings(meter_, kDec1, kDec1 + 86400));
  ASSERT_EQ(stored.size(), 24u);
  EXPECT_EQ(stored.front(), batch.front()) << "every field, the telegram too, comes back as stored";
  EXPECT_EQ(stored.back().energy_kwh, 1023);
  EXPECT_FALSE(stored.front().power_kw.has_value()) << "a value not reported stays empty";
}

TEST_P(StorageTest, LatestValuesOnlyMoveForward) {
  const std::int64_t other = add_meter("50000002FFFF0104");
  ok(storage_->store_readings(std::vector{reading(meter_, kDec1 + 7200, 20)}));
  // A late upload of an older reading, and a batch with two readings of one meter.
  ok(storage_->store_readings(std::vector{reading(meter_, kDec1, 10), reading(other, kDec1, 5),
                                          reading(other, kDec1 + 60, 6)}));
  const auto latest = ok(storage_->latest(meter_));
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->read_at, kDec1 + 7200);
  EXPECT_EQ(latest->energy_kwh, 20);
  EXPECT_EQ(ok(storage_->latest(other))->energy_kwh, 6);
  EXPECT_FALSE(ok(storage_->latest(999999)).has_value());
}

TEST_P(StorageTest, ReadsAcrossMonths) {
  std::vector<master::Reading> batch;
  for (int d = 0; d < 70; ++d) batch.push_back(reading(meter_, kDec1 + d * 86400, 100.0 * d));
  EXPECT_EQ(ok(storage_->store_readings(batch)), 70u);
  EXPECT_EQ(ok(storage_->readings(meter_, kDec1 + 25 * 86400, kDec1 + 45 * 86400)).size(), 20u);
}

TEST_P(StorageTest, AStoredReadingSurvivesKillDashNine) {
  int done[2];
  ASSERT_EQ(::pipe(done), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // a master: stores, says so, and is killed before it can close anything
    auto storage = master::open_storage(url_);
    auto* s = std::get_if<std::unique_ptr<master::Storage>>(&storage);
    if (s == nullptr) ::_exit(1);
    std::vector<master::Reading> batch;
    for (int i = 0; i < 500; ++i) batch.push_back(reading(meter_, kDec1 + i * 60, i));
    const auto stored = (*s)->store_readings(batch);
    const char answer = std::holds_alternative<std::size_t>(stored) ? 'y' : 'n';
    (void)::write(done[1], &answer, 1);
    for (;;) ::pause();
  }
  ::close(done[1]);
  char answer = 0;
  ASSERT_EQ(::read(done[0], &answer, 1), 1);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(done[0]);
  ASSERT_EQ(answer, 'y');
  auto reopened = ok(master::open_storage(url_));
  ASSERT_TRUE(reopened);
  EXPECT_EQ(ok(reopened->count_readings()), 500);
  EXPECT_EQ(ok(reopened->latest(meter_))->read_at, kDec1 + 499 * 60);
}

// A slot that ended without its cycle: missed when nobody claimed it or its claimant did not
// finish it; a slot another master holds or finished is not this master's to call missed, and
// a missed slot is claimed by nobody afterwards.
TEST_P(StorageTest, ASlotThatEndedWithoutItsCycleIsMissedOnce) {
  auto other = ok(master::open_storage(url_));
  const master::CycleClaim away{concentrator_, kDec1, false, "master-a"};
  EXPECT_TRUE(ok(storage_->miss_cycle(away, kDec1 + 3600))) << "nobody claimed it";
  EXPECT_FALSE(ok(storage_->miss_cycle(away, kDec1 + 3601))) << "missed once";
  EXPECT_FALSE(ok(storage_->claim_cycle(away, kDec1 + 3602, 3600))) << "over";

  const master::CycleClaim queued{concentrator_, kDec1 + 3600, false, "master-a"};
  master::CycleClaim b = queued;
  b.master = "master-b";
  EXPECT_TRUE(ok(storage_->claim_cycle(queued, kDec1 + 3601, 3600)));
  EXPECT_FALSE(ok(other->miss_cycle(b, kDec1 + 7200))) << "a's, running late perhaps";
  EXPECT_TRUE(ok(storage_->miss_cycle(queued, kDec1 + 7200))) << "a never ran it";

  const master::CycleClaim done{concentrator_, kDec1 + 7200, false, "master-a"};
  EXPECT_TRUE(ok(storage_->claim_cycle(done, kDec1 + 7201, 3600)));
  EXPECT_TRUE(ok(storage_->finish_cycle(done, kDec1 + 7300, 5, 0)));
  EXPECT_FALSE(ok(storage_->miss_cycle(done, kDec1 + 10800))) << "read in time";

  const auto missed = ok(storage_->database().query(
      "SELECT slot, read, failed FROM cycle_claim WHERE missed = 1 ORDER BY slot", {}));
  ASSERT_EQ(missed.rows.size(), 2u);
  EXPECT_EQ(master::as_integer(missed.rows[1][0]), kDec1 + 3600);
  EXPECT_EQ(master::as_integer(missed.rows[1][1]), 0) << "nothing read for the slot";
}

TEST_P(StorageTest, ACycleSlotBelongsToOneMasterUntilItsLeaseRunsOut) {
  auto other = ok(master::open_storage(url_));  // a second master on the same database
  const master::CycleClaim a{concentrator_, kDec1, true, "master-a"};
  master::CycleClaim b = a;
  b.master = "master-b";
  EXPECT_TRUE(ok(storage_->claim_cycle(a, kDec1 + 5, 3600)));
  EXPECT_FALSE(ok(other->claim_cycle(b, kDec1 + 6, 3600))) << "a's, and a is alive";
  EXPECT_TRUE(ok(storage_->claim_cycle(a, kDec1 + 60, 3600))) << "a restarted: still a's";
  EXPECT_TRUE(ok(other->claim_cycle(b, kDec1 + 60 + 3601, 3600))) << "a's lease ran out";
  EXPECT_FALSE(ok(storage_->finish_cycle(a, kDec1 + 4000, 1, 0))) << "no longer a's";
  EXPECT_TRUE(ok(other->finish_cycle(b, kDec1 + 4000, 1, 0)));
  EXPECT_FALSE(ok(storage_->claim_cycle(a, kDec1 + 99999, 3600))) << "finished: nobody's";
  const master::CycleClaim next{concentrator_, kDec1 + 3600, false, "master-a"};
  EXPECT_TRUE(ok(storage_->claim_cycle(next, kDec1 + 3601, 3600))) << "the next slot";

  master::Reading r;
  r.meter_id = meter_;
  r.read_at = kDec1 + 3500;
  r.received_at = kDec1 + 3610;
  r.energy_kwh = 1;
  ok(storage_->store_readings(std::vector<master::Reading>{r}));
  EXPECT_EQ(ok(storage_->read_since(concentrator_, kDec1 + 3600)),
            std::vector<std::int64_t>{meter_});
  EXPECT_TRUE(ok(storage_->read_since(concentrator_, kDec1 + 3611)).empty());
}

TEST_P(StorageTest, AReadJobIsTakenByOneMaster) {
  auto other = ok(master::open_storage(url_));
  master::ReadJob job;
  job.kind = "meter";
  job.target = std::to_string(meter_);
  job.requested_at = kDec1;
  const auto id = ok(storage_->queue_read_job(job));
  ASSERT_EQ(ok(other->queued_read_jobs()).size(), 1u);
  EXPECT_TRUE(ok(other->claim_read_job(id, "master-b", kDec1 + 1)));
  EXPECT_FALSE(ok(storage_->claim_read_job(id, "master-a", kDec1 + 1)));
  EXPECT_TRUE(ok(storage_->queued_read_jobs()).empty());
  EXPECT_TRUE(ok(other->finish_read_job(id, "done", R"({"read":1})", kDec1 + 9)));
  const auto done = ok(storage_->read_job(id));
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->status, "done");
  EXPECT_EQ(done->claimed_by, "master-b");
  EXPECT_EQ(done->detail, R"({"read":1})");
  EXPECT_EQ(done->finished_at, kDec1 + 9);
}

// A running job whose master has not said it is alive since `before` is an orphan: one other
// master takes it over; the master keeping its jobs alive keeps them.
TEST_P(StorageTest, TheJobOfASilentMasterIsTakenOverByOneOther) {
  auto b = ok(master::open_storage(url_));
  auto c = ok(master::open_storage(url_));
  master::ReadJob job;
  job.kind = "scan";
  job.target = "hm660";
  job.requested_at = kDec1;
  const auto id = ok(storage_->queue_read_job(job));
  ASSERT_TRUE(ok(storage_->claim_read_job(id, "master-a", kDec1)));
  EXPECT_TRUE(ok(storage_->keep_read_jobs("master-a", kDec1 + 60)));
  EXPECT_TRUE(ok(b->orphaned_read_jobs("master-b", kDec1 + 60)).empty()) << "alive at +60";
  EXPECT_FALSE(ok(b->take_over_read_job(id, "master-b", kDec1 + 60, kDec1 + 360)));
  const auto orphans = ok(b->orphaned_read_jobs("master-b", kDec1 + 61));
  ASSERT_EQ(orphans.size(), 1u);
  EXPECT_EQ(orphans[0].claimed_by, "master-a");
  EXPECT_TRUE(ok(storage_->orphaned_read_jobs("master-a", kDec1 + 61)).empty()) << "its own";
  EXPECT_TRUE(ok(b->take_over_read_job(id, "master-b", kDec1 + 61, kDec1 + 361)));
  EXPECT_FALSE(ok(c->take_over_read_job(id, "master-c", kDec1 + 61, kDec1 + 361)))
      << "taken over once";
  EXPECT_FALSE(ok(storage_->keep_read_jobs("master-a", kDec1 + 362))) << "no longer its job";
  const auto running = ok(b->running_read_jobs("master-b"));
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0].id, id);
}

TEST_P(StorageTest, FaultsRaiseOnceAndClear) {
  master::FaultRecord raise;
  raise.meter_id = meter_;
  raise.concentrator_id = concentrator_;
  raise.code = "low_battery";
  raise.raised_at = kDec1;
  EXPECT_EQ(ok(storage_->record_faults(std::vector<master::FaultRecord>{raise, raise})), 1u)
      << "an open fault is not raised twice";
  master::FaultRecord bus = raise;
  bus.meter_id = 0;  // the concentrator's own
  bus.code = "concentrator_failure_rate";
  ok(storage_->record_faults(std::vector<master::FaultRecord>{bus}));
  EXPECT_EQ(ok(storage_->open_faults()).size(), 2u);
  master::FaultRecord clear = raise;
  clear.cleared_at = kDec1 + 3600;
  EXPECT_EQ(ok(storage_->record_faults(std::vector<master::FaultRecord>{clear})), 1u);
  const auto open = ok(storage_->open_faults());
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].code, "concentrator_failure_rate");
  const auto history = ok(storage_->faults_of(meter_));
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].cleared_at, kDec1 + 3600);

  master::FaultRuleRecord rule;
  rule.name = "overheated";
  rule.field = "supply_c";
  rule.op = ">";
  rule.threshold = 95.5;
  rule.persistence_s = 600;
  rule.severity = 3;
  ok(storage_->add_fault_rule(rule));
  const auto rules = ok(storage_->fault_rules());
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].threshold, 95.5);
  EXPECT_EQ(rules[0].severity, 3);
  EXPECT_TRUE(rules[0].enabled);
}

TEST_P(StorageTest, AggregatesRollUpPerStationAndCommunity) {
  const auto community = ok(storage_->add_community({0, station_, "garden"}));
  master::ConcentratorRecord c{0, station_, "hm660-garden-" + std::to_string(::getpid()), "",
                               community};
  c.id = ok(storage_->add_concentrator(c));
  std::vector<master::MeterRecord> meters(3);
  for (auto& m : meters) {
    m.concentrator_id = c.id;
    m.secondary_address = "60000001FFFF0104";
  }
  EXPECT_EQ(ok(storage_->add_meters(meters)), 3u);
  EXPECT_GT(meters[2].id, meters[0].id);
  EXPECT_EQ(ok(storage_->count_meters()), 4);
  ok(storage_->store_aggregates(
      std::vector<master::AggregateRecord>{{meters[0].id, "day", kDec1, 10.5, 0.5, false},
                                           {meters[1].id, "day", kDec1, 20.0, std::nullopt, true},
                                           {meter_, "day", kDec1, 7.0, 0.1, false}}));
  ok(storage_->store_aggregates(
      std::vector<master::AggregateRecord>{{meters[0].id, "day", kDec1, 11.5, 0.5, false}}));
  EXPECT_EQ(ok(storage_->aggregates(meters[0].id, "day")).at(0).energy_kwh, 11.5)
      << "written again: replaced";
  ok(storage_->roll_up(c.id, "day", kDec1));
  const auto garden = ok(storage_->rollups("community", community, "day"));
  ASSERT_EQ(garden.size(), 1u);
  EXPECT_EQ(garden[0].energy_kwh, 31.5);
  EXPECT_EQ(garden[0].meters, 3);
  EXPECT_EQ(garden[0].complete, 2) << "the third meter has no figure for the day";
  EXPECT_TRUE(garden[0].interpolated);
  const auto station = ok(storage_->rollups("station", station_, "day"));
  ASSERT_EQ(station.size(), 1u);
  EXPECT_EQ(station[0].energy_kwh, 38.5) << "the station has the first concentrator's meter too";
  EXPECT_EQ(station[0].meters, 4);
  EXPECT_EQ(station[0].suspect, 0);

  // A figure across a register's fall that no replacement explains: kept suspect per meter,
  // and counted in every roll-up it enters.
  master::AggregateRecord suspect{meters[1].id, "day", kDec1, 3.0, std::nullopt, false};
  suspect.suspect = true;
  ok(storage_->store_aggregates(std::vector<master::AggregateRecord>{suspect}));
  EXPECT_TRUE(ok(storage_->aggregates(meters[1].id, "day")).at(0).suspect);
  EXPECT_FALSE(ok(storage_->aggregates(meters[0].id, "day")).at(0).suspect);
  ok(storage_->roll_up(c.id, "day", kDec1));
  EXPECT_EQ(ok(storage_->rollups("community", community, "day")).at(0).suspect, 1);
  EXPECT_EQ(ok(storage_->rollups("station", station_, "day")).at(0).suspect, 1);

  ok(storage_->store_settlements(
      std::vector<master::SettlementRecord>{{meter_, kDec1, 1234.5, 56.25}}));
  const auto settled = ok(storage_->settlements(meter_));
  ASSERT_EQ(settled.size(), 1u);
  EXPECT_EQ(settled[0].energy_kwh, 1234.5);
}

INSTANTIATE_TEST_SUITE_P(Backends, StorageTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& param_info) { return param_info.param; });

TEST(OpenStorage, NamesWhatIsWrongWithTheUrl) {
  auto bad = master::open_storage("mysql://x");
  ASSERT_TRUE(std::holds_alternative<master::StorageError>(bad));
  EXPECT_EQ(std::get<master::StorageError>(bad).message,
            "database 'mysql://x': expected sqlite:PATH or postgresql://USER@HOST/DATABASE");
  auto missing = master::open_storage("sqlite:/nonexistent/dir/x.db");
  ASSERT_TRUE(std::holds_alternative<master::StorageError>(missing));
  EXPECT_NE(std::get<master::StorageError>(missing).message.find("sqlite /nonexistent/dir/x.db"),
            std::string::npos);
  auto unreachable = master::open_storage("postgresql://nobody@/none?host=/nonexistent&port=1");
  ASSERT_TRUE(std::holds_alternative<master::StorageError>(unreachable));
  EXPECT_NE(std::get<master::StorageError>(unreachable).message.find("postgresql: cannot connect"),
            std::string::npos);
}

}  // namespace
