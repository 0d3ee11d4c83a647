// The GPRS link between a simulated DTU and an in-process server, fault by fault.
#include "heatlink/sim/gprs_link.h"

#include <gtest/gtest.h>

#include <map>

#include "fast_dtu.h"

namespace heatlink::sim {
namespace {

namespace dtu = protocol::dtu;

struct RecordingServer final : ServerEnd {
  void accepted(std::uint64_t connection, std::uint32_t ip, GprsLink&) override {
    open[connection] = ip;
    accepts.push_back(connection);
  }
  void received(std::uint64_t connection, protocol::Bytes bytes) override {
    chunks.push_back({connection, {bytes.begin(), bytes.end()}});
    arrivals.push_back(now ? *now : 0);
  }
  void closed(std::uint64_t connection) override {
    open.erase(connection);
    closes.push_back(connection);
  }
  std::size_t bytes_from(std::uint64_t connection) const {
    std::size_t n = 0;
    for (const auto& [c, b] : chunks) n += c == connection ? b.size() : 0;
    return n;
  }
  std::map<std::uint64_t, std::uint32_t> open;  // connections the server believes are up
  std::vector<std::uint64_t> accepts, closes;
  std::vector<std::pair<std::uint64_t, std::vector<std::uint8_t>>> chunks;
  std::vector<Micros> arrivals;
  const Micros* now = nullptr;
};

using test::fast_dtu;

class GprsLinkTest : public ::testing::Test {
 protected:
  GprsLinkTest() {
    server.now = &now_value;
    dtu.set_serial_sender(
        [this](protocol::Bytes b) { serial.insert(serial.end(), b.begin(), b.end()); });
    link.bind(dtu);
  }

  void run_until(Micros t) {
    while (auto next = queue.next_time()) {
      if (*next > t) break;
      now_value = *next;
      queue.step();
    }
    queue.run_until(t);
    now_value = t;
  }
  void up() {
    dtu.power_on();
    run_until(seconds(10));
    ASSERT_EQ(dtu.state(), BearerState::registered);
    server.chunks.clear();
    server.arrivals.clear();
  }
  std::uint64_t current() const { return *link.connection(); }

  EventQueue queue;
  Micros now_value = 0;
  RecordingServer server;
  Trace trace{true};
  GprsLink link{queue, server, 3, "dtu-1", &trace};
  DtuConfig config = fast_dtu();
  Md109g dtu{queue, config, 3, link, &trace};
  std::vector<std::uint8_t> serial;
};

const std::vector<std::uint8_t> kFrame(100, 0x68);

TEST_F(GprsLinkTest, CarriesRegistrationDataAndServerBytes) {
  dtu.power_on();
  run_until(seconds(10));
  ASSERT_EQ(server.accepts.size(), 1u);
  EXPECT_EQ(server.open.begin()->second, dtu.ip());
  ASSERT_FALSE(server.chunks.empty());
  EXPECT_EQ(std::string(server.chunks[0].second.begin(), server.chunks[0].second.end()),
            "13800138000");
  link.server_send(current(), kFrame);
  run_until(seconds(12));
  EXPECT_EQ(serial, kFrame);
}

TEST_F(GprsLinkTest, LatencyJitterAndBandwidthDelayChunks) {
  up();
  link.start({FaultKind::latency, Direction::up, milliseconds(700), milliseconds(300)});
  link.start({FaultKind::bandwidth, Direction::up, 0, 0, 0, 1.0, 20'000});  // 20 kbit/s
  const Micros sent = now_value;
  dtu.serial_receive(kFrame);
  run_until(seconds(30));
  ASSERT_EQ(server.arrivals.size(), 1u);
  const Micros took = server.arrivals[0] - sent - config.packing_interval;
  EXPECT_GE(took, milliseconds(700) + milliseconds(40));  // 100 bytes at 20 kbit/s: 40 ms
  EXPECT_LE(took, milliseconds(1000) + milliseconds(41));
}

TEST_F(GprsLinkTest, TheSlicerReChunksTheStream) {
  up();
  link.start({FaultKind::slicer, Direction::up, milliseconds(20), 0, 0, 1.0, 30});
  dtu.serial_receive(kFrame);
  run_until(seconds(30));
  ASSERT_EQ(server.chunks.size(), 4u);  // 30 + 30 + 30 + 10
  EXPECT_EQ(server.bytes_from(current()), 100u);
}

TEST_F(GprsLinkTest, ABlackHoleSwallowsOneDirection) {
  up();
  link.start({FaultKind::black_hole, Direction::up});
  dtu.serial_receive(kFrame);
  link.server_send(current(), kFrame);
  run_until(seconds(30));
  EXPECT_TRUE(server.chunks.empty());
  EXPECT_EQ(serial, kFrame);
  EXPECT_EQ(dtu.state(), BearerState::registered);  // nobody noticed
}

TEST_F(GprsLinkTest, AResetClosesBothEndsAndTheDtuComesBackFromANewAddress) {
  up();
  const std::uint64_t first = current();
  const std::uint32_t first_ip = dtu.ip();
  link.start({FaultKind::reset});
  EXPECT_EQ(server.closes, std::vector<std::uint64_t>{first});
  run_until(minutes(2));
  EXPECT_EQ(dtu.state(), BearerState::registered);
  EXPECT_NE(current(), first);
  EXPECT_NE(dtu.ip(), first_ip);
}

TEST_F(GprsLinkTest, CloseAfterBytesCutsTheConnection) {
  up();
  link.start({FaultKind::close_after_bytes, Direction::up, 0, 0, 0, 1.0, 60});
  const std::uint64_t c = current();
  dtu.serial_receive(kFrame);
  run_until(seconds(30));
  EXPECT_EQ(server.bytes_from(c), 60u - 11u);  // 60 in all: the 11-byte registration, then 49
  EXPECT_EQ(server.closes.size(), 1u);
}

TEST_F(GprsLinkTest, LossDuplicationCorruptionAndReordering) {
  up();
  auto id = link.start({FaultKind::loss, Direction::up, 0, 0, 0, 1.0});
  dtu.serial_receive(kFrame);
  run_until(seconds(20));
  EXPECT_TRUE(server.chunks.empty());
  link.stop(id);
  id = link.start({FaultKind::duplicate, Direction::up, 0, 0, 0, 1.0});
  dtu.serial_receive(kFrame);
  run_until(seconds(30));
  EXPECT_EQ(server.chunks.size(), 2u);
  link.stop(id);
  server.chunks.clear();
  id = link.start({FaultKind::corrupt, Direction::up, 0, 0, 0, 0.5});
  dtu.serial_receive(kFrame);
  run_until(seconds(40));
  ASSERT_EQ(server.chunks.size(), 1u);
  EXPECT_NE(server.chunks[0].second, kFrame);
  link.stop(id);
  server.chunks.clear();
  link.start({FaultKind::reorder, Direction::down, 0, 0, 0, 1.0});
  link.server_send(current(), std::vector<std::uint8_t>{1});
  link.server_send(current(), std::vector<std::uint8_t>{2});
  serial.clear();
  run_until(seconds(50));
  EXPECT_EQ(serial, (std::vector<std::uint8_t>{2, 1}));
}

TEST_F(GprsLinkTest, APartitionSilencesBothWaysUntilHealed) {
  up();
  link.start({FaultKind::partition});
  dtu.serial_receive(kFrame);
  link.server_send(current(), kFrame);
  run_until(seconds(30));
  EXPECT_TRUE(server.chunks.empty());
  EXPECT_TRUE(serial.empty());
  link.heal_all();
  EXPECT_TRUE(link.active().empty());
  dtu.serial_receive(kFrame);
  run_until(seconds(40));
  EXPECT_EQ(server.chunks.size(), 1u);
}

TEST_F(GprsLinkTest, ANatIdleTimeoutLeavesTheServerHalfOpenAndTheIdRegistersTwice) {
  config.heartbeat_interval = minutes(30);  // longer than the NAT's patience
  Md109g lazy(queue, config, 3, link, &trace);
  link.bind(lazy);
  lazy.power_on();
  run_until(seconds(10));
  const std::uint64_t first = current();
  link.start({FaultKind::nat_idle_timeout, Direction::both, 0, 0, minutes(10)});
  run_until(minutes(12));
  link.server_send(first, kFrame);  // the server still believes in the connection
  run_until(minutes(13));
  EXPECT_TRUE(serial.empty());
  run_until(minutes(35));  // the heartbeat meets a RST; the DTU reconnects
  EXPECT_EQ(server.accepts.size(), 2u);
  EXPECT_EQ(server.open.count(first), 1u);  // half-open: never closed on the server
  std::size_t registrations = 0;
  for (const auto& [c, b] : server.chunks)
    registrations += std::string(b.begin(), b.end()) == "13800138000";
  EXPECT_EQ(registrations, 2u);
}

TEST_F(GprsLinkTest, PdpLossTellsOnlyTheDtu) {
  up();
  const std::uint64_t c = current();
  link.start({FaultKind::pdp_loss});
  EXPECT_EQ(dtu.state(), BearerState::waiting_to_retry);
  EXPECT_EQ(server.open.count(c), 1u);
}

TEST_F(GprsLinkTest, HeartbeatLossAndDuplicatedRegistration) {
  link.start({FaultKind::duplicate_registration, Direction::up});
  link.start({FaultKind::heartbeat_loss, Direction::up, 0, 0, 0, 1.0});
  dtu.power_on();
  run_until(minutes(10));
  ASSERT_GE(server.chunks.size(), 2u);
  EXPECT_EQ(server.chunks[0].second, server.chunks[1].second);  // the registration, twice
  EXPECT_EQ(server.chunks.size(), 2u);                          // every heartbeat was lost
  EXPECT_GT(dtu.counters().heartbeats, 5u);
}

TEST_F(GprsLinkTest, TheFirstPacketAfterIdleIsLate) {
  up();
  link.start({FaultKind::first_packet_penalty, Direction::up, seconds(2), 0, seconds(30)});
  run_until(now_value + seconds(45));  // idle
  const Micros sent = now_value;
  dtu.serial_receive(kFrame);
  run_until(sent + seconds(10));
  ASSERT_EQ(server.arrivals.size(), 1u);
  EXPECT_GE(server.arrivals[0] - sent, seconds(2));
}

TEST_F(GprsLinkTest, AnOutageHoldsTrafficUntilItEnds) {
  up();
  const auto outage = link.start({FaultKind::outage});
  dtu.serial_receive(kFrame);
  run_until(now_value + seconds(20));
  EXPECT_TRUE(server.chunks.empty());
  link.stop(outage);
  run_until(now_value + seconds(3));
  EXPECT_EQ(server.chunks.size(), 1u);
}

TEST(FaultKinds, HaveNames) {
  EXPECT_EQ(parse_fault_kind("nat_idle_timeout"), FaultKind::nat_idle_timeout);
  EXPECT_STREQ(fault_kind_name(FaultKind::slicer), "slicer");
  EXPECT_FALSE(parse_fault_kind("gremlins").has_value());
}

}  // namespace
}  // namespace heatlink::sim
