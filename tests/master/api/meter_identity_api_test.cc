// Meter identity through the API: the telegrams another meter sent at a meter's address are
// listed for reconciliation with what filing them takes, and a replacement (换表) filed for the
// meter gives it the new identity and the readings kept aside, and settles the days since so
// that the day across the swap counts both meters' use - never a negative figure.
#include <fstream>
#include <iterator>

#include "api_fixture.h"

namespace heatlink::test {

namespace {

// 2 December 2026, 00:00 +08.
constexpr master::EpochSeconds kMidnight = 1'796'140'800;
constexpr master::EpochSeconds kSwap = kMidnight + 12 * 3600;
const std::string kNewIdentity = "20000417FFFF0104";

master::Reading reading_at(std::int64_t meter, master::EpochSeconds at, double kwh) {
  master::Reading r;
  r.meter_id = meter;
  r.read_at = at;
  r.received_at = at + 5;
  r.energy_kwh = kwh;
  return r;
}

// 2 December of a meter whose register went back to zero at noon: 1100 -> 1130 by 06:00, then
// 5 at 18:00 and 25 at midnight.
std::vector<master::Reading> reset_at_noon(std::int64_t meter) {
  return {reading_at(meter, kMidnight, 1100), reading_at(meter, kMidnight + 6 * 3600, 1130),
          reading_at(meter, kSwap + 6 * 3600, 5), reading_at(meter, kMidnight + 86400, 25)};
}

// The day figure of `meter` from `start`, as settled.
std::optional<master::AggregateRecord> day_of(master::Storage& storage, std::int64_t meter,
                                              master::EpochSeconds start) {
  for (auto& a : ok(storage.aggregates(meter, "day")))
    if (a.period_start == start) return a;
  return std::nullopt;
}

}  // namespace

TEST_P(ApiTest, AnotherMetersReadingsAreFiledAsTheHouseholdsReplacement) {
  const std::vector<master::Reading> old_meter{reading_at(mbus_meter_, kMidnight, 1100),
                                               reading_at(mbus_meter_, kMidnight + 6 * 3600, 1130)};
  ok(storage_->store_readings(old_meter));
  std::vector<master::UnassignedReading> aside;
  for (const auto& [at, kwh] : {std::pair{kSwap + 6 * 3600, 40.0}, {kMidnight + 86400, 60.0}}) {
    master::UnassignedReading u;
    u.concentrator_id = concentrator_;
    u.primary_address = 1;
    u.identity = kNewIdentity;
    u.meter_id = mbus_meter_;
    u.expected_identity = "10000001FFFF0104";
    u.reading = reading_at(0, at, kwh);
    aside.push_back(u);
  }
  EXPECT_EQ(ok(storage_->store_unassigned(aside)), 2u);
  EXPECT_EQ(ok(storage_->store_unassigned(aside)), 0u) << "kept once however often it comes";
  // The same identity heard once before the swap the fitter reports: not the household's.
  master::UnassignedReading early = aside[0];
  early.reading = reading_at(0, kMidnight + 3 * 3600, 7);
  ok(storage_->store_unassigned(std::span(&early, 1)));
  now_ = kMidnight + 86400 + 3600;

  const Answer listed = admin("GET", "/api/v1/reconciliation/unassigned");
  ASSERT_EQ(listed.status, 200) << listed.raw.body;
  ASSERT_EQ(listed.body["items"].size(), 1u) << listed.body;
  const Json& item = listed.body["items"][0];
  EXPECT_EQ(item["meter_id"], mbus_meter_);
  EXPECT_EQ(item["identity"], kNewIdentity);
  EXPECT_EQ(item["expected_identity"], "10000001FFFF0104");
  EXPECT_EQ(item["readings"], 3);
  EXPECT_EQ(item["first_energy_kwh"], 7.0);
  EXPECT_EQ(item["old_last_energy_kwh"], 1100.0) << "the old meter's last register before it";
  EXPECT_EQ(item["actions"], Json::array({"replacement", "new_meter", "dismiss"}));

  const std::string path = "/api/v1/meters/" + std::to_string(mbus_meter_) + "/replacements";
  const Json filed{{"new_identity", kNewIdentity},
                   {"replaced_at", kSwap},
                   {"old_final_kwh", 1160.0},
                   {"new_start_kwh", 0.0}};
  Json wrong = filed;
  wrong["new_identity"] = "2000041";
  Answer refused = admin("POST", path, wrong);
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(refused.body["error"]["field"], "new_identity");
  wrong = filed;
  wrong["old_final_kwh"] = 1120.0;  // below the reading of 06:00 that the old meter sent
  refused = admin("POST", path, wrong);
  EXPECT_EQ(refused.status, 400) << refused.raw.body;
  EXPECT_EQ(refused.body["error"]["field"], "old_final_kwh");
  wrong = filed;
  wrong["new_identity"] = "10000003FFFF0104";  // the silent meter's
  EXPECT_EQ(admin("POST", path, wrong).status, 409);
  wrong = filed;
  wrong["flow"] = 1;
  EXPECT_EQ(admin("POST", path, wrong).body["error"]["field"], "flow");

  const Answer done = admin("POST", path, filed);
  ASSERT_EQ(done.status, 201) << done.raw.body;
  EXPECT_GE(done.body["days_settled_again"], 1);
  EXPECT_EQ(ok(storage_->meter(mbus_meter_))->secondary_address, kNewIdentity);
  EXPECT_EQ(ok(storage_->latest(mbus_meter_))->energy_kwh, 60.0) << "the new meter's readings";
  const Json left = admin("GET", "/api/v1/reconciliation/unassigned").body["items"];
  ASSERT_EQ(left.size(), 1u) << "the reading from before the swap is not filed, so still open";
  EXPECT_EQ(left[0]["readings"], 1);
  EXPECT_EQ(left[0]["last_read_at"], kMidnight + 3 * 3600);
  // 2 December: 1100 -> 1160 on the old meter, 0 -> 60 on the new one.
  const auto day = day_of(*storage_, mbus_meter_, kMidnight);
  ASSERT_TRUE(day) << "the day across the swap is settled again";
  ASSERT_TRUE(day->energy_kwh.has_value());
  EXPECT_DOUBLE_EQ(*day->energy_kwh, 120.0);
  EXPECT_FALSE(day->suspect);
  const Answer history = admin("GET", path);
  ASSERT_EQ(history.body["items"].size(), 1u);
  EXPECT_EQ(history.body["items"][0]["old_identity"], "10000001FFFF0104");
  EXPECT_EQ(history.body["items"][0]["filed_by"], "admin");
  const Answer again = admin("POST", path, filed);
  EXPECT_EQ(again.status, 409) << "a second filing of the same swap";
  EXPECT_EQ(again.body["error"]["field"], "replaced_at");
}

// A register reset to zero with the identity unchanged (a meter reprogrammed with the old
// one's number, a register cleared by a service tool): filed with the meter's own identity,
// the day across it counts both registers' use and is no longer suspect.
TEST_P(ApiTest, ARegisterResetIsFiledWithTheMetersOwnIdentity) {
  ok(storage_->store_readings(reset_at_noon(mbus_meter_)));
  now_ = kMidnight + 86400 + 3600;
  const std::string path = "/api/v1/meters/" + std::to_string(mbus_meter_) + "/replacements";
  const Answer done = admin("POST", path,
                            Json{{"new_identity", "10000001FFFF0104"},
                                 {"replaced_at", kSwap},
                                 {"old_final_kwh", 1160.0},
                                 {"new_start_kwh", 0.0}});
  ASSERT_EQ(done.status, 201) << done.raw.body;
  EXPECT_EQ(ok(storage_->meter(mbus_meter_))->secondary_address, "10000001FFFF0104");
  const auto day = day_of(*storage_, mbus_meter_, kMidnight);
  ASSERT_TRUE(day);
  ASSERT_TRUE(day->energy_kwh.has_value());
  EXPECT_DOUBLE_EQ(*day->energy_kwh, 85.0) << "1100 -> 1160, then 0 -> 25";
  EXPECT_FALSE(day->suspect);
}

TEST_P(ApiTest, AStrayIdentityIsDismissedOrMadeANewMeter) {
  master::UnassignedReading u;
  u.concentrator_id = concentrator_;
  u.meter_id = mbus_meter_;
  u.identity = "30000001FFFF0104";
  u.expected_identity = "10000001FFFF0104";
  u.reading = reading_at(0, kNow - 30, 77);
  master::UnassignedReading other = u;
  other.identity = "30000002FFFF0104";
  ok(storage_->store_unassigned(std::vector{u, other}));

  Answer a = admin("POST", "/api/v1/reconciliation/unassigned/dismiss",
                   Json{{"meter_id", mbus_meter_}, {"identity", u.identity}});
  ASSERT_EQ(a.status, 200) << a.raw.body;
  EXPECT_EQ(a.body["dismissed"], 1);
  EXPECT_EQ(admin("POST", "/api/v1/reconciliation/unassigned/dismiss",
                  Json{{"meter_id", mbus_meter_}, {"identity", u.identity}})
                .status,
            404);
  a = admin("POST", "/api/v1/reconciliation/unassigned/new-meter",
            Json{{"meter_id", mbus_meter_}, {"identity", other.identity}});
  ASSERT_EQ(a.status, 201) << a.raw.body;
  const std::int64_t made = a.body["meter_id"];
  EXPECT_EQ(ok(storage_->meter(made))->secondary_address, other.identity);
  EXPECT_EQ(ok(storage_->meter(made))->primary_address, 0) << "read by its identity";
  EXPECT_EQ(ok(storage_->latest(made))->energy_kwh, 77.0);
  EXPECT_EQ(ok(storage_->latest(mbus_meter_))->energy_kwh, 1012.5) << "the old meter untouched";
  const Answer dismissed = admin("GET", "/api/v1/reconciliation/unassigned?status=dismissed");
  ASSERT_EQ(dismissed.body["items"].size(), 1u);
  EXPECT_EQ(dismissed.body["items"][0]["actions"], Json::array());
}

// A field team's sheet of replacements (CSV or XLSX): a file with a bad row files nothing and
// names row and field; a good one files every row, by meter id or by the identity on file, its
// moment in local time or as the spreadsheet's date, and settles the days since again.
TEST_P(ApiTest, ReplacementsImportFromASheetAllOrNothing) {
  ok(storage_->store_readings(reset_at_noon(mbus_meter_)));
  now_ = kMidnight + 86400 + 3600;
  const std::string bad =
      "meter_identity,new_identity,replaced_at,old_final_kwh,new_start_kwh\n"
      "10000001ffff0104,10000001FFFF0104,2026-12-02 12:00,1160,0\n"
      "99999999FFFF0104,20000417FFFF0104,2026-12-02 12:00,10,0\n"
      "10000003FFFF0104,20000418FFFF0104,yesterday,10,0\n";
  const Answer refused = call("POST", "/api/v1/replacements/import", nullptr, admin_, bad);
  EXPECT_EQ(refused.status, 400) << refused.raw.body;
  ASSERT_EQ(refused.body["rows"].size(), 2u) << refused.raw.body;
  EXPECT_EQ(refused.body["rows"][0]["row"], 3);
  EXPECT_EQ(refused.body["rows"][0]["field"], "meter_identity");
  EXPECT_EQ(refused.body["rows"][1]["row"], 4);
  EXPECT_EQ(refused.body["rows"][1]["field"], "replaced_at");
  EXPECT_TRUE(ok(storage_->replacements_on(concentrator_)).empty()) << "nothing was filed";
  const Answer column = call("POST", "/api/v1/replacements/import", nullptr, admin_,
                             "meter_id,new_identity,flow\n1,10000001FFFF0104,3\n");
  EXPECT_EQ(column.body["error"]["field"], "flow") << column.raw.body;

  // The good sheet as Excel writes it: the moment a date cell (a serial day number).
  const std::string path = ::testing::TempDir() + "replacements-" + GetParam() + ".xlsx";
  python(
      "import openpyxl,sys,datetime; wb=openpyxl.Workbook(); ws=wb.active; "
      "ws.append(['meter_id','new_identity','replaced_at','old_final_kwh','new_start_kwh']); "
      "ws.append([" +
          std::to_string(mbus_meter_) +
          ",'10000001FFFF0104',datetime.datetime(2026,12,2,12,0),1160,0]); "
          "wb.save(sys.argv[1])",
      path);
  std::ifstream in(path, std::ios::binary);
  const std::string workbook((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  const Answer filed = call("POST", "/api/v1/replacements/import", nullptr, admin_, workbook);
  ASSERT_EQ(filed.status, 200) << filed.raw.body;
  EXPECT_EQ(filed.body["filed"], 1);
  EXPECT_GE(filed.body["days_settled_again"], 1);
  const auto swaps = ok(storage_->replacements_on(concentrator_));
  ASSERT_EQ(swaps.size(), 1u);
  EXPECT_EQ(swaps[0].replaced_at, kSwap) << "12:00 in the heat company's time";
  const auto day = day_of(*storage_, mbus_meter_, kMidnight);
  ASSERT_TRUE(day);
  EXPECT_DOUBLE_EQ(day->energy_kwh.value_or(-1), 85.0);
  EXPECT_FALSE(day->suspect);
}

}  // namespace heatlink::test
