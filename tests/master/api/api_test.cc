// The management API's functions on both storage backends, without sockets: input errors
// naming the field, monitoring pages and filters, base information, imports that roll back,
// exports, read jobs, reconciliation, fault rules, users and roles, statistics, metrics and the
// OpenAPI document. Who may call what: api_access_test.cc.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "api_fixture.h"

namespace heatlink::test {
namespace {

TEST_P(ApiTest, InvalidInputIsRefusedNamingTheField) {
  struct Case {
    const char* method;
    const char* target;
    Json body;
    const char* field;
  };
  const std::vector<Case> cases = {
      {"POST", "/api/v1/stations", Json::object(), "name"},
      {"POST", "/api/v1/stations", Json{{"name", 7}}, "name"},
      {"POST", "/api/v1/stations", Json{{"name", "x"}, {"colour", "red"}}, "colour"},
      {"POST", "/api/v1/meters",
       Json{{"concentrator_id", concentrator_},
            {"channel", "one"},
            {"vendor", "KAM"},
            {"secondary_address", "1"}},
       "channel"},
      {"POST", "/api/v1/meters",
       Json{{"concentrator_id", 4242},
            {"channel", 1},
            {"vendor", "KAM"},
            {"secondary_address", "1"}},
       "concentrator_id"},
      {"POST", "/api/v1/meters",
       Json{{"concentrator_id", concentrator_},
            {"channel", 1},
            {"vendor", "KAM"},
            {"secondary_address", "1"},
            {"kind", "garage"}},
       "kind"},
      {"GET", "/api/v1/monitoring/meters?page_size=x", nullptr, "page_size"},
      {"GET", "/api/v1/monitoring/meters?page_size=100000", nullptr, "page_size"},
      {"GET", "/api/v1/monitoring/meters?status=sleeping", nullptr, "status"},
      {"GET", "/api/v1/statistics/faults?from=10&to=5", nullptr, "from"},
      {"POST", "/api/v1/fault-rules",
       Json{{"name", "hot"}, {"field", "colour"}, {"op", ">"}, {"threshold", 1}}, "field"},
      {"POST", "/api/v1/users", Json{{"name", "short"}, {"password", "123"}}, "password"},
      {"POST", "/api/v1/roles", Json{{"name", "r"}, {"permissions", {"fly"}}}, "permissions"},
      {"PUT", "/api/v1/system/parameters", Json{{"energy_unit", "BTU"}}, "energy_unit"},
      {"POST", "/api/v1/read-jobs", Json{{"kind", "meter"}, {"meter_id", 999}}, "meter_id"},
      {"POST", "/api/v1/read-jobs", Json{{"kind", "building"}}, "kind"},
  };
  for (const Case& c : cases) {
    const Answer a = admin(c.method, c.target, c.body);
    EXPECT_EQ(a.status, 400) << c.target << " " << c.body;
    EXPECT_EQ(a.body["error"].value("field", ""), c.field) << c.target << ": " << a.raw.body;
    EXPECT_FALSE(a.body["error"].value("message", "").empty());
  }
  const Answer not_json = call("POST", "/api/v1/stations", nullptr, admin_, "{not json");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(admin("GET", "/api/v1/stations/abc").status, 404);
  EXPECT_EQ(admin("GET", "/api/v1/nothing-here").status, 404);
  EXPECT_EQ(admin("PATCH", "/api/v1/stations").status, 405);
}

// Text with a control character is refused, on both backends and from every door: SQLite
// stored the user name "admin\0evil" and read back "admin", so the audit log named another
// actor; an imported cell that is not UTF-8 could not be served as JSON.
TEST_P(ApiTest, TextWithAControlCharacterOrNotUtf8IsRefusedNamingTheField) {
  const std::string nul("admin\0evil", 10);
  Answer a = admin("POST", "/api/v1/users", Json{{"name", nul}, {"password", "a long password"}});
  EXPECT_EQ(a.status, 400) << a.raw.body;
  EXPECT_EQ(a.body["error"].value("field", ""), "name");
  EXPECT_NE(a.body["error"].value("message", "").find("U+0000"), std::string::npos) << a.raw.body;
  a = admin("POST", "/api/v1/stations", Json{{"name", "North\x07station"}});
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.body["error"].value("field", ""), "name");
  EXPECT_EQ(admin("GET", "/api/v1/stations?q=North").body["total"], 1) << "only the one before";
  const Answer imported =
      call("POST", "/api/v1/stations/import", nullptr, admin_, "name\nW\xE4rme station\n");
  EXPECT_EQ(imported.status, 400) << imported.raw.body;
  EXPECT_EQ(admin("GET", "/api/v1/stations?q=station").body["total"], 1) << "nothing imported";
  EXPECT_EQ(admin("POST", "/api/v1/stations", Json{{"name", "East\tstation"}}).status, 201)
      << "a tab is text";
}

TEST_P(ApiTest, MonitoringShowsLatestValuesWithFiltersPagesAndSummary) {
  const Answer all = admin("GET", "/api/v1/monitoring/meters");
  ASSERT_EQ(all.status, 200) << all.raw.body;
  EXPECT_EQ(all.body["total"], 3);
  const Json& first = all.body["items"][0];
  EXPECT_EQ(first["meter_id"], mbus_meter_);
  EXPECT_DOUBLE_EQ(first["energy_kwh"].get<double>(), 1012.5) << "the latest reading";
  EXPECT_EQ(first["read_status"], "ok");
  EXPECT_EQ(first["heating"], "heating");
  EXPECT_EQ(first["station"]["name"], "North station");
  EXPECT_EQ(first["community"]["name"], "Garden community");
  EXPECT_EQ(first["building"]["name"], "B1");
  const Json& cjt = all.body["items"][1];
  EXPECT_EQ(cjt["valve"], "closed");
  EXPECT_EQ(cjt["read_status"], "fault");
  EXPECT_EQ(all.body["items"][2]["read_status"], "no_data");

  const Answer page2 = admin("GET", "/api/v1/monitoring/meters?page=2&page_size=2");
  EXPECT_EQ(page2.body["total"], 3);
  ASSERT_EQ(page2.body["items"].size(), 1u);
  EXPECT_EQ(page2.body["items"][0]["meter_id"], silent_meter_);

  auto ids = [this](const std::string& query) {
    std::vector<std::int64_t> out;
    const Answer answer = admin("GET", "/api/v1/monitoring/meters?" + query);
    for (const auto& m : answer.body["items"]) out.push_back(m["meter_id"]);
    return out;
  };
  EXPECT_EQ(ids("status=ok"), std::vector<std::int64_t>{mbus_meter_});
  EXPECT_EQ(ids("status=fault"), std::vector<std::int64_t>{cjt188_meter_});
  EXPECT_EQ(ids("status=no_data"), std::vector<std::int64_t>{silent_meter_});
  EXPECT_EQ(ids("protocol=cjt188"), std::vector<std::int64_t>{cjt188_meter_});
  EXPECT_EQ(ids("building_id=" + std::to_string(building_)),
            (std::vector<std::int64_t>{mbus_meter_, cjt188_meter_}));
  EXPECT_EQ(ids("community_id=" + std::to_string(community_)).size(), 3u);
  EXPECT_EQ(ids("station_id=" + std::to_string(station_ + 1000)).size(), 0u);
  EXPECT_EQ(ids("q=10000003"), std::vector<std::int64_t>{silent_meter_});

  const Answer summary = admin("GET", "/api/v1/monitoring/summary");
  EXPECT_EQ(summary.body["meters"], 3);
  EXPECT_EQ(summary.body["ok"], 1);
  EXPECT_EQ(summary.body["fault"], 1);
  EXPECT_EQ(summary.body["no_data"], 1);
  EXPECT_DOUBLE_EQ(summary.body["energy_kwh"].get<double>(), 1512.5);
}

TEST_P(ApiTest, BaseInformationRoundTripsAndRefusesDeletingWhatIsStillUsed) {
  const Answer c = admin("POST", "/api/v1/communities",
                         Json{{"station_id", station_}, {"name", "River community"}});
  ASSERT_EQ(c.status, 201);
  const std::int64_t id = c.body["id"];
  const Answer renamed =
      admin("PUT", "/api/v1/communities/" + std::to_string(id), Json{{"name", "River East"}});
  EXPECT_EQ(renamed.body["name"], "River East");
  EXPECT_EQ(renamed.body["station_id"], station_);
  EXPECT_EQ(
      admin("GET", "/api/v1/communities?station_id=" + std::to_string(station_)).body["total"], 2);
  // A station with communities is still used; a community nobody uses goes.
  const Answer refused = admin("DELETE", "/api/v1/stations/" + std::to_string(station_));
  EXPECT_EQ(refused.status, 409) << refused.raw.body;
  EXPECT_EQ(admin("DELETE", "/api/v1/communities/" + std::to_string(id)).status, 200);
  EXPECT_EQ(admin("GET", "/api/v1/communities/" + std::to_string(id)).status, 404);
  // A duplicate name is a conflict, not an error.
  EXPECT_EQ(admin("POST", "/api/v1/stations", Json{{"name", "North station"}}).status, 409);
}

TEST_P(ApiTest, AnImportWithABadRowImportsNothingAndNamesTheRow) {
  const std::string cc = std::to_string(concentrator_);
  const std::string bad = "concentrator_id,channel,vendor,secondary_address\n" + cc +
                          ",1,KAM,20000001FFFF0104\n" + cc + ",two,KAM,20000002FFFF0104\n" +
                          "4242,1,KAM,20000003FFFF0104\n";
  const Answer refused = call("POST", "/api/v1/meters/import", nullptr, admin_, bad);
  EXPECT_EQ(refused.status, 400) << refused.raw.body;
  ASSERT_EQ(refused.body["rows"].size(), 2u);
  EXPECT_EQ(refused.body["rows"][0]["row"], 3);
  EXPECT_EQ(refused.body["rows"][0]["field"], "channel");
  EXPECT_EQ(refused.body["rows"][1]["row"], 4);
  EXPECT_EQ(refused.body["rows"][1]["field"], "concentrator_id");
  EXPECT_EQ(ok(storage_->count_meters()), 3) << "nothing half-imported";

  // A row the database refuses (a duplicate station name) rolls the whole file back.
  const Answer duplicate = call("POST", "/api/v1/stations/import", nullptr, admin_,
                                "name\nSouth station\nNorth station\n");
  EXPECT_EQ(duplicate.status, 400);
  EXPECT_EQ(duplicate.body["rows"][0]["row"], 3);
  EXPECT_EQ(admin("GET", "/api/v1/stations?q=South").body["total"], 0);

  // An id names the record a row changes: one that is not there is an error, not a new record.
  const Answer unknown_id = call("POST", "/api/v1/meters/import", nullptr, admin_,
                                 "id,concentrator_id,channel,vendor,secondary_address\n77," + cc +
                                     ",1,KAM,20000001FFFF0104\n");
  EXPECT_EQ(unknown_id.status, 400);
  EXPECT_EQ(unknown_id.body["rows"][0]["field"], "id") << unknown_id.raw.body;
  const std::string good =
      "\xEF\xBB\xBFid,concentrator_id,channel,vendor,secondary_address,kind\n"
      "," +
      cc +
      ",1,KAM,20000001FFFF0104,household\n"
      "," +
      cc + ",2,\"HYD, Diehl\",20000002FFFF0104,building\n";
  const Answer imported = call("POST", "/api/v1/meters/import", nullptr, admin_, good);
  EXPECT_EQ(imported.status, 200) << imported.raw.body;
  EXPECT_EQ(imported.body["imported"], 2);
  EXPECT_EQ(ok(storage_->count_meters()), 5);
  EXPECT_EQ(admin("GET", "/api/v1/meters?q=20000002").body["items"][0]["vendor"], "HYD, Diehl");

  const Answer broken = call("POST", "/api/v1/stations/import", nullptr, admin_, "name\n\"open");
  EXPECT_EQ(broken.status, 400);
  EXPECT_NE(broken.body["error"]["message"].get<std::string>().find("line 2"), std::string::npos)
      << broken.raw.body;
}

TEST_P(ApiTest, AnXlsxWorkbookImportsLikeACsvFile) {
  // A workbook as Excel users make them (openpyxl): shared strings, numbers, a bad row.
  const std::string path = ::testing::TempDir() + "meters-" + GetParam() + ".xlsx";
  python(
      "import openpyxl,sys; wb=openpyxl.Workbook(); ws=wb.active; "
      "ws.append(['concentrator_id','channel','vendor','secondary_address']); "
      "ws.append([" +
          std::to_string(concentrator_) +
          ",1,'KAM','30000001FFFF0104']); "
          "ws.append([" +
          std::to_string(concentrator_) +
          ",'two','KAM','30000002FFFF0104']); "
          "wb.save(sys.argv[1])",
      path);
  std::ifstream in(path, std::ios::binary);
  const std::string workbook((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  ASSERT_TRUE(workbook.starts_with("PK"));
  const Answer refused = call("POST", "/api/v1/meters/import", nullptr, admin_, workbook);
  EXPECT_EQ(refused.status, 400) << refused.raw.body;
  ASSERT_EQ(refused.body["rows"].size(), 1u) << refused.raw.body;
  EXPECT_EQ(refused.body["rows"][0]["row"], 3);
  EXPECT_EQ(refused.body["rows"][0]["field"], "channel");
  EXPECT_EQ(ok(storage_->count_meters()), 3);

  // Our own export imports back: the buildings, changed in place (their ids), not doubled.
  const Answer exported = admin("GET", "/api/v1/buildings/export?format=xlsx");
  const Answer imported =
      call("POST", "/api/v1/buildings/import", nullptr, admin_, exported.raw.body);
  EXPECT_EQ(imported.status, 200) << imported.raw.body;
  EXPECT_EQ(imported.body["imported"], 1);
  EXPECT_EQ(imported.body["updated"], 1);
  EXPECT_EQ(admin("GET", "/api/v1/buildings?q=B1").body["total"], 1);

  const Answer broken = call("POST", "/api/v1/stations/import", nullptr, admin_,
                             std::string("PK\x03\x04"
                                         "broken"));
  EXPECT_EQ(broken.status, 400);
  EXPECT_NE(broken.raw.body.find("zip"), std::string::npos) << broken.raw.body;
}

TEST_P(ApiTest, ExportedCellsThatASpreadsheetWouldRunAreNeutralised) {
  for (const char* name : {"=HYPERLINK(\"http://x\")", "+1+1", "-2", "@SUM(A1)"})
    ASSERT_EQ(admin("POST", "/api/v1/stations", Json{{"name", name}}).status, 201);
  const Answer csv = admin("GET", "/api/v1/stations/export?format=csv");
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.raw.content_type, "text/csv; charset=utf-8");
  const std::string& text = csv.raw.body;
  EXPECT_NE(text.find("\"'=HYPERLINK(\"\"http://x\"\")\""), std::string::npos) << text;
  EXPECT_NE(text.find(",'+1+1"), std::string::npos) << text;
  EXPECT_NE(text.find(",'-2"), std::string::npos);
  EXPECT_NE(text.find(",'@SUM(A1)"), std::string::npos);
  // Re-imported, the apostrophes come off again.
  ASSERT_EQ(
      admin("DELETE", "/api/v1/stations/" + std::to_string(admin("GET", "/api/v1/stations?q=SUM")
                                                               .body["items"][0]["id"]
                                                               .get<std::int64_t>()))
          .status,
      200);
  const Answer again =
      call("POST", "/api/v1/stations/import", nullptr, admin_, "name\n'@SUM(A1)\n");
  EXPECT_EQ(again.status, 200) << again.raw.body;
  EXPECT_EQ(admin("GET", "/api/v1/stations?q=SUM").body["items"][0]["name"], "@SUM(A1)");

  // The XLSX opens in a real reader (openpyxl) with text cells as text.
  const Answer xlsx = admin("GET", "/api/v1/stations/export?format=xlsx");
  ASSERT_EQ(xlsx.status, 200);
  const std::string path = ::testing::TempDir() + "stations-" + GetParam() + ".xlsx";
  std::ofstream(path, std::ios::binary) << xlsx.raw.body;
  const std::string script =
      "import openpyxl,sys; ws=openpyxl.load_workbook(sys.argv[1]).active; "
      "print('|'.join(str(c.value) for c in ws['B']))";
  const std::string column = python(script, path);
  EXPECT_NE(column.find("名称|North station"), std::string::npos) << column;
  EXPECT_NE(column.find("'=HYPERLINK"), std::string::npos) << column;
}

TEST_P(ApiTest, ManualReadsAndValveCommandsBecomeReadJobs) {
  const Answer job =
      admin("POST", "/api/v1/read-jobs", Json{{"kind", "meter"}, {"meter_id", mbus_meter_}});
  ASSERT_EQ(job.status, 202) << job.raw.body;
  EXPECT_EQ(job.body["status"], "queued");
  const auto queued = ok(storage_->queued_read_jobs());
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].target, std::to_string(mbus_meter_));
  const Answer community =
      admin("POST", "/api/v1/read-jobs", Json{{"kind", "community"}, {"name", "Garden community"}});
  ASSERT_EQ(community.status, 202);
  const Answer progress =
      admin("GET", "/api/v1/read-jobs/" + std::to_string(community.body["id"].get<std::int64_t>()));
  EXPECT_EQ(progress.body["progress"]["meters"], 3);

  EXPECT_EQ(admin("POST", "/api/v1/meters/" + std::to_string(mbus_meter_) + "/valve",
                  Json{{"action", "close"}})
                .status,
            409)
      << "an M-Bus heat meter has no valve to drive";
  const Answer valve = admin("POST", "/api/v1/meters/" + std::to_string(cjt188_meter_) + "/valve",
                             Json{{"action", "open"}});
  ASSERT_EQ(valve.status, 202);
  EXPECT_EQ(valve.body["kind"], "valve_open");
  const Answer audit = admin("GET", "/api/v1/system/audit");
  EXPECT_EQ(audit.body["items"][0]["action"],
            "POST /api/v1/meters/" + std::to_string(cjt188_meter_) + "/valve");
  EXPECT_EQ(audit.body["items"][0]["detail"]["action"], "open");
}

TEST_P(ApiTest, ReconciliationFindsGapsAndFlagsManualEntries) {
  // Two hourly slots: [now - 4000, now - 400) and [now - 400, now).
  const std::string gaps =
      "/api/v1/reconciliation/gaps?every_s=3600&from=" + std::to_string(kNow - 4000) +
      "&to=" + std::to_string(kNow);
  const Answer a = admin("GET", gaps);
  ASSERT_EQ(a.status, 200) << a.raw.body;
  EXPECT_EQ(a.body["slots"], 2);
  // M-Bus meter: a reading in each hour; CJ/T 188: one of two; the silent meter: none.
  ASSERT_EQ(a.body["items"].size(), 2u) << a.body;
  EXPECT_EQ(a.body["items"][0]["meter_id"], cjt188_meter_);
  EXPECT_EQ(a.body["items"][0]["slots_missing"], 1);
  EXPECT_EQ(a.body["items"][1]["slots_missing"], 2);

  const Answer entry =
      admin("POST", "/api/v1/readings/manual",
            Json{{"meter_id", silent_meter_}, {"read_at", kNow - 1800}, {"energy_kwh", 42.0}});
  EXPECT_EQ(entry.status, 201) << entry.raw.body;
  const auto latest = ok(storage_->latest(silent_meter_));
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->status_bits & 0x8000'0000u, 0x8000'0000u);
  EXPECT_EQ(admin("POST", "/api/v1/readings/manual",
                  Json{{"meter_id", silent_meter_}, {"read_at", kNow - 1800}, {"energy_kwh", 43.0}})
                .status,
            409);
  const Answer reread = admin("POST", "/api/v1/reconciliation/reread",
                              Json{{"meter_ids", {cjt188_meter_, silent_meter_}}});
  EXPECT_EQ(reread.status, 202);
  EXPECT_EQ(reread.body["jobs"].size(), 2u);
}

// The archive a master read (as the dispatcher writes it in the job) against the base
// information: matched by address, or by channel and primary address.
TEST_P(ApiTest, AConcentratorsArchiveIsComparedWithTheBaseInformation) {
  const Answer job =
      admin("POST", "/api/v1/reconciliation/archive", Json{{"concentrator_id", concentrator_}});
  ASSERT_EQ(job.status, 202) << job.raw.body;
  EXPECT_EQ(job.body["kind"], "archive");
  EXPECT_EQ(job.body["target"], "hm660-north");
  const std::int64_t id = job.body["id"];
  const std::string path = "/api/v1/reconciliation/archive/" + std::to_string(id);
  EXPECT_FALSE(admin("GET", path).body.contains("comparison")) << "not read yet";

  const Json archive = Json::array(
      {Json{{"channel", 0},
            {"protocol", "mbus_secondary"},
            {"primary", 0},
            {"address", "10000001ffff0104"}},  // the M-Bus meter, found by its address
       Json{{"channel", 3},
            {"protocol", "cjt188"},
            {"primary", 0},
            {"address", "00000030000001"}},  // the CJ/T 188 meter, archived on channel 3
       Json{{"channel", 0}, {"protocol", "mbus_primary"}, {"primary", 9}, {"address", ""}}});
  ok(storage_->claim_read_job(id, "master-a", kNow));
  ok(storage_->finish_read_job(id, "done", Json{{"archive", archive}}.dump(), kNow + 5));
  const Answer result = admin("GET", path);
  ASSERT_EQ(result.status, 200) << result.raw.body;
  const Json& c = result.body["comparison"];
  EXPECT_EQ(c["archived"], 3);
  EXPECT_EQ(c["meters"], 3);
  EXPECT_EQ(c["matched"], 2);
  ASSERT_EQ(c["missing_from_archive"].size(), 1u);
  EXPECT_EQ(c["missing_from_archive"][0]["meter_id"], silent_meter_);
  ASSERT_EQ(c["unknown_to_base_information"].size(), 1u);
  EXPECT_EQ(c["unknown_to_base_information"][0]["primary"], 9);
  ASSERT_EQ(c["channel_differs"].size(), 1u);
  EXPECT_EQ(c["channel_differs"][0]["meter_id"], cjt188_meter_);
  EXPECT_EQ(c["channel_differs"][0]["archived_channel"], 3);
  EXPECT_EQ(admin("GET", "/api/v1/reconciliation/archive/" + std::to_string(id + 100)).status, 404);
  EXPECT_EQ(admin("POST", "/api/v1/reconciliation/archive", Json{{"concentrator_id", 4242}})
                .body["error"]["field"],
            "concentrator_id");
}

// A commissioning scan of a concentrator's bus through the API: its progress while it runs,
// then what it found against the base information's M-Bus meters.
TEST_P(ApiTest, AScanShowsItsProgressAndThenWhatItFound) {
  const Answer job =
      admin("POST", "/api/v1/reconciliation/scan", Json{{"concentrator_id", concentrator_}});
  ASSERT_EQ(job.status, 202) << job.raw.body;
  EXPECT_EQ(job.body["kind"], "scan");
  const std::int64_t id = job.body["id"];
  const std::string path = "/api/v1/reconciliation/scan/" + std::to_string(id);
  ok(storage_->claim_read_job(id, "master-a", kNow));
  const Json progress{{"scan", {{"probes", 40}, {"found", 1}, {"slices", 1}, {"done", false}}},
                      {"found", Json::array({"10000001FFFF0104"})}};
  EXPECT_TRUE(ok(storage_->report_read_job(id, progress.dump())));
  const Answer running = admin("GET", path);
  EXPECT_EQ(running.body["status"], "running");
  EXPECT_EQ(running.body["detail"]["scan"]["probes"], 40);
  EXPECT_FALSE(running.body.contains("comparison")) << "not done yet";

  const Json found = Json::array({"10000001ffff0104", "99999999FFFF0104"});
  ok(storage_->finish_read_job(id, "done", Json{{"found", found}}.dump(), kNow + 600));
  EXPECT_FALSE(ok(storage_->report_read_job(id, progress.dump())))
      << "a finished job keeps its result";
  const Json c = admin("GET", path).body["comparison"];
  EXPECT_EQ(c["meters"], 2) << "the M-Bus meters with a secondary address";
  EXPECT_EQ(c["matched"], 1);
  ASSERT_EQ(c["not_found"].size(), 1u);
  EXPECT_EQ(c["not_found"][0]["meter_id"], silent_meter_);
  EXPECT_EQ(c["unknown_to_base_information"], Json::array({"99999999FFFF0104"}));
  EXPECT_EQ(admin("GET", "/api/v1/reconciliation/archive/" + std::to_string(id)).status, 404)
      << "a scan is no archive read";
}

// Commissioning the HM-660's archive from the base information through the API: the job, its
// progress while it runs, and the archive read back against the base information once done.
TEST_P(ApiTest, AnArchiveWriteShowsItsProgressAndThenTheArchiveItLeft) {
  const Answer job = admin("POST", "/api/v1/reconciliation/archive/write",
                           Json{{"concentrator_id", concentrator_}});
  ASSERT_EQ(job.status, 202) << job.raw.body;
  EXPECT_EQ(job.body["kind"], "archive_write");
  const std::int64_t id = job.body["id"];
  const std::string path = "/api/v1/reconciliation/archive/write/" + std::to_string(id);
  ok(storage_->claim_read_job(id, "master-a", kNow));
  const Json progress{
      {"archive_write", {{"entries", 3}, {"written", 2}, {"slices", 1}, {"done", false}}}};
  EXPECT_TRUE(ok(storage_->report_read_job(id, progress.dump())));
  const Answer running = admin("GET", path);
  ASSERT_EQ(running.status, 200) << running.raw.body;
  EXPECT_EQ(running.body["detail"]["archive_write"]["written"], 2);
  EXPECT_FALSE(running.body.contains("comparison")) << "not done yet";

  const Json archive = Json::array({Json{{"channel", 0},
                                         {"protocol", "mbus_secondary"},
                                         {"primary", 0},
                                         {"address", "10000001ffff0104"}}});
  ok(storage_->finish_read_job(id, "done", Json{{"archive", archive}}.dump(), kNow + 60));
  const Json c = admin("GET", path).body["comparison"];
  EXPECT_EQ(c["archived"], 1);
  EXPECT_EQ(c["matched"], 1);
  EXPECT_EQ(c["missing_from_archive"].size(), 2u);
  EXPECT_EQ(admin("GET", "/api/v1/reconciliation/archive/" + std::to_string(id)).status, 404)
      << "a write is no archive read";
  EXPECT_EQ(admin("POST", "/api/v1/reconciliation/archive/write", Json{{"concentrator_id", 4242}})
                .body["error"]["field"],
            "concentrator_id");
}

TEST_P(ApiTest, FaultRulesUsersAndRolesAreManagedAndAudited) {
  const Answer rule = admin("POST", "/api/v1/fault-rules",
                            Json{{"name", "cold-return"},
                                 {"field", "return_c"},
                                 {"op", "<"},
                                 {"threshold", 25},
                                 {"persistence_s", 3600},
                                 {"severity", 3}});
  ASSERT_EQ(rule.status, 201) << rule.raw.body;
  const std::string path = "/api/v1/fault-rules/" + std::to_string(rule.body["id"].get<int>());
  EXPECT_EQ(admin("PUT", path, Json{{"enabled", false}}).body["enabled"], false);
  EXPECT_EQ(ok(storage_->fault_rules()).at(0).enabled, false);
  EXPECT_EQ(
      admin("POST", "/api/v1/fault-rules",
            Json{{"name", "cold-return"}, {"field", "return_c"}, {"op", "<"}, {"threshold", 20}})
          .status,
      409);

  const Credentials viewer = user_with("viewer", {"monitor.view"});
  EXPECT_EQ(call("GET", "/api/v1/monitoring/summary", nullptr, viewer).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/stations", nullptr, viewer).status, 403);
  // The administrator grants base.view to the viewer's role: it takes effect at once.
  const Answer roles = admin("GET", "/api/v1/roles");
  std::int64_t role = 0;
  for (const auto& r : roles.body["items"])
    if (r["name"] == "role-viewer") role = r["id"];
  ASSERT_EQ(admin("PUT", "/api/v1/roles/" + std::to_string(role),
                  Json{{"permissions", {"monitor.view", "base.view"}}})
                .status,
            200);
  EXPECT_EQ(call("GET", "/api/v1/stations", nullptr, viewer).status, 200);
  // Disabled, the viewer's token stops working.
  const Answer users = admin("GET", "/api/v1/users");
  std::int64_t viewer_id = 0;
  for (const auto& u : users.body["items"])
    if (u["name"] == "viewer") viewer_id = u["id"];
  ASSERT_EQ(
      admin("PUT", "/api/v1/users/" + std::to_string(viewer_id), Json{{"enabled", false}}).status,
      200);
  EXPECT_EQ(call("GET", "/api/v1/monitoring/summary", nullptr, viewer).status, 401);

  std::set<std::string> actions;
  const Answer audit = admin("GET", "/api/v1/system/audit?page_size=500");
  for (const auto& e : audit.body["items"]) actions.insert(e["action"].get<std::string>());
  for (const char* action : {"POST /api/v1/fault-rules", "PUT /api/v1/roles/{id}", "login"}) {
    std::string expected = action;
    if (const auto at = expected.find("{id}"); at != std::string::npos)
      expected.replace(at, 4, std::to_string(role));
    EXPECT_TRUE(actions.contains(expected)) << expected;
  }
  EXPECT_TRUE(actions.contains("PUT " + path));
}

// The OpenAPI document lists exactly the routes served, each with the permission it checks.
TEST_P(ApiTest, TheOpenApiDocumentMatchesTheRouteTable) {
  const Answer doc = call("GET", "/api/openapi.json");
  ASSERT_EQ(doc.status, 200);
  EXPECT_EQ(doc.body["openapi"], "3.0.3");
  std::map<std::string, std::string> documented;
  for (const auto& [path, operations] : doc.body["paths"].items()) {
    for (const auto& [method, op] : operations.items()) {
      std::string upper = method;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      documented[upper + " " + path] = op.value("x-permission", "?");
    }
  }
  std::map<std::string, std::string> served;
  for (const auto& [route, permission] : api_->routes()) served[route] = permission;
  for (const auto& [route, permission] : served) {
    ASSERT_TRUE(documented.contains(route)) << "undocumented: " << route;
    EXPECT_EQ(documented[route], permission) << route;
  }
  for (const auto& [route, permission] : documented)
    EXPECT_TRUE(served.contains(route)) << "documented but not served: " << route;
}

TEST_P(ApiTest, MetricsSpeakPrometheusText) {
  ASSERT_EQ(
      admin("POST", "/api/v1/read-jobs", Json{{"kind", "meter"}, {"meter_id", mbus_meter_}}).status,
      202);
  const Answer m = call("GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(
      m.raw.body.find("# TYPE heatlink_read_jobs_queued gauge\nheatlink_read_jobs_queued 1\n"),
      std::string::npos)
      << m.raw.body;
  EXPECT_NE(m.raw.body.find("heatlink_storage_query_seconds "), std::string::npos);
  // Cycles that overran their slots: how many, and by how long in all.
  counters_.cycle_overruns = 2;
  counters_.cycle_overrun_seconds = 1500;
  const Answer overruns = call("GET", "/metrics");
  EXPECT_NE(overruns.raw.body.find("\nheatlink_cycle_overruns_total 2\n"), std::string::npos);
  EXPECT_NE(overruns.raw.body.find("\nheatlink_cycle_overrun_seconds_total 1500\n"),
            std::string::npos);
}

// The database fails (a table gone stands in for PostgreSQL stopped or a full disk): /metrics
// still answers, with heatlink_storage_up 0 and the counters (before, a 500 lost every series
// exactly when it was needed); an answer that fails names no table, statement or file.
TEST_P(ApiTest, MetricsAnswerWhenTheDatabaseFailsAndNoAnswerShowsItsWords) {
  EXPECT_NE(call("GET", "/metrics").raw.body.find("\nheatlink_storage_up 1\n"), std::string::npos);
  counters_.cycles = 3;
  ASSERT_TRUE(std::holds_alternative<master::SqlResult>(
      storage_->database().query("DROP TABLE read_job", {})));
  const Answer m = call("GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.raw.body.find("\nheatlink_storage_up 0\n"), std::string::npos) << m.raw.body;
  EXPECT_NE(m.raw.body.find("\nheatlink_cycles_total 3\n"), std::string::npos) << m.raw.body;
  const Answer failed = admin("GET", "/api/v1/read-jobs");
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(failed.body["error"]["code"], "storage");
  for (const char* word : {"read_job", "SELECT", "relation", "table", ".db"})
    EXPECT_EQ(failed.raw.body.find(word), std::string::npos) << word << ": " << failed.raw.body;
}

// /health says when the database stopped taking the readings (a full disk still answers the
// reads /health made before, so it said "ok"): 503 storage_failing until a store succeeds.
TEST_P(ApiTest, HealthSaysWhenReadingsCouldNotBeStored) {
  Answer h = call("GET", "/api/v1/health");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body["status"], "ok");
  EXPECT_TRUE(h.body["storage"]["last_stored_at"].is_null());
  counters_.last_stored_at = kNow - 900;
  counters_.last_store_failed_at = kNow - 60;
  counters_.readings_unstored = 47;
  h = call("GET", "/api/v1/health");
  EXPECT_EQ(h.status, 503) << h.raw.body;
  EXPECT_EQ(h.body["status"], "storage_failing");
  EXPECT_EQ(h.body["storage"]["last_stored_at"], kNow - 900);
  EXPECT_EQ(h.body["storage"]["readings_unstored"], 47);
  EXPECT_NE(call("GET", "/metrics").raw.body.find("\nheatlink_readings_unstored_total 47\n"),
            std::string::npos);
  counters_.last_stored_at = kNow;
  EXPECT_EQ(call("GET", "/api/v1/health").status, 200) << "stored again";
}

TEST_P(ApiTest, StatisticsServeHistoryConsumptionAndFaults) {
  const std::string m = std::to_string(mbus_meter_);
  const Answer readings = admin("GET", "/api/v1/statistics/meters/" + m +
                                           "/readings?from=" + std::to_string(kNow - 86400) +
                                           "&to=" + std::to_string(kNow));
  ASSERT_EQ(readings.status, 200) << readings.raw.body;
  ASSERT_EQ(readings.body["items"].size(), 2u);
  EXPECT_DOUBLE_EQ(readings.body["items"][1]["energy_kwh"].get<double>(), 1012.5);
  master::AggregateRecord day{mbus_meter_, "day", kNow - 86400, 12.5, 0.1, false};
  ok(storage_->store_aggregates(std::span(&day, 1)));
  const Answer consumption =
      admin("GET", "/api/v1/statistics/meters/" + m + "/consumption?period=day&from=" +
                       std::to_string(kNow - 5 * 86400) + "&to=" + std::to_string(kNow));
  ASSERT_EQ(consumption.body["items"].size(), 1u);
  EXPECT_DOUBLE_EQ(consumption.body["items"][0]["energy_kwh"].get<double>(), 12.5);
  const Answer csv =
      admin("GET", "/api/v1/statistics/meters/" + m + "/consumption/export?period=day&from=" +
                       std::to_string(kNow - 5 * 86400) + "&to=" + std::to_string(kNow));
  // As the operator reads it: the UI's column names, local time (UTC+8), plain numbers.
  EXPECT_NE(csv.raw.body.find("周期开始,累计热量 (kWh),累计流量 (m³),插值,存疑\r\n"
                              "2026-11-30 08:00:00,12.5,0.1,0,0"),
            std::string::npos)
      << csv.raw.body;
  const Answer english = admin(
      "GET", "/api/v1/statistics/meters/" + m + "/consumption/export?lang=en&period=day&from=" +
                 std::to_string(kNow - 5 * 86400) + "&to=" + std::to_string(kNow));
  EXPECT_NE(english.raw.body.find("Period start,Energy (kWh),Volume (m³)"), std::string::npos)
      << english.raw.body;
  const Json& settled = consumption.body["items"][0]["suspect"];
  EXPECT_TRUE(settled == false || settled == 0) << settled;
  // A day across a register's fall with no replacement filed says so.
  day.suspect = true;
  ok(storage_->store_aggregates(std::span(&day, 1)));
  const Json suspect =
      admin("GET", "/api/v1/statistics/meters/" + m + "/consumption?period=day&from=" +
                       std::to_string(kNow - 5 * 86400) + "&to=" + std::to_string(kNow))
          .body["items"][0]["suspect"];
  EXPECT_TRUE(suspect == true || suspect == 1) << suspect;
  const Answer faults = admin("GET", "/api/v1/statistics/faults?open=true");
  ASSERT_EQ(faults.body["total"], 1);
  EXPECT_EQ(faults.body["items"][0]["code"], "low_battery");
  EXPECT_EQ(admin("GET", "/api/v1/statistics/meters/99999/readings").status, 404);
  // A slot read, and one that ended without its cycle (the DTU away): a missed slot.
  const auto concentrator = ok(storage_->concentrators()).at(0).id;
  const master::CycleClaim read{concentrator, kNow - 7200, false, "master"};
  ok(storage_->claim_cycle(read, kNow - 7200, 3600));
  ok(storage_->finish_cycle(read, kNow - 7000, 2, 0));
  ok(storage_->miss_cycle({concentrator, kNow - 3600, false, "master"}, kNow - 1));
  const Answer rates = admin("GET", "/api/v1/statistics/failure-rates");
  EXPECT_EQ(rates.status, 200);
  EXPECT_EQ(rates.body["segments"].size(), 2u);
  ASSERT_EQ(rates.body["concentrators"].size(), 1u);
  EXPECT_EQ(rates.body["concentrators"][0]["cycles"], 2);
  EXPECT_EQ(rates.body["concentrators"][0]["missed_slots"], 1);
  const Answer last = admin("GET", "/api/v1/system/concentrators");
  EXPECT_EQ(last.body["items"][0]["last_cycle"]["missed"], true) << last.body.dump();
}

// The gateway's DTUs a page at a time, narrowed by the start of the ID and by status, with
// the counts of each status over all of them (a city has ten thousand DTUs: one answer of all
// of them was 27 MB).
TEST_P(ApiTest, TheDtusComeAPageAtATimeWithCountsOfEachStatus) {
  for (int i = 0; i < 230; ++i) {
    master::DtuState d;
    d.id = (i < 200 ? "1390000" : "7770000") + std::to_string(1000 + i);
    d.online = i % 2 == 0;
    d.parked = i >= 200;
    d.conflict = i == 7;
    if (i == 7) {
      d.refused_claims = 3;
      d.last_refused = "10.9.9.9:4000: the key of its registration is wrong";
    }
    dtus_.push_back(d);
  }
  const Answer first = admin("GET", "/api/v1/system/dtus");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.body["items"].size(), 50u);
  EXPECT_EQ(first.body["total"], 231) << "and the concentrator's DTU of the base information";
  EXPECT_EQ(first.body["counts"]["online"], 115);
  EXPECT_EQ(first.body["counts"]["offline"], 116);
  EXPECT_EQ(first.body["counts"]["parked"], 30);
  EXPECT_EQ(first.body["counts"]["conflict"], 1);
  const Answer last = admin("GET", "/api/v1/system/dtus?page=5&page_size=50");
  EXPECT_EQ(last.body["items"].size(), 31u);
  const Answer parked = admin("GET", "/api/v1/system/dtus?status=parked&q=777&page_size=500");
  EXPECT_EQ(parked.body["total"], 30);
  for (const auto& d : parked.body["items"]) EXPECT_TRUE(d["parked"].get<bool>()) << d;
  const Answer one = admin("GET", "/api/v1/system/dtus?q=13900001007");
  ASSERT_EQ(one.body["items"].size(), 1u);
  EXPECT_TRUE(one.body["items"][0]["conflict"].get<bool>());
  EXPECT_EQ(one.body["items"][0]["refused_claims"], 3);
  EXPECT_EQ(one.body["items"][0]["last_refused"],
            "10.9.9.9:4000: the key of its registration is wrong");
  EXPECT_EQ(admin("GET", "/api/v1/system/dtus?status=conflict").body["total"], 1);
  EXPECT_EQ(admin("GET", "/api/v1/system/dtus?status=lost").status, 400);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiTest, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace heatlink::test
