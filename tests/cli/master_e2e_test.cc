// `heatlink master` end to end: `heatlink sim --server` connects a simulated district's DTU to
// the master, which imports the district's base information (as `heatlink sim
// --write-base-information` lists it), reads every meter through the DTU and the concentrator
// - by primary address, by secondary address on a segment of 263 meters, and CJ/T 188 - and
// stores one reading per meter holding the registers the simulated meters hold; on SQLite and
// on PostgreSQL. A manual read goes ahead of the schedule; a kill -9 in mid-cycle loses and
// duplicates nothing; two masters divide the DTUs of one PostgreSQL database.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "child_process.h"
#include "heatlink/master/api/api.h"
#include "heatlink/master/storage/storage.h"
#include "http_client.h"
#include "storage_support.h"

namespace {

namespace master = heatlink::master;
namespace test = heatlink::test;
using Json = nlohmann::json;

constexpr std::size_t kMeters = 283;  // scenarios/topologies/master-e2e.yaml
constexpr const char* kE2eTopology = HEATLINK_SOURCE_DIR "/scenarios/topologies/master-e2e.yaml";

std::uint16_t free_port() {
  std::uint16_t port = 0;
  ::close(test::listen_on_loopback(port));
  return port;
}

std::string scratch(const std::string& name) {
  const std::string dir =
      ::testing::TempDir() + "heatlink-" + name + "-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// A database for this test: a SQLite file, or an empty schema of its own on the test
// cluster (`make test` names it in HEATLINK_TEST_POSTGRESQL); "" when there is none.
std::string database(const std::string& backend, const std::string& dir) {
  if (backend == "sqlite") return "sqlite:" + dir + "/heatlink.db";
  const char* url = std::getenv("HEATLINK_TEST_POSTGRESQL");
  if (url == nullptr) return "";
  std::string schema =
      "e2e_" + std::to_string(::getpid()) + "_" + std::filesystem::path(dir).filename().string();
  for (char& c : schema) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return test::own_schema(url, schema);
}

std::unique_ptr<master::Storage> open(const std::string& url) {
  auto opened = master::open_storage(url);
  if (auto* e = std::get_if<master::StorageError>(&opened)) {
    ADD_FAILURE() << e->message;
    return nullptr;
  }
  return std::move(std::get<std::unique_ptr<master::Storage>>(opened));
}

// A master's files in `dir`: gateway.yaml on `port`, master.yaml on `url`, base.yaml from the
// topologies. One slot a day (local midnight), so a test never sees a second one begin.
void write_master(const std::string& dir, const std::string& name, const std::string& url,
                  std::uint16_t port, const std::vector<std::string>& topologies) {
  std::ofstream(dir + "/gateway.yaml") << "listen: 127.0.0.1:" << port << R"(
models:
  - {name: MD-109G, convention: id_on_connect, heartbeat_s: 5, latency_ms: 1000}
dtus:
  - {id: "13800000077", model: MD-109G}
  - {id: "13900000001", model: MD-109G}
  - {id: "13900000002", model: MD-109G}
)";
  std::ofstream base(dir + "/base.yaml");
  base << "stations:\n";
  for (const std::string& topology : topologies) {
    std::string out;
    ASSERT_EQ(test::run_to_end({HEATLINK_BIN, "sim", "--topology", topology,
                                "--write-base-information", dir + "/part.yaml"},
                               out),
              0);
    std::ifstream part(dir + "/part.yaml");
    std::string line;
    std::getline(part, line);  // "stations:": the parts' stations go in one list
    base << part.rdbuf();
  }
  std::ofstream(dir + "/master.yaml") << "name: " << name << "\ndatabase: " << url << R"(
gateway: gateway.yaml
base_information: base.yaml
api: {listen: "127.0.0.1:0"}
schedules:
  - {name: daily, every_s: 86400}
)";
}

// `topology` copied beside the test with its meters' clocks starting now, in the heat
// company's time (UTC+8), as a real district's meters are set: the master runs on the wall
// clock and takes a reading as its slot's by the meter's time. (With the topology's fixed
// start the meters' clocks fall days behind the master's as the calendar moves on.)
std::string starting_now(const std::string& topology) {
  std::ifstream in(topology);
  std::stringstream text;
  text << in.rdbuf();
  const std::time_t local = std::time(nullptr) + 8 * 3600;
  std::tm tm{};
  ::gmtime_r(&local, &tm);
  char start[32];
  std::strftime(start, sizeof start, "start: \"%Y-%m-%dT%H:%M:%S\"", &tm);
  std::string yaml = text.str();
  const auto at = yaml.find("\nstart: ");
  if (at == std::string::npos) {
    ADD_FAILURE() << topology << " has no start";
    return topology;
  }
  yaml.replace(at + 1, yaml.find('\n', at + 1) - at - 1, start);
  static int copies = 0;
  const std::string copy = ::testing::TempDir() + "heatlink-sim-" + std::to_string(::getpid()) +
                           "-" + std::to_string(++copies) + ".yaml";
  std::ofstream(copy) << yaml;
  return copy;
}

pid_t start_sim(const std::string& topology, std::uint16_t port, std::uint16_t control) {
  return test::spawn({HEATLINK_BIN, "sim", "--topology", starting_now(topology), "--server",
                      "127.0.0.1:" + std::to_string(port), "--control",
                      "127.0.0.1:" + std::to_string(control), "--pace", "x20"});
}

// The master's cycle statistics, one JSON line each.
std::vector<Json> cycles_of(const std::string& out) {
  std::vector<Json> cycles;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.front() == '{') cycles.push_back(Json::parse(line));
  }
  return cycles;
}

// Every meter's stored registers against what the simulated meter holds now (the meters
// ran on a little since: a few kWh, never backwards). Meter ids follow the district's order.
void expect_registers_match(master::Storage& storage, std::uint16_t control) {
  const std::string answer = test::http_request(control, "GET", "/api/v1/meters?limit=1000");
  const Json meters = Json::parse(answer.substr(answer.find("\r\n\r\n") + 4))["meters"];
  ASSERT_EQ(meters.size(), kMeters);
  for (std::int64_t id = 1; id <= static_cast<std::int64_t>(kMeters); ++id) {
    const auto latest = std::get<std::optional<master::Reading>>(storage.latest(id));
    ASSERT_TRUE(latest.has_value()) << id;
    const double held = meters[static_cast<std::size_t>(id - 1)]["energy_kwh"];
    EXPECT_LE(*latest->energy_kwh, held + 0.01) << id;
    EXPECT_GE(*latest->energy_kwh, held - 120) << id << ": more than a MULTICAL 603 digit";
  }
}

// How many readings each meter has.
std::map<std::int64_t, std::size_t> readings_per_meter(master::Storage& storage) {
  std::map<std::int64_t, std::size_t> counts;
  for (std::int64_t id = 1; id <= static_cast<std::int64_t>(kMeters); ++id) {
    counts[id] = std::get<std::vector<master::Reading>>(storage.readings(id, 0, 1LL << 40)).size();
  }
  return counts;
}

class MasterEndToEnd : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = scratch("master-" + GetParam());
    url_ = database(GetParam(), dir_);
    if (url_.empty()) {
      if (std::getenv("CI") != nullptr) FAIL() << "CI must run the PostgreSQL tests";
      GTEST_SKIP() << "HEATLINK_TEST_POSTGRESQL is not set (make test sets it)";
    }
    port_ = free_port();
    control_ = free_port();
    write_master(dir_, "master-a", url_, port_, {kTopology});
    sim_ = start_sim(kTopology, port_, control_);
    ASSERT_GT(sim_, 0);
  }

  void TearDown() override {
    int status = 0;
    if (sim_ > 0) {
      EXPECT_TRUE(test::terminate(sim_, status));
    }
  }

  static constexpr const char* kTopology =
      HEATLINK_SOURCE_DIR "/scenarios/topologies/master-e2e.yaml";
  std::string dir_, url_;
  std::uint16_t port_ = 0, control_ = 0;
  pid_t sim_ = -1;
};

TEST_P(MasterEndToEnd, ACycleStoresEveryMeterAndAManualReadGoesFirst) {
  // A read of one CJ/T 188 meter (meter 21), asked for before the DTU has even connected.
  std::string read_out;
  std::thread manual([&] {
    EXPECT_EQ(test::run_to_end({HEATLINK_BIN, "manual-read", "--config", dir_ + "/master.yaml",
                                "--meter", "21", "--wait-s", "120"},
                               read_out),
              0);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::string out;
  const int status = test::run_to_end(
      {HEATLINK_BIN, "master", "--config", dir_ + "/master.yaml", "--cycles", "2"}, out);
  manual.join();
  ASSERT_EQ(status, 0) << out;
  const auto cycles = cycles_of(out);
  ASSERT_EQ(cycles.size(), 2u) << out;
  EXPECT_EQ(cycles[0]["meters"], 1) << "the manual read went ahead of the schedule";
  EXPECT_EQ(cycles[0]["read"], 1) << out;
  // The scheduled cycle: every meter but the one just read in this slot.
  EXPECT_EQ(cycles[1]["skipped"], 1) << out;
  EXPECT_EQ(cycles[1]["meters"], kMeters - 1) << out;
  EXPECT_EQ(cycles[1]["read"], kMeters - 1) << out;
  EXPECT_EQ(cycles[1]["segments"]["1"]["meters"], 262) << out;
  EXPECT_EQ(cycles[1]["segments"]["1"]["read"], 262) << out;
  const Json job = Json::parse(read_out);
  EXPECT_EQ(job["status"], "done") << read_out;
  EXPECT_EQ(job["detail"]["read"], 1) << read_out;

  auto storage = open(url_);
  ASSERT_TRUE(storage);
  EXPECT_GE(std::get<std::int64_t>(storage->count_readings()), static_cast<std::int64_t>(kMeters));
  expect_registers_match(*storage, control_);
}

TEST_P(MasterEndToEnd, KillDashNineInMidCycleLosesNothingAndDuplicatesNothing) {
  const pid_t first = test::spawn({HEATLINK_BIN, "master", "--config", dir_ + "/master.yaml"});
  ASSERT_GT(first, 0);
  // Watch the database until two batches are in, then kill the master without warning.
  auto storage = open(url_);
  ASSERT_TRUE(storage);
  auto count = [&]() -> std::int64_t {
    const auto n = storage->count_readings();  // an error until the master has migrated
    return std::holds_alternative<std::int64_t>(n) ? std::get<std::int64_t>(n) : 0;
  };
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (count() < 64 && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ::kill(first, SIGKILL);
  int wait_status = 0;
  ::waitpid(first, &wait_status, 0);
  const std::int64_t stored = count();
  ASSERT_GE(stored, 64) << "the cycle had begun";
  ASSERT_LT(stored, static_cast<std::int64_t>(kMeters)) << "and had not ended";

  std::string out;
  const int status = test::run_to_end(
      {HEATLINK_BIN, "master", "--config", dir_ + "/master.yaml", "--cycles", "1"}, out);
  ASSERT_EQ(status, 0) << out;
  const auto cycles = cycles_of(out);
  ASSERT_EQ(cycles.size(), 1u) << out;
  EXPECT_EQ(cycles[0]["skipped"], stored) << "what the killed master stored is not read again";
  EXPECT_EQ(cycles[0]["read"], kMeters - static_cast<std::size_t>(stored)) << out;
  for (const auto& [meter, readings] : readings_per_meter(*storage))
    EXPECT_EQ(readings, 1u) << "meter " << meter;
  expect_registers_match(*storage, control_);
}

INSTANTIATE_TEST_SUITE_P(Backends, MasterEndToEnd, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& param_info) { return param_info.param; });

TEST(TwoMasters, DivideTheDtusOfOnePostgresqlDatabaseAndReadEachMeterOnce) {
  const std::string dir = scratch("two-masters");
  const std::string url = database("postgresql", dir);
  if (url.empty()) {
    if (std::getenv("CI") != nullptr) FAIL() << "CI must run the PostgreSQL tests";
    GTEST_SKIP() << "HEATLINK_TEST_POSTGRESQL is not set (make test sets it)";
  }
  const std::string north = HEATLINK_SOURCE_DIR "/scenarios/topologies/two-masters-north.yaml";
  const std::string south = HEATLINK_SOURCE_DIR "/scenarios/topologies/two-masters-south.yaml";
  // Both masters know the whole district; each half's DTU connects to one of them.
  std::filesystem::create_directories(dir + "/a");
  std::filesystem::create_directories(dir + "/b");
  const std::uint16_t port_a = free_port(), port_b = free_port();
  write_master(dir + "/a", "master-a", url, port_a, {north, south});
  write_master(dir + "/b", "master-b", url, port_b, {north, south});
  // The first to start imports the base information; the other finds it there.
  std::string out_a, out_b;
  std::thread a([&] {
    test::run_to_end({HEATLINK_BIN, "master", "--config", dir + "/a/master.yaml", "--cycles", "1"},
                     out_a);
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  std::thread b([&] {
    test::run_to_end({HEATLINK_BIN, "master", "--config", dir + "/b/master.yaml", "--cycles", "1"},
                     out_b);
  });
  const pid_t sim_north = start_sim(north, port_a, free_port());
  const pid_t sim_south = start_sim(south, port_b, free_port());
  a.join();
  b.join();
  int status = 0;
  EXPECT_TRUE(test::terminate(sim_north, status));
  EXPECT_TRUE(test::terminate(sim_south, status));

  const auto cycles_a = cycles_of(out_a), cycles_b = cycles_of(out_b);
  ASSERT_EQ(cycles_a.size(), 1u) << out_a;
  ASSERT_EQ(cycles_b.size(), 1u) << out_b;
  EXPECT_EQ(cycles_a[0]["cycle"], "hm660-north");
  EXPECT_EQ(cycles_b[0]["cycle"], "hm660-south");
  EXPECT_EQ(cycles_a[0]["read"], 30) << out_a;
  EXPECT_EQ(cycles_b[0]["read"], 30) << out_b;
  auto storage = open(url);
  ASSERT_TRUE(storage);
  EXPECT_EQ(std::get<std::int64_t>(storage->count_meters()), 60) << "imported once";
  EXPECT_EQ(std::get<std::int64_t>(storage->count_readings()), 60) << "each meter read once";
}

// Through the web API, with `heatlink sim` feeding the master: a manual read returns the
// simulated meter's registers, and a valve command closes the simulated valve.
// The first administrator, made before the master starts so that the test knows its password
// ("" when the database failed).
std::string make_administrator(const std::string& url) {
  auto storage = open(url);
  if (!storage || !std::holds_alternative<int>(storage->migrate())) return "";
  auto made = master::api::ensure_administrator(*storage, std::time(nullptr));
  const auto* password = std::get_if<std::optional<std::string>>(&made);
  return password != nullptr && *password ? **password : "";
}

using Headers = std::vector<std::pair<std::string, std::string>>;

// The session cookie and CSRF token of the administrator signed in on the API at `api`
// (none when the sign-in failed).
Headers sign_in(std::uint16_t api, const std::string& password) {
  const test::HttpReply login = test::http(api, "POST", "/api/v1/auth/login",
                                           Json{{"name", "admin"}, {"password", password}}.dump());
  EXPECT_EQ(login.status, 200) << login.body;
  if (login.status != 200) return {};
  std::string cookie = login.header("Set-Cookie");
  cookie = cookie.substr(0, cookie.find(';'));
  return {{"Cookie", cookie}, {"X-CSRF-Token", Json::parse(login.body)["csrf_token"]}};
}

// Whether `done` comes true before `deadline`, looking every 200 ms.
bool by(std::chrono::steady_clock::time_point deadline, const std::function<bool()>& done) {
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

// A master on a simulated district's clock (a live scenario run: `--clock-start`,
// `--time-scale`) stamps its DTUs' sessions with that clock, as it stamps its readings - the
// 设备状态 page and a dtu_id_conflict's detail do not show the wall clock beside them.
TEST(MasterApiEndToEnd, AMasterOnASimulatedClockStampsItsDtuSessionsWithIt) {
  const std::string dir = scratch("master-clock");
  const std::string url = database("sqlite", dir);
  const std::uint16_t port = free_port(), control = free_port(), api = free_port();
  write_master(dir, "master-clock", url, port, {kE2eTopology});
  std::ofstream(dir + "/master.yaml") << "name: master-clock\ndatabase: " << url
                                      << "\ngateway: gateway.yaml\nbase_information: base.yaml\n"
                                      << "api: {listen: \"127.0.0.1:" << api << "\"}\n"
                                      << "schedules:\n  - {name: daily, every_s: 86400}\n";
  const std::string password = make_administrator(url);
  ASSERT_FALSE(password.empty());
  // A week ahead of the wall clock, ten times as fast.
  const std::int64_t start = std::time(nullptr) + 7 * 86400;
  const pid_t master_pid =
      test::spawn({HEATLINK_BIN, "master", "--config", dir + "/master.yaml", "--clock-start",
                   std::to_string(start), "--time-scale", "10"});
  ASSERT_GT(master_pid, 0);
  const pid_t sim = start_sim(kE2eTopology, port, control);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  auto until = [&deadline](const std::function<bool()>& done) { return by(deadline, done); };
  ASSERT_TRUE(until([&] { return test::http(api, "GET", "/api/v1/health").status == 200; }));
  const Headers as_admin = sign_in(api, password);
  ASSERT_FALSE(as_admin.empty());
  Json dtu;
  ASSERT_TRUE(until([&] {
    const test::HttpReply r = test::http(api, "GET", "/api/v1/system/dtus", "", as_admin);
    const Json body = Json::parse(r.body, nullptr, false);
    if (!body.is_object() || body["items"].empty() || body["items"][0]["online"] != true)
      return false;
    dtu = body["items"][0];
    return true;
  }));
  const std::int64_t connected = dtu["connected_at"], seen = dtu["last_seen"];
  EXPECT_GE(connected, start) << dtu;
  EXPECT_LT(connected, start + 3600) << "the master's clock, not the wall's: " << dtu;
  EXPECT_GE(seen, connected) << dtu;
  int status = 0;
  EXPECT_TRUE(test::terminate(master_pid, status));
  EXPECT_TRUE(test::terminate(sim, status));
}

TEST(MasterApiEndToEnd, AManualReadAndAValveCommandThroughTheApiReachTheSimulatedMeter) {
  const std::string dir = scratch("master-api");
  const std::string url = database("sqlite", dir);
  const std::uint16_t port = free_port(), control = free_port(), api = free_port();
  write_master(dir, "master-api", url, port, {kE2eTopology});
  // No scheduled cycle while the test runs: one a day, three hours ago (UTC+8).
  const auto now = std::time(nullptr) + 8 * 3600 - 3 * 3600;
  char at[8];
  std::snprintf(at, sizeof at, "%02d:%02d", static_cast<int>(now / 3600 % 24),
                static_cast<int>(now / 60 % 60));
  std::ofstream(dir + "/master.yaml")
      << "name: master-api\ndatabase: " << url
      << "\ngateway: gateway.yaml\nbase_information: base.yaml\n"
      << "api: {listen: \"127.0.0.1:" << api << "\"}\n"
      << "schedules:\n  - {name: daily, daily_at: \"" << at << "\"}\n";
  // The administrator exists before the master starts: the test knows the password.
  const std::string password = make_administrator(url);
  ASSERT_FALSE(password.empty());
  const pid_t sim = start_sim(kE2eTopology, port, control);
  const pid_t master_pid = test::spawn({HEATLINK_BIN, "master", "--config", dir + "/master.yaml"});
  ASSERT_GT(master_pid, 0);

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(180);
  auto until = [&deadline](const std::function<bool()>& done) { return by(deadline, done); };
  ASSERT_TRUE(until([&] { return test::http(api, "GET", "/api/v1/health").status == 200; }));
  const Headers as_admin = sign_in(api, password);
  ASSERT_FALSE(as_admin.empty());
  auto api_json = [&](const std::string& method, const std::string& target,
                      const std::string& body = {}) {
    const test::HttpReply r = test::http(api, method, target, body, as_admin);
    EXPECT_LT(r.status, 300) << method << " " << target << ": " << r.body;
    return Json::parse(r.body, nullptr, false);
  };
  ASSERT_TRUE(
      until([&] { return api_json("GET", "/api/v1/system/dtus")["items"][0]["online"] == true; }));

  // Meter 21 is the district's first CJ/T 188 meter (index 20 in the simulator).
  auto finished = [&](std::int64_t job) {
    Json j;
    EXPECT_TRUE(until([&] {
      j = api_json("GET", "/api/v1/read-jobs/" + std::to_string(job));
      return j["status"] == "done" || j["status"] == "failed";
    }));
    return j;
  };
  const Json read = api_json("POST", "/api/v1/read-jobs", R"({"kind":"meter","meter_id":21})");
  EXPECT_EQ(finished(read["id"])["status"], "done");
  const std::string sim_meter = test::http_request(control, "GET", "/api/v1/meters/20");
  const Json held = Json::parse(sim_meter.substr(sim_meter.find("\r\n\r\n") + 4));
  const Json shown = api_json("GET", "/api/v1/monitoring/meters?protocol=cjt188&page_size=500");
  Json meter;
  for (const auto& m : shown["items"])
    if (m["meter_id"] == 21) meter = m;
  ASSERT_FALSE(meter.is_null()) << shown;
  EXPECT_NE(meter["read_status"], "no_data");  // a simulated fault may show: "fault" is fine
  EXPECT_FALSE(meter["read_at"].is_null());
  EXPECT_LE(meter["energy_kwh"].get<double>(), held["energy_kwh"].get<double>() + 0.01);
  EXPECT_GE(meter["energy_kwh"].get<double>(), held["energy_kwh"].get<double>() - 20) << held;
  EXPECT_EQ(meter["valve"], held["valve_open"] == true ? "open" : "closed");

  const Json close = api_json("POST", "/api/v1/meters/21/valve", R"({"action":"close"})");
  EXPECT_EQ(finished(close["id"])["status"], "done");
  const std::string after = test::http_request(control, "GET", "/api/v1/meters/20");
  EXPECT_EQ(Json::parse(after.substr(after.find("\r\n\r\n") + 4))["valve_open"], false) << after;
  const Json again = api_json(
      "GET", "/api/v1/monitoring/meters?q=" + meter["secondary_address"].get<std::string>());
  EXPECT_EQ(again["items"][0]["valve"], "closed") << again;

  // The concentrator's archive, read through the DTU: the simulated HM-660 was never
  // commissioned, so every meter of the base information is missing from it.
  const Json archive =
      api_json("POST", "/api/v1/reconciliation/archive", R"({"concentrator_id":1})");
  EXPECT_EQ(finished(archive["id"])["status"], "done");
  const Json compared =
      api_json("GET", "/api/v1/reconciliation/archive/" + std::to_string(archive["id"].get<int>()));
  EXPECT_EQ(compared["comparison"]["archived"], 0) << compared;
  EXPECT_EQ(compared["comparison"]["missing_from_archive"].size(), kMeters) << compared;

  // Commissioned from the base information through the DTU: written in slices, read back.
  const Json write =
      api_json("POST", "/api/v1/reconciliation/archive/write", R"({"concentrator_id":1})");
  const Json written = finished(write["id"]);
  EXPECT_EQ(written["status"], "done") << written;
  EXPECT_EQ(written["detail"]["archive_write"]["written"], kMeters) << written;
  EXPECT_EQ(written["detail"]["archive_write"]["verified"], true) << written;
  const Json checked = api_json(
      "GET", "/api/v1/reconciliation/archive/write/" + std::to_string(write["id"].get<int>()));
  EXPECT_EQ(checked["comparison"]["matched"], kMeters) << checked;
  EXPECT_EQ(checked["comparison"]["missing_from_archive"].size(), 0u) << checked;
  const Json reread =
      api_json("POST", "/api/v1/reconciliation/archive", R"({"concentrator_id":1})");
  EXPECT_EQ(finished(reread["id"])["status"], "done");
  EXPECT_EQ(api_json("GET", "/api/v1/reconciliation/archive/" +
                                std::to_string(reread["id"].get<int>()))["comparison"]["matched"],
            kMeters);

  int status = 0;
  EXPECT_TRUE(test::terminate(master_pid, status));
  EXPECT_TRUE(test::terminate(sim, status));
}

}  // namespace
