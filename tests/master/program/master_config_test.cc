// `heatlink master`'s configuration and base-information files: what they give, and errors
// that name the file, line, column and key without touching the database.
#include "heatlink/master/program/master_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "heatlink/master/program/base_information.h"
#include "heatlink/master/storage/sql_database.h"

namespace {

namespace master = heatlink::master;

std::string write(const std::string& name, const std::string& text) {
  const std::string path =
      ::testing::TempDir() + "heatlink-" + std::to_string(::getpid()) + "-" + name;
  std::ofstream(path) << text;
  return path;
}

// A new, migrated SQLite database of this test run.
std::unique_ptr<master::Storage> fresh_storage(const std::string& name) {
  const std::string db =
      ::testing::TempDir() + "heatlink-" + name + "-" + std::to_string(::getpid()) + ".db";
  std::filesystem::remove(db);
  auto storage =
      std::move(std::get<std::unique_ptr<master::Storage>>(master::open_storage("sqlite:" + db)));
  storage->migrate();
  return storage;
}

TEST(MasterConfig, ReadsPathsBesideTheFile) {
  const auto path = write("master.yaml", R"(database: sqlite:x.db
gateway: gw.yaml
name: master-a
schedules:
  - {name: quarter-hourly, every_s: 900, stations: [north]}
  - {name: settlement, daily_at: "00:00", settlement: true}
reading: {retries: 2, clock_sync_threshold_s: 300}
)");
  auto loaded = master::load_master_config(path);
  ASSERT_TRUE(std::holds_alternative<master::MasterConfig>(loaded))
      << std::get<std::string>(loaded);
  const auto& c = std::get<master::MasterConfig>(loaded);
  EXPECT_EQ(c.gateway_config, (std::filesystem::path(path).parent_path() / "gw.yaml").string());
  EXPECT_EQ(c.dispatcher.master, "master-a");
  ASSERT_EQ(c.dispatcher.schedules.size(), 2u);
  EXPECT_EQ(c.dispatcher.schedules[0].every_s, 900);
  EXPECT_EQ(c.dispatcher.schedules[0].stations, std::vector<std::string>{"north"});
  EXPECT_EQ(c.dispatcher.schedules[1].daily_at_s, 0);
  EXPECT_TRUE(c.dispatcher.schedules[1].settlement);
  EXPECT_EQ(c.reading.retries, 2u);
  EXPECT_EQ(c.reading.clock_sync_threshold_s, 300);
  EXPECT_TRUE(c.base_information.empty());
}

TEST(MasterConfig, ErrorsNameTheLineAndKey) {
  auto loaded = master::load_master_config(
      write("bad.yaml", "gateway: g.yaml\nschedules:\n  - {name: h, every_s: soon}\n"));
  ASSERT_TRUE(std::holds_alternative<std::string>(loaded));
  EXPECT_NE(std::get<std::string>(loaded).find("bad.yaml:3:24: every_s: expected seconds"),
            std::string::npos)
      << std::get<std::string>(loaded);
  loaded = master::load_master_config(
      write("late.yaml", "gateway: g.yaml\nschedules:\n  - {name: s, daily_at: '24:00'}\n"));
  EXPECT_NE(std::get<std::string>(loaded).find("late.yaml:3:25: daily_at: expected HH:MM"),
            std::string::npos)
      << std::get<std::string>(loaded);
  loaded = master::load_master_config(write("typo.yaml", "gateway: g.yaml\ndatabse: sqlite:x\n"));
  EXPECT_NE(std::get<std::string>(loaded).find("databse: unknown key"), std::string::npos);
  for (const char* listen : {"127.0.0.1", "127.0.0.1:http", "127.0.0.1:70000", ":8080"}) {
    loaded = master::load_master_config(
        write("api.yaml", std::string("gateway: g.yaml\napi: {listen: \"") + listen + "\"}\n"));
    ASSERT_TRUE(std::holds_alternative<std::string>(loaded)) << listen;
    EXPECT_NE(std::get<std::string>(loaded).find("listen: expected HOST:PORT"), std::string::npos)
        << std::get<std::string>(loaded);
  }
}

// A key given twice is an error where it stands the second time: read silently, either value
// would be a guess (a database, a DTU's model, a meter's address).
TEST(MasterConfig, AKeyGivenTwiceIsAnError) {
  auto loaded = master::load_master_config(
      write("twice.yaml", "database: sqlite:a.db\ngateway: g.yaml\ndatabase: sqlite:b.db\n"));
  ASSERT_TRUE(std::holds_alternative<std::string>(loaded));
  EXPECT_NE(std::get<std::string>(loaded).find(
                "twice.yaml:3:1: database: given twice in one mapping (first at line 1)"),
            std::string::npos)
      << std::get<std::string>(loaded);
  loaded = master::load_master_config(
      write("twice-flow.yaml",
            "gateway: g.yaml\nschedules:\n  - {name: h, every_s: 900, every_s: 60}\n"));
  ASSERT_TRUE(std::holds_alternative<std::string>(loaded));
  EXPECT_NE(std::get<std::string>(loaded).find("every_s: given twice"), std::string::npos)
      << std::get<std::string>(loaded);

  auto storage = fresh_storage("twice");
  auto imported = master::import_base_information(write("base-twice.yaml", R"(stations:
  - name: s
    concentrators:
      - name: c
        meters:
          - {channel: 0, primary: 1, primary: 2, vendor: KAM}
)"),
                                                  *storage);
  ASSERT_TRUE(std::holds_alternative<std::string>(imported));
  EXPECT_NE(std::get<std::string>(imported).find(
                ":6:38: primary: given twice in one mapping (first at line 6)"),
            std::string::npos)
      << std::get<std::string>(imported);
  EXPECT_TRUE(std::get<std::vector<master::ConcentratorRecord>>(storage->concentrators()).empty())
      << "nothing imported";
}

// What the master serves as JSON must be UTF-8: a name that is not is refused at its place
// (the master crashed after the import before, exit 3 with a JSON library's words).
TEST(MasterConfig, TextThatIsNotUtf8IsRefusedAtItsPlace) {
  auto loaded =
      master::load_master_config(write("latin1.yaml", "gateway: g.yaml\nname: W\xE4rme\n"));
  ASSERT_TRUE(std::holds_alternative<std::string>(loaded));
  EXPECT_NE(std::get<std::string>(loaded).find("latin1.yaml:2:8: not UTF-8 (byte 0xE4)"),
            std::string::npos)
      << std::get<std::string>(loaded);
}

TEST(MasterConfig, ADirectoryIsNamedAsNoFile) {
  const std::string dir =
      ::testing::TempDir() + "heatlink-config-dir-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  auto loaded = master::load_master_config(dir);
  ASSERT_TRUE(std::holds_alternative<std::string>(loaded));
  EXPECT_EQ(std::get<std::string>(loaded), dir + ": a directory, not a file");
}

TEST(MasterConfig, ANumberThatIsNotFiniteIsRefused) {
  auto loaded = master::load_master_config(
      write("nan.yaml", "gateway: g.yaml\nfaults: {bus_failure_rate: .nan}\n"));
  ASSERT_TRUE(std::holds_alternative<std::string>(loaded));
  EXPECT_NE(
      std::get<std::string>(loaded).find("nan.yaml:2:28: bus_failure_rate: expected 0-1, finite"),
      std::string::npos)
      << std::get<std::string>(loaded);
}

// A file with an error imports nothing and names the place; once fixed it imports. Before, a
// first start with an error left a station and a concentrator without meters, the master ran
// on, and the fixed file was never imported (the database was no longer empty).
TEST(BaseInformation, AFileWithAnErrorImportsNothingAndImportsOnceFixed) {
  auto storage = fresh_storage("all-or-nothing");
  const std::string head = R"(stations:
  - name: north
    concentrators:
      - name: c1
        dtu: "13800000001"
        meters:
          - {channel: 0, primary: 1, vendor: KAM}
      - name: c2
        dtu: "13800000002"
        meters:
          - {channel: 0, primary: )";
  auto imported =
      master::import_base_information(write("base-bad.yaml", head + "one}\n"), *storage);
  ASSERT_TRUE(std::holds_alternative<std::string>(imported));
  EXPECT_NE(std::get<std::string>(imported).find("base-bad.yaml:11:35: primary: expected"),
            std::string::npos)
      << std::get<std::string>(imported);
  EXPECT_TRUE(std::get<std::vector<master::ConcentratorRecord>>(storage->concentrators()).empty());
  EXPECT_EQ(std::get<std::int64_t>(storage->count_meters()), 0);

  imported = master::import_base_information(write("base-fixed.yaml", head + "2}\n"), *storage);
  ASSERT_TRUE(std::holds_alternative<std::size_t>(imported)) << std::get<std::string>(imported);
  EXPECT_EQ(std::get<std::size_t>(imported), 2u);
  EXPECT_EQ(std::get<std::vector<master::ConcentratorRecord>>(storage->concentrators()).size(), 2u);
}

TEST(BaseInformation, ImportsStationsConcentratorsAndMeters) {
  auto storage = fresh_storage("base");
  const auto path = write("base.yaml", R"(stations:
  - name: station-1
    concentrators:
      - name: hm660-1
        dtu: "13800138000"
        community: garden
        mode: collect
        meters:
          - {channel: 0, primary: 1, vendor: KAM, building: "1号楼"}
          - {channel: 1, secondary: "40000001FFFFFFFF", building: "2号楼"}
          - {channel: 1, protocol: cjt188, address: "00000030000001", building: "1号楼"}
)");
  auto imported = master::import_base_information(path, *storage);
  ASSERT_TRUE(std::holds_alternative<std::size_t>(imported)) << std::get<std::string>(imported);
  EXPECT_EQ(std::get<std::size_t>(imported), 3u);
  const auto concentrators =
      std::get<std::vector<master::ConcentratorRecord>>(storage->concentrators());
  ASSERT_EQ(concentrators.size(), 1u);
  EXPECT_EQ(concentrators[0].dtu_id, "13800138000");
  EXPECT_EQ(concentrators[0].mode, master::ConcentratorMode::collect);
  const auto communities = std::get<std::vector<master::CommunityRecord>>(storage->communities());
  ASSERT_EQ(communities.size(), 1u);
  EXPECT_EQ(concentrators[0].community_id, communities[0].id);
  EXPECT_EQ(communities[0].name, "garden");
  const auto meters =
      std::get<std::vector<master::MeterRecord>>(storage->meters_of(concentrators[0].id));
  ASSERT_EQ(meters.size(), 3u);
  EXPECT_EQ(meters[2].protocol, master::MeterProtocol::cjt188);
  // Buildings are made once per name in the concentrator's community, and hold their meters.
  const auto placed = std::get<master::SqlResult>(storage->database().query(
      "SELECT b.name, b.community_id, count(*) FROM meter m JOIN building b ON b.id = "
      "m.building_id GROUP BY b.id, b.name, b.community_id ORDER BY b.name",
      {}));
  ASSERT_EQ(placed.rows.size(), 2u);
  EXPECT_EQ(master::as_text(placed.rows[0][0]), "1号楼");
  EXPECT_EQ(master::as_integer(placed.rows[0][1]), communities[0].id);
  EXPECT_EQ(master::as_integer(placed.rows[0][2]), 2);
  EXPECT_EQ(master::as_integer(placed.rows[1][2]), 1);

  auto bad = master::import_base_information(
      write("bad-base.yaml",
            "stations:\n  - name: s\n    concentrators:\n      - {name: c, meters: "
            "[{protocol: cjt188, address: '12'}]}\n"),
      *storage);
  ASSERT_TRUE(std::holds_alternative<std::string>(bad));
  auto homeless = master::import_base_information(
      write("homeless-base.yaml",
            "stations:\n  - name: s2\n    concentrators:\n      - {name: c2, meters: "
            "[{primary: 1, building: 'A'}]}\n"),
      *storage);
  ASSERT_TRUE(std::holds_alternative<std::string>(homeless));
  EXPECT_NE(std::get<std::string>(homeless).find("a building needs the concentrator's community"),
            std::string::npos)
      << std::get<std::string>(homeless);
  EXPECT_NE(std::get<std::string>(bad).find("address: a CJ/T 188 meter needs its 14-digit address"),
            std::string::npos)
      << std::get<std::string>(bad);
}

}  // namespace
