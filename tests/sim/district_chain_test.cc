// The whole chain in virtual time: server <-GPRS-> MD-109G <-RS-232-> HM-660 <-M-Bus-> meter.
#include <gtest/gtest.h>

#include <map>

#include "heatlink/protocol/frame_stream.h"
#include "heatlink/protocol/mbus_request.h"
#include "heatlink/protocol/mbus_telegram.h"
#include "heatlink/sim/district.h"

namespace heatlink::sim {
namespace {

namespace dtu = protocol::dtu;
namespace mbus = protocol::mbus;

constexpr std::string_view kDistrict = R"(
stations:
  - concentrators:
      - name: hm-a
        rs232_baud: 9600
        dtu: {id: "13800000001", convention: id_on_connect, heartbeat_s: 30, link: gprs}
        channels:
          - meters: [{kind: multical403, count: 2, id: 10000001, primary: 1}]
      - name: hm-b
        dtu: {id: "13800000002", convention: ddp, heartbeat_s: 30, link: good}
        channels:
          - meters: [{kind: sharky775, count: 1, id: 20000001, primary: 5}]
)";

// A gateway in miniature: learns IDs, acknowledges DDP, collects serial bytes per DTU.
struct Gateway final : ServerEnd {
  struct Session {
    std::optional<dtu::UpstreamDecoder> decoder;
    std::vector<std::uint8_t> serial;
    std::size_t heartbeats = 0;
    GprsLink* link = nullptr;
  };
  void accepted(std::uint64_t c, std::uint32_t, GprsLink& link) override {
    sessions[c].link = &link;
  }
  void received(std::uint64_t c, protocol::Bytes bytes) override {
    Session& s = sessions[c];
    if (!s.decoder) {
      // The first byte tells the convention in this little district: DDP starts with 7B.
      s.decoder.emplace(
          bytes[0] == dtu::kDdpMark ? dtu::Convention::ddp : dtu::Convention::id_on_connect, 11);
    }
    for (const dtu::Event& e : s.decoder->feed(bytes)) {
      if (e.kind == dtu::EventKind::registered) {
        ids[e.id] = c;
        if (bytes[0] == dtu::kDdpMark)
          s.link->server_send(c, dtu::registration_ack({dtu::Convention::ddp, e.id, "", ""}));
      } else if (e.kind == dtu::EventKind::heartbeat) {
        ++s.heartbeats;
      } else if (e.kind == dtu::EventKind::data) {
        s.serial.insert(s.serial.end(), e.bytes.begin(), e.bytes.end());
      }
    }
  }
  void closed(std::uint64_t c) override { sessions.erase(c); }

  std::map<std::uint64_t, Session> sessions;
  std::map<std::string, std::uint64_t> ids;
};

TEST(DistrictChain, AServerReadsMetersThroughDtusAndConcentrators) {
  Gateway gateway;
  District d(std::get<Topology>(parse_topology(kDistrict, "chain.yaml")), 4, nullptr, &gateway);
  ASSERT_EQ(d.dtu_count(), 2u);
  d.power_on_dtus();
  d.queue().run_until(minutes(2));
  ASSERT_EQ(gateway.ids.size(), 2u);
  EXPECT_EQ(d.dtu(0).state(), BearerState::registered);
  EXPECT_EQ(d.dtu(1).state(), BearerState::registered);

  // Read meter 2 behind hm-a, and meter 5 behind hm-b (DDP-wrapped).
  const std::uint64_t a = gateway.ids.at("13800000001");
  const std::uint64_t b = gateway.ids.at("13800000002");
  EXPECT_NE(a, b);  // connection ids are unique across the district's links
  gateway.sessions.at(a).link->server_send(a, mbus::req_ud2(2, true).view());
  gateway.sessions.at(b).link->server_send(
      b, dtu::server_data({dtu::Convention::ddp, "13800000002", "", ""},
                          mbus::req_ud2(5, true).view()));
  d.queue().run_until(minutes(2) + seconds(20));
  for (const auto& [connection, id] :
       std::map<std::uint64_t, std::uint32_t>{{a, 0x10000002u}, {b, 0x20000001u}}) {
    const auto& serial = gateway.sessions.at(connection).serial;
    const auto frame = mbus::decode_frame(serial);
    ASSERT_TRUE(frame.ok()) << protocol::to_hex(serial);
    mbus::Telegram t;
    ASSERT_TRUE(mbus::decode_telegram(*frame, t));
    EXPECT_EQ(t.id, id);
  }
  d.queue().run_until(minutes(10));
  EXPECT_GE(gateway.sessions.at(a).heartbeats, 10u);
}

TEST(DistrictChain, ATopologyNamesDtuMistakes) {
  const auto bad = parse_topology(
      "stations:\n- concentrators:\n  - dtu: {id: '123', convention: ddp}\n    channels: []\n",
      "bad.yaml");
  ASSERT_TRUE(std::holds_alternative<TopologyError>(bad));
  EXPECT_EQ(std::get<TopologyError>(bad).key, "id");
  EXPECT_NE(std::get<TopologyError>(bad).message.find("11 bytes"), std::string::npos);
}

}  // namespace
}  // namespace heatlink::sim
