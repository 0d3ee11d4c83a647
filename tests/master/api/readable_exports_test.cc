// Downloads as the operator reads them: the columns named as the page names them (Chinese by
// default, English on request), times in the heat company's time, numbers without binary
// noise, faults by name and concentrators by name; and what is named so imports back.
#include "api_fixture.h"

namespace heatlink::test {

// 故障分析 names the concentrator and the meter's address, and exports what it lists (before:
// concentrator 1, a code, and no export).
TEST_P(ApiTest, FaultsNameTheirConcentratorAndMeterAndExport) {
  const Answer listed = admin("GET", "/api/v1/statistics/faults");
  ASSERT_EQ(listed.status, 200) << listed.raw.body;
  ASSERT_EQ(listed.body["items"].size(), 1u) << listed.raw.body;
  const Json& f = listed.body["items"][0];
  EXPECT_EQ(f["concentrator"], "hm660-north");
  EXPECT_EQ(f["secondary_address"], "00000030000001");
  const Answer csv = admin("GET", "/api/v1/statistics/faults/export");
  ASSERT_EQ(csv.status, 200) << csv.raw.body;
  // kNow - 100 is 2026-11-30 23:58:20 UTC, 07:58:20 on 1 December in the heat company's time.
  EXPECT_NE(csv.raw.body.find(",hm660-north,电池电量低,"), std::string::npos) << csv.raw.body;
  EXPECT_NE(csv.raw.body.find("2026-12-01 07:58:20"), std::string::npos) << csv.raw.body;
  EXPECT_EQ(csv.raw.body.find("low_battery"), std::string::npos) << csv.raw.body;
  const Answer english = admin("GET", "/api/v1/statistics/faults/export?lang=en");
  EXPECT_NE(english.raw.body.find("Low battery"), std::string::npos) << english.raw.body;
}

// The monitoring table's numbers as a person writes them: 15.42, not 15.41999999999999.
TEST_P(ApiTest, ExportedNumbersCarryNoBinaryNoise) {
  master::Reading r;
  r.meter_id = silent_meter_;
  r.read_at = kNow - 30;
  r.received_at = kNow - 20;
  r.energy_kwh = 15.41999999999999;
  r.supply_c = 70.30000000000001;
  ok(storage_->store_readings(std::span(&r, 1)));
  const Answer csv = admin("GET", "/api/v1/monitoring/export?q=10000003");
  ASSERT_EQ(csv.status, 200);
  EXPECT_NE(csv.raw.body.find(",15.42,"), std::string::npos) << csv.raw.body;
  EXPECT_NE(csv.raw.body.find(",70.3,"), std::string::npos) << csv.raw.body;
  EXPECT_EQ(csv.raw.body.find("9999"), std::string::npos) << csv.raw.body;
  EXPECT_EQ(csv.raw.body.find("0000001"), std::string::npos) << csv.raw.body;
  EXPECT_NE(csv.raw.body.find("表号,二次地址"), std::string::npos) << csv.raw.body;
}

// A base-information export in Chinese imports back: its columns are taken by their names.
TEST_P(ApiTest, AnExportWithChineseColumnsImportsBack) {
  const Answer exported = admin("GET", "/api/v1/communities/export");
  ASSERT_NE(exported.raw.body.find("编号,热力站编号,名称"), std::string::npos) << exported.raw.body;
  const Answer imported =
      call("POST", "/api/v1/communities/import", nullptr, admin_, exported.raw.body);
  EXPECT_EQ(imported.status, 200) << imported.raw.body;
  EXPECT_EQ(imported.body["updated"], 1);
}

// 实时监测 says whose meter it is and which fault a 故障 row has (before: neither).
TEST_P(ApiTest, MonitoringNamesTheHouseholdTheCustomerAndTheFault) {
  const Answer household = admin("POST", "/api/v1/households", Json{{"name", "1-2-301"}});
  ASSERT_EQ(household.status, 201) << household.raw.body;
  ASSERT_EQ(admin("POST", "/api/v1/customers",
                  Json{{"household_id", household.body["id"]}, {"name", "张伟"}})
                .status,
            201);
  ASSERT_EQ(admin("PUT", "/api/v1/meters/" + std::to_string(mbus_meter_),
                  Json{{"household_id", household.body["id"]}})
                .status,
            200);
  const Answer all = admin("GET", "/api/v1/monitoring/meters");
  const Json& mbus = all.body["items"][0];
  EXPECT_EQ(mbus["household"], "1-2-301");
  EXPECT_EQ(mbus["customer"], "张伟");
  EXPECT_TRUE(mbus["fault"].is_null());
  EXPECT_EQ(all.body["items"][1]["fault"], "low_battery");
  const Answer csv = admin("GET", "/api/v1/monitoring/export");
  EXPECT_NE(csv.raw.body.find("1-2-301,张伟"), std::string::npos) << csv.raw.body;
  EXPECT_NE(csv.raw.body.find(",故障,电池电量低,"), std::string::npos) << csv.raw.body;
}

// An open monitoring page updates as readings are stored: the meters this master stored since
// are changes at once, not when their cycle ends (before: only finished cycles and jobs).
TEST_P(ApiTest, MetersStoredLatelyAreChangesBeforeTheirCycleEnds) {
  const std::int64_t stored[] = {mbus_meter_};
  counters_.recently_stored.add(now_ - 5, stored);
  const Answer changes =
      admin("GET", "/api/v1/monitoring/changes?since=" + std::to_string(now_ - 10));
  ASSERT_EQ(changes.status, 200) << changes.raw.body;
  ASSERT_EQ(changes.body["items"].size(), 1u) << changes.raw.body;
  EXPECT_EQ(changes.body["items"][0]["meter_id"], mbus_meter_);
  EXPECT_EQ(admin("GET", "/api/v1/monitoring/changes?since=" + std::to_string(now_ - 2))
                .body["items"]
                .size(),
            0u);
  master::api::RecentlyStored small(2);
  const std::int64_t three[] = {1, 2, 3};
  small.add(100, three);
  EXPECT_FALSE(small.since(100).has_value()) << "no longer reaches back to 100";
  small.add(200, std::span(three, 1));
  EXPECT_EQ(small.since(150), (std::vector<std::int64_t>{1}));
}

}  // namespace heatlink::test
