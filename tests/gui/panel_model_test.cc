// The panel's model against a real `heatlink sim --control` on loopback (its DTU connects to a
// listening socket here): what it sees of the district, the commands it sends, the traffic it
// follows, and what it says when the simulator is not there. No window, no ImGui.
#include "heatlink/gui/panel_model.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "child_process.h"
#include "heatlink/master/api/api_server.h"
#include "storage_support.h"

namespace heatlink::gui {
namespace {

namespace master = heatlink::master;

std::uint16_t free_port() {
  std::uint16_t port = 0;
  ::close(test::listen_on_loopback(port));
  return port;
}

PanelModel::Options polling(int every_ms) {
  PanelModel::Options o;
  o.poll_every = std::chrono::milliseconds(every_ms);
  o.history = 50;
  return o;
}

// A TCP port that accepts connections (the kernel's backlog) and never answers: enough for
// the simulated DTU to connect and register.
class Listener {
 public:
  Listener() : fd_(test::listen_on_loopback(port_)) {}
  ~Listener() { ::close(fd_); }
  std::uint16_t port() const { return port_; }

 private:
  std::uint16_t port_ = 0;
  int fd_ = -1;
};

class PanelModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    control_ = free_port();
    sim_ = test::spawn({HEATLINK_BIN, "sim", "--topology",
                        HEATLINK_SOURCE_DIR "/scenarios/topologies/master-e2e.yaml", "--server",
                        "127.0.0.1:" + std::to_string(server_.port()), "--control",
                        "127.0.0.1:" + std::to_string(control_), "--pace", "x20"});
    ASSERT_GT(sim_, 0);
    model_ = std::make_unique<PanelModel>("127.0.0.1", control_, polling(100));
    ASSERT_TRUE(until([&] { return model_->snapshot()->attached; }));
  }
  void TearDown() override {
    model_.reset();
    int status = 0;
    test::terminate(sim_, status);
  }

  bool until(const std::function<bool()>& done, int seconds = 30) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  Listener server_;
  std::uint16_t control_ = 0;
  pid_t sim_ = -1;
  std::unique_ptr<PanelModel> model_;
};

TEST_F(PanelModelTest, SeesTheDistrictAsTheSimulatorHasIt) {
  model_->refresh();
  const auto s = model_->snapshot();
  EXPECT_EQ(s->meters.size(), 283u);
  ASSERT_EQ(s->concentrators.size(), 1u);
  ASSERT_EQ(s->dtus.size(), 1u);
  EXPECT_EQ(s->dtus[0].id, "13800000077");
  EXPECT_EQ(s->concentrators[0].dtu, 0u);
  ASSERT_EQ(s->concentrators[0].channels.size(), 2u);
  // Meters hang on the channels in topology order: 20 on ch1, 263 on ch2.
  EXPECT_EQ(s->place_of(0).second->name, "hm660-e2e/ch1");
  EXPECT_EQ(s->place_of(19).second->name, "hm660-e2e/ch1");
  EXPECT_EQ(s->place_of(20).second->name, "hm660-e2e/ch2");
  EXPECT_EQ(s->place_of(282).second->name, "hm660-e2e/ch2");
  EXPECT_EQ(s->place_of(283).second, nullptr);
  EXPECT_EQ(s->meters[20].kind, "cjt188_heat");
  // The DTU registers with the listening port: online.
  ASSERT_TRUE(until([&] { return model_->snapshot()->dtus.at(0).online(); }));
  EXPECT_EQ(model_->snapshot()->state_of_dtu(0), DeviceState::online);
  const double t0 = model_->snapshot()->virtual_time_s;
  EXPECT_TRUE(until([&] { return model_->snapshot()->virtual_time_s > t0 + 5; }))
      << "simulated time runs at x20";
}

// The selected meter's telegram, as it would send it now, split into named fields: the
// identity and the records of an M-Bus RSP_UD, the data of a CJ/T 188 901F reply.
TEST_F(PanelModelTest, TheSelectedMetersTelegramIsDecodedIntoFields) {
  auto field = [](const TelegramView& t, const std::string& name) {
    for (const TelegramField& f : t.fields)
      if (f.name == name) return f;
    return TelegramField{};
  };
  model_->select_meter(0);
  model_->refresh();
  model_->refresh();
  auto telegram = model_->snapshot()->telegram;
  ASSERT_TRUE(telegram.has_value());
  EXPECT_EQ(telegram->protocol, "mbus");
  EXPECT_EQ(telegram->error, "");
  ASSERT_FALSE(telegram->bytes.empty());
  EXPECT_EQ(telegram->bytes[0], 0x68);
  EXPECT_EQ(field(*telegram, "ID").value, model_->snapshot()->meters[0].id);
  EXPECT_EQ(field(*telegram, "ID").offset, 7u);
  EXPECT_EQ(field(*telegram, "C field").value, "RSP_UD");
  bool energy = false;
  for (const TelegramField& f : telegram->fields)
    energy = energy || (f.name.starts_with("energy") && f.value.find("kWh") != std::string::npos);
  EXPECT_TRUE(energy) << "an energy record in kWh";
  // The fields lie inside the telegram, in byte order.
  std::size_t end = 0;
  for (const TelegramField& f : telegram->fields) {
    EXPECT_GE(f.offset, end) << f.name;
    end = f.offset + f.size;
  }
  EXPECT_LE(end, telegram->bytes.size());

  model_->select_meter(20);  // the first CJ/T 188 meter
  model_->refresh();
  model_->refresh();
  telegram = model_->snapshot()->telegram;
  ASSERT_TRUE(telegram.has_value());
  EXPECT_EQ(telegram->protocol, "cjt188");
  EXPECT_EQ(telegram->error, "");
  EXPECT_GE(telegram->fields.size(), 4u);
  EXPECT_FALSE(decode_telegram("mbus", "68 zz").error.empty());
}

TEST_F(PanelModelTest, ALinkFaultStartedHereIsActiveInTheSimulatorAndShownUntilStopped) {
  LinkFaultSpec loss;
  loss.kind = "loss";
  loss.direction = "up";
  loss.probability = 0.3;
  std::string outcome = "pending";
  model_->start_link_fault(0, loss, [&](const std::string& e) { outcome = e; });
  ASSERT_TRUE(until([&] { return outcome != "pending"; }));
  EXPECT_EQ(outcome, "");
  // The simulator says so, on its own API.
  SimLink sim("127.0.0.1", control_);
  const auto faults = sim.call("GET", "/dtus/0/faults");
  ASSERT_TRUE(std::holds_alternative<Json>(faults));
  bool active = false;
  std::int64_t id = 0;
  for (const Json& f : std::get<Json>(faults)["faults"])
    if (f["kind"] == "loss") {
      active = f["direction"] == "up" && f["probability"] == 0.3;
      id = f["id"];
    }
  EXPECT_TRUE(active) << std::get<Json>(faults);
  model_->refresh();
  const auto shown = model_->snapshot()->dtus.at(0).faults;
  ASSERT_TRUE(
      std::any_of(shown.begin(), shown.end(), [](const LinkFault& f) { return f.kind == "loss"; }));
  EXPECT_EQ(model_->snapshot()->state_of_dtu(0) == DeviceState::offline ||
                model_->snapshot()->state_of_dtu(0) == DeviceState::fault,
            true);

  model_->stop_link_fault(0, id);
  model_->refresh();
  model_->refresh();
  const auto after = model_->snapshot()->dtus.at(0).faults;
  EXPECT_FALSE(
      std::any_of(after.begin(), after.end(), [](const LinkFault& f) { return f.kind == "loss"; }));

  // A fault the simulator refuses comes back as the simulator's words.
  LinkFaultSpec bad;
  bad.kind = "gremlins";
  outcome = "pending";
  model_->start_link_fault(0, bad, [&](const std::string& e) { outcome = e; });
  ASSERT_TRUE(until([&] { return outcome != "pending"; }));
  EXPECT_NE(outcome.find("400"), std::string::npos) << outcome;
  const auto log = model_->command_log();
  ASSERT_FALSE(log.empty());
  EXPECT_NE(log.back().find("gremlins"), std::string::npos);
}

TEST_F(PanelModelTest, MeterFaultsTimeAndHealAll) {
  model_->set_meter_faults(3, Json{{"physical", {"low_battery"}}});
  model_->refresh();
  model_->refresh();
  EXPECT_TRUE(model_->snapshot()->meters.at(3).faulty());
  EXPECT_EQ(model_->snapshot()->state_of_meter(3) == DeviceState::fault ||
                model_->snapshot()->state_of_meter(3) == DeviceState::offline,
            true);
  model_->pause(true);
  model_->refresh();
  model_->refresh();
  EXPECT_TRUE(model_->snapshot()->paused);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the pace's last slice ends
  model_->refresh();
  const double frozen = model_->snapshot()->virtual_time_s;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  model_->refresh();
  EXPECT_EQ(model_->snapshot()->virtual_time_s, frozen) << "paused time stands still";
  model_->pause(false);
  model_->heal_all();
  model_->refresh();
  model_->refresh();
  EXPECT_FALSE(model_->snapshot()->paused);
  EXPECT_FALSE(model_->snapshot()->meters.at(3).faulty());
}

TEST_F(PanelModelTest, FollowsTheTrafficAndExportsItAsATrace) {
  ASSERT_TRUE(until([&] { return model_->traffic().received() >= 3; }))
      << "the DTU's connection and heartbeats";
  const auto events = model_->traffic().latest({}, 100);
  ASSERT_FALSE(events.empty());
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const TrafficEvent& e) {
    return e.source == "dtu/13800000077" || e.source == "gprs/13800000077";
  }));
  const auto only_dtu = model_->traffic().latest({"dtu/", false}, 100);
  for (const auto& e : only_dtu)
    EXPECT_TRUE(e.source.find("dtu/") != std::string::npos ||
                e.kind.find("dtu/") != std::string::npos ||
                e.summary.find("dtu/") != std::string::npos);
  std::stringstream trace;
  const std::size_t written = model_->traffic().export_trace(trace, {});
  EXPECT_GE(written, events.size());
  std::string line;
  std::getline(trace, line);
  const Json first = Json::parse(line);
  EXPECT_TRUE(first.contains("t") && first.contains("source") && first.contains("kind")) << line;
}

// The master's management API (the real server, on a SQLite file) beside the simulator: the
// model shows the master's session of the simulated DTU and its concentrator.
TEST_F(PanelModelTest, ShowsTheMastersViewOfTheSameDevices) {
  using test::ok;
  const std::string url = test::fresh_database("sqlite");
  auto storage = ok(master::open_storage(url));
  ok(storage->migrate());
  const auto station = ok(storage->add_station({0, "station-1"}));
  master::ConcentratorRecord hm660;
  hm660.station_id = station;
  hm660.name = "hm660-e2e";
  hm660.dtu_id = "13800000077";
  ok(storage->add_concentrator(hm660));
  const std::string password = *ok(master::api::ensure_administrator(*storage, 1));
  master::api::Environment environment;
  environment.dtus = [] {
    master::DtuState d;
    d.id = "13800000077";
    d.online = true;
    d.remote = "127.0.0.1:40000";
    return std::vector<master::DtuState>{d};
  };
  master::api::Api api(environment);
  // An API token, as an operator makes one (POST /auth/tokens after signing in).
  auto call = [&](const std::string& method, const std::string& target, const Json& body,
                  const std::map<std::string, std::string>& headers = {}) {
    master::api::Request r;
    r.method = method;
    r.target = target;
    r.body = body.dump();
    r.headers = headers;
    return api.handle(r, *storage);
  };
  const auto login =
      call("POST", "/api/v1/auth/login", Json{{"name", "admin"}, {"password", password}});
  ASSERT_EQ(login.status, 200) << login.body;
  std::string cookie;
  for (const auto& [name, value] : login.headers)
    if (name == "Set-Cookie" && value.starts_with("heatlink_session="))
      cookie = value.substr(0, value.find(';'));
  const auto token =
      call("POST", "/api/v1/auth/tokens", Json{{"name", "panel"}},
           {{"cookie", cookie}, {"x-csrf-token", Json::parse(login.body)["csrf_token"]}});
  ASSERT_EQ(token.status, 201) << token.body;
  master::api::ApiServerOptions options;
  options.port = 0;
  master::api::ApiServer server(
      api, [&url] { return master::open_storage(url); }, options);
  ASSERT_EQ(server.start(), "");

  PanelModel::Options watching = polling(100);
  watching.master_host = "127.0.0.1";
  watching.master_port = server.port();
  watching.master_token = Json::parse(token.body)["token"];
  PanelModel model("127.0.0.1", control_, watching);
  ASSERT_TRUE(until([&] {
    const auto s = model.snapshot();
    return s->master && s->master->attached;
  })) << model.snapshot()->master.value_or(MasterView{}).error;
  const MasterView& m = *model.snapshot()->master;
  ASSERT_TRUE(m.dtus.contains("13800000077"));
  EXPECT_TRUE(m.dtus.at("13800000077").online);
  EXPECT_EQ(m.dtus.at("13800000077").remote, "127.0.0.1:40000");
  ASSERT_TRUE(m.concentrators.contains("hm660-e2e"));
  EXPECT_TRUE(m.concentrators.at("hm660-e2e").dtu_online);
  EXPECT_FALSE(m.concentrators.at("hm660-e2e").success_rate()) << "no cycle yet";

  // A wrong token: the master's refusal, not a crash.
  PanelModel::Options wrong = watching;
  wrong.master_token = "hl_wrong";
  PanelModel refused("127.0.0.1", control_, wrong);
  ASSERT_TRUE(until([&] { return refused.snapshot()->master.has_value(); }));
  EXPECT_FALSE(refused.snapshot()->master->attached);
  EXPECT_NE(refused.snapshot()->master->error.find("401"), std::string::npos)
      << refused.snapshot()->master->error;
  server.stop();
}

TEST(PanelModelAlone, SaysWhyItIsNotAttached) {
  PanelModel model("127.0.0.1", free_port(), polling(50));
  model.refresh();
  const auto s = model.snapshot();
  EXPECT_FALSE(s->attached);
  EXPECT_NE(s->error.find("GET /status"), std::string::npos) << s->error;
  TrafficEvent e;
  EXPECT_FALSE(parse_traffic_event("{\"t\":\"soon\"}", e));
  EXPECT_FALSE(parse_traffic_event("not json", e));
  EXPECT_TRUE(parse_traffic_event(R"({"t":1.5,"source":"a/ch1","kind":"reply","hex":"E5"})", e));
  EXPECT_EQ(e.hex, "E5");
}

}  // namespace
}  // namespace heatlink::gui
