// 基础信息 as an operator meets it: a meter read by primary address is edited like any other;
// what a list exports imports back in place; the tree's station and community narrow the
// lists and their exports; the monitoring counts add up to the meters.
#include "api_fixture.h"

namespace heatlink::test {

// Most meters of a district are read by primary address and have no secondary address: they
// are created and edited without one (before, every save said "secondary_address: required").
// The addresses still have to read the meter.
TEST_P(ApiTest, AMeterReadByPrimaryAddressIsEditedWithoutASecondaryAddress) {
  const Json primary{{"concentrator_id", concentrator_}, {"channel", 2},  {"vendor", "KAM"},
                     {"model", "MULTICAL 403"},          {"protocol", 0}, {"primary_address", 17}};
  const Answer made = admin("POST", "/api/v1/meters", primary);
  ASSERT_EQ(made.status, 201) << made.raw.body;
  EXPECT_EQ(made.body["secondary_address"], "");
  const std::string meter = "/api/v1/meters/" + std::to_string(made.body["id"].get<int>());
  const Answer edited = admin("PUT", meter, Json{{"vendor", "Kamstrup"}, {"primary_address", 18}});
  ASSERT_EQ(edited.status, 200) << edited.raw.body;
  EXPECT_EQ(edited.body["vendor"], "Kamstrup");
  // What the form sends back: the whole record, the empty address as it came.
  Json whole = edited.body;
  whole.erase("id");
  EXPECT_EQ(admin("PUT", meter, whole).status, 200);

  struct Case {
    Json change;
    const char* field;
  };
  for (const Case& c : std::vector<Case>{
           {Json{{"primary_address", 0}}, "primary_address"},  // reached by neither address
           {Json{{"secondary_address", "1234"}}, "secondary_address"},
           {Json{{"protocol", 1}}, "secondary_address"},  // a CJ/T 188 meter needs its address
       }) {
    const Answer refused = admin("PUT", meter, c.change);
    EXPECT_EQ(refused.status, 400) << c.change;
    EXPECT_EQ(refused.body["error"].value("field", ""), c.field) << refused.raw.body;
  }
  // An empty model cell is an empty model, not the database's NOT NULL error.
  const std::string cc = std::to_string(concentrator_);
  const Answer imported =
      call("POST", "/api/v1/meters/import", nullptr, admin_,
           "concentrator_id,channel,vendor,model,primary_address\n" + cc + ",3,KAM,,21\n");
  EXPECT_EQ(imported.status, 200) << imported.raw.body;
}

// An export, edited in a spreadsheet and imported again, changes the records it lists - by
// their ids - instead of adding each a second time; also the meters read by primary address.
TEST_P(ApiTest, AnExportImportedAgainChangesTheRecordsInPlace) {
  ASSERT_EQ(admin("POST", "/api/v1/meters",
                  Json{{"concentrator_id", concentrator_},
                       {"channel", 2},
                       {"vendor", "KAM"},
                       {"primary_address", 17}})
                .status,
            201);
  const std::int64_t meters = ok(storage_->count_meters());
  for (const char* format : {"csv", "xlsx"}) {
    for (const char* entity : {"communities", "meters"}) {
      const Answer exported =
          admin("GET", std::string("/api/v1/") + entity + "/export?format=" + format);
      ASSERT_EQ(exported.status, 200);
      const Answer imported = call("POST", std::string("/api/v1/") + entity + "/import", nullptr,
                                   admin_, exported.raw.body);
      EXPECT_EQ(imported.status, 200) << entity << " " << format << ": " << imported.raw.body;
      EXPECT_EQ(imported.body["added"], 0) << entity << " " << format;
    }
  }
  EXPECT_EQ(admin("GET", "/api/v1/communities").body["total"], 1);
  EXPECT_EQ(ok(storage_->count_meters()), meters);
}

// The tree: a station or a community narrows the meters (and the buildings, units, households,
// valves) to those there, and an export gives what the list shows.
TEST_P(ApiTest, AStationOrCommunityNarrowsTheListsAndTheirExports) {
  const std::int64_t south = ok(storage_->add_station({0, "South station"}));
  const std::int64_t lake = ok(storage_->add_community({0, south, "Lake community"}));
  const std::int64_t hm = ok(storage_->add_concentrator(
      {0, south, "hm660-south", "13800000002", lake, master::ConcentratorMode::transparent}));
  master::MeterRecord m;
  m.concentrator_id = hm;
  m.vendor = "KAM";
  m.model = "MULTICAL 603";
  m.secondary_address = "10000009FFFF0104";
  const std::int64_t southern = ok(storage_->add_meter(m));
  auto ids = [this](const std::string& query) {
    std::vector<std::int64_t> out;
    const Answer a = admin("GET", "/api/v1/meters?" + query);
    EXPECT_EQ(a.status, 200) << a.raw.body;
    for (const auto& r : a.body["items"]) out.push_back(r["id"]);
    return out;
  };
  EXPECT_EQ(ids("station_id=" + std::to_string(south)), std::vector<std::int64_t>{southern});
  EXPECT_EQ(ids("community_id=" + std::to_string(lake)), std::vector<std::int64_t>{southern});
  EXPECT_EQ(ids("community_id=" + std::to_string(community_)),
            (std::vector<std::int64_t>{mbus_meter_, cjt188_meter_, silent_meter_}))
      << "the building's community, and the concentrator's for a meter without a building";
  EXPECT_EQ(admin("GET", "/api/v1/buildings?station_id=" + std::to_string(south)).body["total"], 0);
  const Answer csv = admin("GET", "/api/v1/communities/export?station_id=" + std::to_string(south));
  EXPECT_NE(csv.raw.body.find("Lake community"), std::string::npos) << csv.raw.body;
  EXPECT_EQ(csv.raw.body.find("Garden community"), std::string::npos) << csv.raw.body;
  const Answer meters = admin("GET", "/api/v1/meters/export?station_id=" + std::to_string(south));
  EXPECT_NE(meters.raw.body.find("10000009FFFF0104"), std::string::npos);
  EXPECT_EQ(meters.raw.body.find("10000001FFFF0104"), std::string::npos) << meters.raw.body;
}

// Each meter is in one state: a meter never read is 无数据 even when its no_data fault is
// open, so that 正常 + 故障 + 离线 + 无数据 is the number of meters, and 离线 lists no meter
// shown as 无数据 (before: it was counted as both).
TEST_P(ApiTest, EveryMeterIsCountedInOneStateOnly) {
  master::FaultRecord silent;
  silent.meter_id = silent_meter_;
  silent.concentrator_id = concentrator_;
  silent.code = "no_data";
  silent.raised_at = now_ - 60;
  master::FaultRecord both = silent;  // a read meter with a fault of its own, then silent
  both.meter_id = cjt188_meter_;
  ok(storage_->record_faults(std::vector<master::FaultRecord>{silent, both}));
  const Answer s = admin("GET", "/api/v1/monitoring/summary");
  EXPECT_EQ(s.body["meters"], 3);
  EXPECT_EQ(s.body["ok"].get<int>() + s.body["fault"].get<int>() + s.body["failed"].get<int>() +
                s.body["no_data"].get<int>(),
            3)
      << s.raw.body;
  EXPECT_EQ(s.body["no_data"], 1);
  EXPECT_EQ(s.body["failed"], 1);
  for (const char* status : {"ok", "fault", "failed", "no_data"}) {
    const Answer listed = admin("GET", std::string("/api/v1/monitoring/meters?status=") + status);
    EXPECT_EQ(listed.body["total"], s.body[status]) << status;
    for (const auto& m : listed.body["items"]) EXPECT_EQ(m["read_status"], status) << m;
  }
}

// Choosing a station, community, building or concentrator (a read, a report, a filter) takes
// no base.view: the lookups give their names to any signed-in user, the lists stay closed.
TEST_P(ApiTest, NamesToChooseFromNeedNoBaseInformationRights) {
  const Credentials reader = user_with("reader", {"monitor.view", "reading.manual"});
  EXPECT_EQ(call("GET", "/api/v1/stations", nullptr, reader).status, 403);
  for (const char* kind : {"stations", "communities", "buildings", "concentrators"}) {
    const Answer names = call("GET", std::string("/api/v1/lookups/") + kind, nullptr, reader);
    ASSERT_EQ(names.status, 200) << kind << ": " << names.raw.body;
    ASSERT_EQ(names.body["items"].size(), 1u) << kind;
    EXPECT_FALSE(names.body["items"][0]["name"].get<std::string>().empty());
  }
  const Answer narrowed = call(
      "GET", "/api/v1/lookups/communities?station_id=" + std::to_string(station_) + "&q=Garden",
      nullptr, reader);
  ASSERT_EQ(narrowed.body["items"].size(), 1u) << narrowed.raw.body;
  EXPECT_EQ(narrowed.body["items"][0]["station_id"], station_);
  EXPECT_EQ(call("GET", "/api/v1/lookups/stations").status, 401) << "signed in only";
  EXPECT_EQ(call("GET", "/api/v1/lookups/customers", nullptr, reader).status, 404)
      << "people's names stay behind base.view";
}

// 阀门 lists the valves there are - the CJ/T 188 meters' - with the state the meter last
// reported and the last command given (before: the valve table nobody filled, so the tab was
// empty although a valve had just been driven).
TEST_P(ApiTest, TheValvesAreTheCjt188MetersWithTheirStateAndLastCommand) {
  const Answer command = admin("POST", "/api/v1/meters/" + std::to_string(cjt188_meter_) + "/valve",
                               Json{{"action", "open"}});
  ASSERT_LT(command.status, 300) << command.raw.body;
  const Answer valves = admin("GET", "/api/v1/valves");
  ASSERT_EQ(valves.status, 200) << valves.raw.body;
  ASSERT_EQ(valves.body["total"], 1) << valves.raw.body;
  const Json& v = valves.body["items"][0];
  EXPECT_EQ(v["meter_id"], cjt188_meter_);
  EXPECT_EQ(v["secondary_address"], "00000030000001");
  EXPECT_EQ(v["state"], "closed") << "ST1 of its latest reading";
  EXPECT_EQ(v["state_at"], kNow - 60);
  EXPECT_EQ(v["last_command"]["action"], "open");
  EXPECT_EQ(v["last_command"]["status"], "queued");
  EXPECT_EQ(v["concentrator"]["name"], "hm660-north");
  EXPECT_EQ(admin("GET", "/api/v1/valves?station_id=" + std::to_string(station_ + 1)).body["total"],
            0);
  const Answer csv = admin("GET", "/api/v1/valves/export");
  EXPECT_NE(csv.raw.body.find("00000030000001,hm660-north,关"), std::string::npos) << csv.raw.body;
}

}  // namespace heatlink::test
