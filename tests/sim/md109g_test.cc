// The MD-109G: bearer steps, registration and heartbeats in each convention, packing,
// reconnects from new addresses, reboots, against an in-process server.
#include "heatlink/sim/md109g.h"

#include <gtest/gtest.h>

#include "heatlink/protocol/frame_stream.h"
#include "heatlink/protocol/mbus_request.h"

namespace heatlink::sim {
namespace {

namespace dtu = protocol::dtu;

// The server end of the DTU's connection, in virtual time.
class TestServer final : public Uplink {
 public:
  explicit TestServer(EventQueue& queue) : queue_(queue) {}
  void attach(Md109g& d) { dtu_ = &d; }

  void open(std::uint32_t ip) override {
    opened_from.push_back(ip);
    queue_.schedule_after(milliseconds(300),
                          [this] { refuse ? dtu_->on_connect_failed() : dtu_->on_connected(); });
  }
  void send(protocol::Bytes bytes) override {
    chunks.emplace_back(bytes.begin(), bytes.end());
    // A gateway acknowledges a DDP registration at once.
    if (ack_as && bytes.size() > 2 && bytes[0] == dtu::kDdpMark && bytes[1] == dtu::kDdpRegister) {
      reply(dtu::registration_ack(*ack_as));
    }
  }
  void close() override { ++closes; }
  void abandon() override { ++abandons; }

  void reply(const std::vector<std::uint8_t>& bytes) {
    queue_.schedule_after(milliseconds(500), [this, bytes] { dtu_->on_data(bytes); });
  }
  void reset() { dtu_->on_closed(); }

  std::vector<std::uint8_t> all() const {
    std::vector<std::uint8_t> out;
    for (const auto& c : chunks) out.insert(out.end(), c.begin(), c.end());
    return out;
  }

  std::vector<std::uint32_t> opened_from;
  std::vector<std::vector<std::uint8_t>> chunks;
  int closes = 0, abandons = 0;
  bool refuse = false;
  std::optional<dtu::Profile> ack_as;  // acknowledge DDP registrations as this DTU's server

 private:
  EventQueue& queue_;
  Md109g* dtu_ = nullptr;
};

DtuConfig config_for(dtu::Convention convention) {
  DtuConfig c;
  c.profile = dtu::Profile{convention, "13800138000", "", ""};
  c.heartbeat_interval = seconds(30);
  return c;
}

class Md109gTest : public ::testing::Test {
 protected:
  void make(const DtuConfig& config) {
    dtu_.emplace(queue, config, 7, server, &trace);
    server.attach(*dtu_);
    dtu_->set_serial_sender(
        [this](protocol::Bytes b) { serial.insert(serial.end(), b.begin(), b.end()); });
  }
  Md109g& dtu() { return *dtu_; }

  EventQueue queue;
  TestServer server{queue};
  Trace trace{true};
  std::optional<Md109g> dtu_;
  std::vector<std::uint8_t> serial;
};

TEST_F(Md109gTest, AttachesActivatesConnectsAndRegisters) {
  make(config_for(dtu::Convention::id_on_connect));
  dtu().power_on();
  EXPECT_EQ(dtu().state(), BearerState::attaching);
  queue.run_until(seconds(40));
  EXPECT_EQ(dtu().state(), BearerState::registered);
  ASSERT_EQ(server.opened_from.size(), 1u);
  EXPECT_EQ(server.opened_from[0] & 0xFFC00000u, 0x64400000u);  // 100.64.0.0/10, behind NAT
  ASSERT_FALSE(server.chunks.empty());
  EXPECT_EQ(std::string(server.chunks[0].begin(), server.chunks[0].end()), "13800138000");
}

TEST_F(Md109gTest, HeartbeatsEveryInterval) {
  make(config_for(dtu::Convention::id_on_connect));
  dtu().power_on();
  queue.run_until(seconds(40));
  const auto before = dtu().counters().heartbeats;
  queue.run_until(seconds(40) + minutes(10));
  EXPECT_EQ(dtu().counters().heartbeats - before, 20u);
}

TEST_F(Md109gTest, DdpWaitsForTheServersAck) {
  const DtuConfig c = config_for(dtu::Convention::ddp);
  make(c);
  dtu().power_on();
  while (dtu().state() != BearerState::awaiting_ack && queue.step()) {
  }
  ASSERT_EQ(dtu().state(), BearerState::awaiting_ack);
  server.reply(dtu::registration_ack(c.profile));
  queue.run_until(queue.now() + seconds(1));
  EXPECT_EQ(dtu().state(), BearerState::registered);
}

TEST_F(Md109gTest, DdpWithoutAnAckGivesUpAndRetries) {
  make(config_for(dtu::Convention::ddp));
  dtu().power_on();
  queue.run_until(minutes(2));
  EXPECT_GE(dtu().counters().failures, 1u);
  EXPECT_GE(server.closes, 1);
  queue.run_until(minutes(4));
  EXPECT_GE(server.opened_from.size(), 2u);
}

TEST_F(Md109gTest, PacksSerialBytesSoALongFrameLeavesInTwoChunks) {
  make(config_for(dtu::Convention::id_prefixed));
  dtu().power_on();
  queue.run_until(seconds(40));
  server.chunks.clear();
  std::vector<std::uint8_t> long_frame(261, 0x11);
  dtu().serial_receive(long_frame);
  queue.run_until(seconds(41));
  ASSERT_EQ(server.chunks.size(), 2u);
  EXPECT_EQ(server.chunks[0].size(), 11u + 256u);  // ID + a full packet
  EXPECT_EQ(server.chunks[1].size(), 11u + 5u);
  // A short reply waits for the packing interval, then leaves whole.
  server.chunks.clear();
  dtu().serial_receive(protocol::mbus::req_ud2(1, true).view());
  EXPECT_TRUE(server.chunks.empty());
  queue.run_until(seconds(42));
  ASSERT_EQ(server.chunks.size(), 1u);
}

TEST_F(Md109gTest, PassesServerBytesToTheSerialPort) {
  const DtuConfig c = config_for(dtu::Convention::ddp);
  server.ack_as = c.profile;
  make(c);
  dtu().power_on();
  queue.run_until(seconds(40));
  ASSERT_EQ(dtu().state(), BearerState::registered);
  const auto request = protocol::mbus::req_ud2(5, true);
  server.reply(dtu::server_data(c.profile, request.view()));
  queue.run_until(seconds(42));
  EXPECT_EQ(serial, request.to_vector());
}

TEST_F(Md109gTest, ReconnectsFromANewAddressWithGrowingBackoff) {
  make(config_for(dtu::Convention::id_on_connect));
  dtu().power_on();
  queue.run_until(seconds(40));
  server.reset();
  EXPECT_EQ(dtu().state(), BearerState::waiting_to_retry);
  queue.run_until(minutes(2));
  EXPECT_EQ(dtu().state(), BearerState::registered);
  ASSERT_EQ(server.opened_from.size(), 2u);
  EXPECT_NE(server.opened_from[0], server.opened_from[1]);
  EXPECT_EQ(dtu().counters().registrations, 2u);
}

TEST_F(Md109gTest, ARebootLeavesTheOldConnectionHalfOpenAndRegistersAgain) {
  make(config_for(dtu::Convention::id_on_connect));
  dtu().power_on();
  queue.run_until(seconds(40));
  dtu().serial_receive(protocol::mbus::req_ud2(1, true).view());
  dtu().reboot();
  EXPECT_EQ(server.abandons, 1);
  EXPECT_EQ(server.closes, 0);  // no FIN: the server still holds the socket
  queue.run_until(minutes(2));
  EXPECT_EQ(dtu().state(), BearerState::registered);
  EXPECT_EQ(dtu().counters().registrations, 2u);
  EXPECT_EQ(server.opened_from.size(), 2u);
  // The serial bytes from before the reboot are gone.
  for (const auto& chunk : server.chunks) EXPECT_NE(chunk.size(), 5u);
}

TEST_F(Md109gTest, AFailingBearerRetriesWithBackoffUpToItsLimit) {
  DtuConfig c = config_for(dtu::Convention::id_on_connect);
  c.attach_failure = 1.0;
  make(c);
  dtu().power_on();
  queue.run_until(hours(2));
  EXPECT_EQ(dtu().state() == BearerState::registered, false);
  EXPECT_GT(dtu().counters().failures, 10u);
  EXPECT_LT(dtu().counters().failures, 60u);  // backoff reached its 5-minute ceiling
  EXPECT_TRUE(server.opened_from.empty());
}

TEST_F(Md109gTest, ASerialBufferOverflowLosesBytes) {
  DtuConfig c = config_for(dtu::Convention::id_on_connect);
  c.serial_buffer = 100;
  make(c);
  dtu().power_on();  // not registered yet: bytes wait in the buffer
  dtu().serial_receive(std::vector<std::uint8_t>(150, 0x22));
  EXPECT_EQ(dtu().counters().serial_bytes_lost, 50u);
  queue.run_until(seconds(40));
  ASSERT_GE(server.chunks.size(), 2u);
  EXPECT_EQ(server.chunks[0].size(), 11u);   // the registration
  EXPECT_EQ(server.chunks[1].size(), 100u);  // then what the buffer kept
}

TEST_F(Md109gTest, TheServerDecodesWhatTheDtuSends) {
  for (const auto convention :
       {dtu::Convention::id_on_connect, dtu::Convention::id_prefixed, dtu::Convention::ddp}) {
    SCOPED_TRACE(dtu::convention_name(convention));
    server.chunks.clear();
    const DtuConfig c = config_for(convention);
    server.ack_as = c.profile;
    make(c);
    dtu().power_on();
    queue.run_until(queue.now() + seconds(40));
    ASSERT_EQ(dtu().state(), BearerState::registered);
    const auto reply = protocol::mbus::req_ud2(1, true);  // any serial bytes
    dtu().serial_receive(reply.view());
    queue.run_until(queue.now() + seconds(1));
    dtu::UpstreamDecoder decoder(convention, 11);
    std::vector<std::uint8_t> data;
    bool registered = false;
    for (const auto& e : decoder.feed(server.all())) {
      registered = registered || e.kind == dtu::EventKind::registered;
      if (e.kind == dtu::EventKind::data) data.insert(data.end(), e.bytes.begin(), e.bytes.end());
    }
    EXPECT_TRUE(registered);
    EXPECT_EQ(decoder.id(), "13800138000");
    EXPECT_EQ(data, reply.to_vector());
    dtu_.reset();
  }
}

}  // namespace
}  // namespace heatlink::sim
