// One DTU connection's logic without a socket or a clock: bytes and times in, bytes to send,
// registrations and closes out - the same code the live gateway runs on its sockets and the
// scenario harness on its virtual clock.
#include "heatlink/master/gateway/dtu_connection.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "heatlink/protocol/mbus_procedures.h"

namespace {

namespace master = heatlink::master;
namespace protocol = heatlink::protocol;

constexpr master::Micros kSecond = 1'000'000;

master::GatewayConfig config() {
  master::GatewayConfig c;
  master::DtuModel model;
  model.name = "MD-109G";
  model.heartbeat_interval = master::Seconds(30);
  c.models.push_back(model);
  c.dtus["13800000001"] = "MD-109G";
  return c;
}

protocol::Bytes text(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

class DtuConnectionTest : public ::testing::Test {
 protected:
  DtuConnectionTest() : registry_(config()) {
    master::DtuConnectionHooks hooks;
    hooks.send = [this](std::vector<std::uint8_t> bytes) { sent_.push_back(std::move(bytes)); };
    hooks.registered = [this](const master::DtuModel& model, bool parked) {
      registered_model_ = model.name;
      parked_ = parked;
    };
    hooks.closed = [this](const std::string& reason, bool silent, bool rejected) {
      closed_reason_ = reason;
      silent_ = silent;
      rejected_ = rejected;
    };
    connection_.emplace(registry_, "10.64.0.2:40000", std::move(hooks), 0);
  }

  master::DtuRegistry registry_;
  std::optional<master::DtuConnection> connection_;
  std::vector<std::vector<std::uint8_t>> sent_;
  std::string registered_model_, closed_reason_;
  bool parked_ = false, silent_ = false, rejected_ = false;
};

TEST_F(DtuConnectionTest, AKnownIdRegistersAndHeartbeatsKeepItAlive) {
  EXPECT_EQ(connection_->deadline(), 30 * kSecond);  // the registration timeout
  connection_->on_bytes(text("1380000"), kSecond);   // an ID may come in pieces
  EXPECT_FALSE(connection_->registered());
  connection_->on_bytes(text("0001"), kSecond);
  ASSERT_TRUE(connection_->registered());
  EXPECT_EQ(connection_->id(), "13800000001");
  EXPECT_EQ(registered_model_, "MD-109G");
  EXPECT_FALSE(parked_);
  EXPECT_EQ(connection_->deadline(), kSecond + 90 * kSecond);  // 3 heartbeat intervals
  connection_->on_bytes(text("13800000001"), 60 * kSecond);    // a heartbeat
  EXPECT_EQ(connection_->deadline(), 150 * kSecond);
  connection_->on_timer(149 * kSecond);
  EXPECT_FALSE(connection_->closed());
  connection_->on_timer(150 * kSecond);
  EXPECT_TRUE(connection_->closed());
  EXPECT_TRUE(silent_);
  EXPECT_EQ(closed_reason_, "silent for 3 heartbeat intervals");
  EXPECT_FALSE(connection_->deadline());
}

TEST_F(DtuConnectionTest, AnUnknownIdIsRejected) {
  connection_->on_bytes(text("99999999999"), kSecond);
  EXPECT_TRUE(connection_->closed());
  EXPECT_TRUE(rejected_);
  EXPECT_EQ(closed_reason_, "unknown DTU 99999999999");
}

TEST_F(DtuConnectionTest, NoRegistrationInTimeIsRejected) {
  connection_->on_timer(30 * kSecond);
  EXPECT_TRUE(connection_->closed());
  EXPECT_TRUE(rejected_);
  EXPECT_EQ(closed_reason_, "no registration within 30 s");
}

TEST_F(DtuConnectionTest, AProcedureRunsOverTheLineAndFailsWhenTheConnectionCloses) {
  connection_->on_bytes(text("13800000001"), 0);
  auto ping = std::make_shared<protocol::mbus::RawExchange>(
      std::vector<std::uint8_t>{0x10, 0x40, 0x01, 0x41, 0x16});
  std::optional<master::IoStatus> first, second;
  connection_->enqueue(
      ping, [&](const master::IoStatus& s) { first = s; }, kSecond);
  ASSERT_EQ(sent_.size(), 1u);  // the request went down at once
  EXPECT_EQ(sent_[0], (std::vector<std::uint8_t>{0x10, 0x40, 0x01, 0x41, 0x16}));
  ASSERT_TRUE(connection_->deadline());
  EXPECT_LT(*connection_->deadline(), 90 * kSecond);  // the reply timeout comes first
  auto queued = std::make_shared<protocol::mbus::RawExchange>(
      std::vector<std::uint8_t>{0x10, 0x40, 0x02, 0x42, 0x16});
  connection_->enqueue(
      queued, [&](const master::IoStatus& s) { second = s; }, kSecond);
  EXPECT_EQ(sent_.size(), 1u);  // one at a time
  connection_->on_bytes(std::vector<std::uint8_t>{0xE5}, 2 * kSecond);
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->ok());
  EXPECT_EQ(ping->verdict(), protocol::link::Verdict::ok);
  ASSERT_EQ(sent_.size(), 2u);  // the next one follows
  connection_->close("replaced by a newer connection");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->error,
            "DTU 13800000001: the connection closed (replaced by a newer connection)");
}

// A master whose clock runs 100 times faster (a simulated district, `--time-scale 100`) waits
// a hundredth as long for an answer, never below 15 ms: a meter that does not answer costs the
// cycle the simulated time it costs in the field.
TEST(DtuConnectionTimeScale, TheWaitForAnAnswerRunsWithTheMastersClock) {
  const auto wait_for_answer = [](double scale) {
    master::GatewayConfig c = config();
    c.time_scale = scale;
    master::DtuRegistry registry(c);
    master::DtuConnectionHooks hooks;
    hooks.send = [](std::vector<std::uint8_t>) {};
    hooks.registered = [](const master::DtuModel&, bool) {};
    hooks.closed = [](const std::string&, bool, bool) {};
    master::DtuConnection connection(registry, "10.64.0.2:40000", std::move(hooks), 0);
    connection.on_bytes(text("13800000001"), 0);
    auto ping = std::make_shared<protocol::mbus::RawExchange>(
        std::vector<std::uint8_t>{0x10, 0x40, 0x01, 0x41, 0x16});
    connection.enqueue(
        ping, [](const master::IoStatus&) {}, kSecond);
    return *connection.deadline() - kSecond;
  };
  const master::Micros real = wait_for_answer(1);
  EXPECT_GT(real, 5 * kSecond) << "GPRS latency allowance and the bus at 2400 Bd";
  const master::Micros scaled = wait_for_answer(100);
  EXPECT_LT(scaled, real / 90) << "every part of the wait, the slave's 50 ms too";
  EXPECT_GE(scaled, 15'000);
  EXPECT_GE(wait_for_answer(1e6), 15'000) << "the floor of wall time";
}

// On a master's clock 100 times faster than the wall (a live scenario run: the gateway's
// heartbeat interval is wall time, 0.3 s for the DTU's 30 simulated seconds), a holder heard
// 20 simulated seconds ago is alive: a second device claiming its ID waits as a contender,
// rather than replacing it. Heard 40 simulated seconds ago, it has missed its beat.
// A DTU's connection as the registry sees it.
struct Endpoint final : master::DtuEndpoint {
  explicit Endpoint(std::string from, std::string id = "13800000001")
      : dtu(std::move(id)), address(std::move(from)) {}
  const std::string& id() const override { return dtu; }
  const std::string& remote() const override { return address; }
  bool registered() const override { return has_registered; }
  void close(std::string) override { closed = true; }
  void enqueue(std::shared_ptr<protocol::link::Procedure>, master::ProcedureDone) override {}
  std::string dtu, address;
  bool has_registered = false;
  bool closed = false;
};

// Admitted, then registered, as a connection that sends its ID.
void connect_and_register(master::DtuRegistry& registry, const std::shared_ptr<Endpoint>& e,
                          const master::DtuModel& model, bool parked = false) {
  ASSERT_TRUE(registry.admit(e));
  e->has_registered = true;
  registry.on_registered(e, model, parked);
}

TEST(DtuConnectionTimeScale, AHolderIsAliveByItsHeartbeatOnTheMastersClock) {
  using Clock = std::chrono::system_clock;
  for (const int quiet_s : {20, 40}) {
    Clock::time_point now{std::chrono::seconds(1'797'000'000)};
    master::GatewayConfig c = config();
    c.models[0].heartbeat_interval = master::Seconds(0.3);
    c.time_scale = 100;
    master::DtuRegistry registry(c, {}, [&now] { return now; });
    const auto holder = std::make_shared<Endpoint>("10.64.0.2:40000");
    const auto clone = std::make_shared<Endpoint>("10.64.9.9:40000");
    connect_and_register(registry, holder, c.models[0]);
    now += std::chrono::seconds(quiet_s);
    connect_and_register(registry, clone, c.models[0]);
    const auto state = registry.state("13800000001");
    ASSERT_TRUE(state.has_value());
    if (quiet_s == 20) {
      EXPECT_EQ(state->remote, "10.64.0.2:40000") << "the live holder keeps the ID";
      EXPECT_EQ(state->contested_claims, 1u);
      EXPECT_FALSE(holder->closed);
    } else {
      EXPECT_EQ(state->remote, "10.64.9.9:40000") << "a holder silent past its beat is stale";
      EXPECT_TRUE(holder->closed);
    }
  }
}

// Connections that have not registered get a bounded share of the gateway: beyond
// max_unregistered the oldest of them gives way to a newcomer, beyond
// max_unregistered_per_address the oldest of the newcomer's address; only when every place is
// held by a registered DTU is a newcomer refused.
TEST(DtuRegistryLimits, TheOldestUnregisteredConnectionGivesWayPerGatewayAndPerAddress) {
  master::GatewayConfig c = config();
  c.max_connections = 6;
  c.max_unregistered = 4;
  c.max_unregistered_per_address = 2;
  master::DtuRegistry registry(c);
  auto from = [](const char* address) { return std::make_shared<Endpoint>(address); };
  const auto a1 = from("10.0.0.9:1"), a2 = from("10.0.0.9:2"), b1 = from("10.0.0.5:1");
  for (const auto& e : {a1, a2, b1}) ASSERT_TRUE(registry.admit(e));
  const auto a3 = from("10.0.0.9:3");
  ASSERT_TRUE(registry.admit(a3));
  EXPECT_TRUE(a1->closed) << "the oldest of its address gave way";
  EXPECT_FALSE(a2->closed);
  EXPECT_FALSE(b1->closed) << "another address keeps its place";
  const auto c1 = from("10.0.0.7:1"), d1 = from("10.0.0.8:1");
  ASSERT_TRUE(registry.admit(c1));  // a2, b1, a3, c1 wait: the gateway's share is full
  ASSERT_TRUE(registry.admit(d1));
  EXPECT_TRUE(a2->closed) << "the oldest of all gave way";
  EXPECT_EQ(registry.stats().evicted, 2u);
  registry.on_closed(*a1, "gave way", false, false);
  registry.on_closed(*a2, "gave way", false, false);

  // Six registered DTUs hold every place: a newcomer is refused, no DTU gives way.
  master::DtuRegistry full(c);
  std::vector<std::shared_ptr<Endpoint>> dtus;
  for (int i = 0; i < 6; ++i) {
    dtus.push_back(std::make_shared<Endpoint>("10.0.1." + std::to_string(i) + ":1",
                                              "1380000010" + std::to_string(i)));
    connect_and_register(full, dtus.back(), c.models[0]);
  }
  EXPECT_FALSE(full.admit(from("10.0.0.9:4")));
  EXPECT_EQ(full.stats().refused, 1u);
  for (const auto& d : dtus) EXPECT_FALSE(d->closed);
}

// Park mode keeps unknown DTUs up to max_parked: the one offline longest is forgotten for a
// new one; while every parked DTU is online, a new unknown ID is refused.
TEST(DtuRegistryLimits, ParkedDtusAreBoundedTheOldestOfflineForgotten) {
  master::GatewayConfig c = config();
  c.unknown = master::UnknownDtus::park;
  c.max_parked = 2;
  master::DtuRegistry registry(c);
  const auto a = std::make_shared<Endpoint>("10.0.0.1:1", "77700000001");
  const auto b = std::make_shared<Endpoint>("10.0.0.2:1", "77700000002");
  connect_and_register(registry, a, c.models[0], true);
  connect_and_register(registry, b, c.models[0], true);
  registry.on_closed(*a, "the DTU closed the connection", false, false);
  const auto n = std::make_shared<Endpoint>("10.0.0.3:1", "77700000003");
  connect_and_register(registry, n, c.models[0], true);
  EXPECT_FALSE(registry.state("77700000001").has_value()) << "offline longest: forgotten";
  EXPECT_TRUE(registry.state("77700000002").has_value());
  EXPECT_TRUE(registry.state("77700000003").has_value());
  EXPECT_EQ(registry.stats().parked, 2u);
  EXPECT_EQ(registry.stats().parked_forgotten, 1u);
  const auto d = std::make_shared<Endpoint>("10.0.0.4:1", "77700000004");
  connect_and_register(registry, d, c.models[0], true);
  EXPECT_TRUE(d->closed) << "every parked DTU is online: no place";
  registry.on_closed(*d, "refused", false, true);
  EXPECT_FALSE(registry.state("77700000004").has_value());
  EXPECT_EQ(registry.stats().parked, 2u);
  // A known ID comes back: it is no stranger to forget.
  b->has_registered = true;
  registry.on_closed(*b, "the DTU closed the connection", false, false);
  const auto b2 = std::make_shared<Endpoint>("10.0.0.2:2", "77700000002");
  connect_and_register(registry, b2, c.models[0], true);
  EXPECT_TRUE(registry.state("77700000002")->online);
  EXPECT_EQ(registry.stats().parked, 2u);
}

}  // namespace
