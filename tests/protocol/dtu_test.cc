// DTU conventions: packets as they go on the wire, and the server-side decoder under any
// chunking, with every event a gateway needs.
#include "heatlink/protocol/dtu.h"

#include <gtest/gtest.h>

#include "test_frames.h"

namespace heatlink::protocol::dtu {
namespace {

using testing::hex;

const Profile kDdp{Convention::ddp, "13800138000", "", ""};
const Profile kOnConnect{Convention::id_on_connect, "13800138000", "HB", ""};
const Profile kPrefixed{Convention::id_prefixed, "860000000000001", "", ""};

TEST(Dtu, DdpPacketsHaveTheirWireForm) {
  EXPECT_EQ(to_hex(registration(kDdp, 0x0A000001, 5000)),
            "7B010016"
            "3133383030313338303030"
            "0A000001"
            "1388"
            "7B");
  EXPECT_EQ(to_hex(registration_ack(kDdp)),
            "7B810010"
            "3133383030313338303030"
            "7B");
  EXPECT_EQ(to_hex(data_packet(kDdp, hex("10 5B 01 5C 16"))),
            "7B090015"
            "3133383030313338303030"
            "105B015C16"
            "7B");
  EXPECT_EQ(to_hex(server_data(kDdp, hex("E5"))),
            "7B890011"
            "3133383030313338303030"
            "E5"
            "7B");
  EXPECT_EQ(to_hex(logout(kDdp)),
            "7B820010"
            "3133383030313338303030"
            "7B");
}

TEST(Dtu, TransparentConventionsWrapLittle) {
  EXPECT_EQ(registration(kOnConnect),
            std::vector<std::uint8_t>(kOnConnect.id.begin(), kOnConnect.id.end()));
  EXPECT_EQ(to_hex(heartbeat(kOnConnect)), "4842");
  EXPECT_EQ(to_hex(data_packet(kOnConnect, hex("E5"))), "E5");
  EXPECT_EQ(to_hex(data_packet(kPrefixed, hex("E5"))), to_hex(registration(kPrefixed)) + "E5");
  EXPECT_EQ(server_data(kPrefixed, hex("E5")), hex("E5"));
}

// The MD-109G's custom registration packet with a key: "ID#key", and the same packet as its
// heartbeat unless it has its own.
TEST(Dtu, ARegistrationCarriesTheKeyAfterTheId) {
  const Profile keyed{Convention::id_on_connect, "13800138000", "", "k3Y9"};
  EXPECT_EQ(registration(keyed),
            (std::vector<std::uint8_t>{'1', '3', '8', '0', '0', '1', '3', '8', '0', '0', '0', '#',
                                       'k', '3', 'Y', '9'}));
  EXPECT_EQ(heartbeat(keyed), registration(keyed));
  EXPECT_TRUE(keyed.problem().empty());
  EXPECT_FALSE((Profile{Convention::ddp, "13800138000", "", "k"}).problem().empty());
  EXPECT_FALSE((Profile{Convention::id_on_connect, "1380#138000", "", ""}).problem().empty());
  EXPECT_FALSE((Profile{Convention::id_on_connect, "13800138000", "", "a#b"}).problem().empty());
  EXPECT_FALSE((Profile{Convention::id_on_connect, "13800138000", "", std::string(65, 'k')})
                   .problem()
                   .empty());
}

TEST(Dtu, ProfilesCheckTheirIds) {
  EXPECT_TRUE(kDdp.problem().empty());
  EXPECT_FALSE((Profile{Convention::ddp, "123", "", ""}).problem().empty());
  EXPECT_FALSE((Profile{Convention::id_on_connect, "", "", ""}).problem().empty());
  EXPECT_FALSE(
      (Profile{Convention::id_on_connect, std::string(41, '1'), "", ""}).problem().empty());
  EXPECT_EQ(*parse_convention("ddp"), Convention::ddp);
  EXPECT_FALSE(parse_convention("prot").ok());
}

// The events of a stream, data merged between the other events, so that chunkings compare.
std::vector<std::string> events_of(const Profile& p, const std::vector<std::uint8_t>& stream,
                                   std::size_t chunk) {
  UpstreamDecoder decoder(p.convention, p.registration_text().size(), p.heartbeat);
  std::vector<std::string> out;
  for (std::size_t at = 0; at < stream.size(); at += chunk) {
    const Bytes piece = Bytes{stream}.subspan(at, std::min(chunk, stream.size() - at));
    for (const Event& e : decoder.feed(piece)) {
      std::string text = std::string(event_name(e.kind)) + ":" + e.id + ":" + to_hex(e.bytes);
      if (e.kind == EventKind::data && !out.empty() && out.back().rfind("data:", 0) == 0) {
        out.back() += to_hex(e.bytes);
      } else {
        out.push_back(text);
      }
    }
  }
  return out;
}

std::vector<std::uint8_t> session(const Profile& p) {
  std::vector<std::uint8_t> s;
  auto add = [&s](const std::vector<std::uint8_t>& b) { s.insert(s.end(), b.begin(), b.end()); };
  add(registration(p, 0x0A000001, 5000));
  add(data_packet(p, hex("68 03 03 68 08 01 72 7B 16")));  // a 7B inside the data
  add(heartbeat(p));
  add(data_packet(p, hex("E5")));
  if (p.convention == Convention::ddp) add(logout(p));
  return s;
}

TEST(Dtu, DecodesADdpSession) {
  const auto events = events_of(kDdp, session(kDdp), 1 << 20);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0], "registered:13800138000:");
  EXPECT_EQ(events[1], "data:13800138000:680303680801727B16");
  EXPECT_EQ(events[2], "heartbeat:13800138000:");
  EXPECT_EQ(events[3], "data:13800138000:E5");
  EXPECT_EQ(events[4], "logout:13800138000:");
}

TEST(Dtu, DecodesAnIdOnConnectSessionWithHeartbeats) {
  const auto events = events_of(kOnConnect, session(kOnConnect), 1 << 20);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0], "registered:13800138000:");
  EXPECT_EQ(events[1], "data:13800138000:680303680801727B16");
  EXPECT_EQ(events[2], "heartbeat:13800138000:");
  EXPECT_EQ(events[3], "data:13800138000:E5");
}

TEST(Dtu, DecodesAnIdPrefixedSession) {
  const auto events = events_of(kPrefixed, session(kPrefixed), 1 << 20);
  // Every packet start is a sign of life; the data is what follows the ID.
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[0], "registered:860000000000001:");
  EXPECT_EQ(events[1], "heartbeat:860000000000001:");
  EXPECT_EQ(events[2], "data:860000000000001:680303680801727B16");
  EXPECT_EQ(events[5], "data:860000000000001:E5");
}

// An id_prefixed DTU with a key prefixes every packet with "ID#key": each packet carries it,
// so a connection that knows only the ID cannot slip a packet in.
TEST(Dtu, AKeyedIdPrefixedDtuPrefixesEveryPacketWithIdAndKey) {
  const Profile keyed{Convention::id_prefixed, "860000000000001", "", "k3Y9"};
  EXPECT_TRUE(keyed.problem().empty()) << keyed.problem();
  EXPECT_EQ(to_hex(data_packet(keyed, hex("E5"))), to_hex(registration(keyed)) + "E5");
  EXPECT_EQ(registration(keyed), heartbeat(keyed));
  const std::string prefix = "860000000000001#k3Y9";
  EXPECT_EQ(registration(keyed), std::vector<std::uint8_t>(prefix.begin(), prefix.end()));
  const auto events = events_of(keyed, session(keyed), 1 << 20);
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[0], "registered:" + prefix + ":");
  EXPECT_EQ(events[2], "data:" + prefix + ":680303680801727B16");
  EXPECT_EQ(events[5], "data:" + prefix + ":E5");
  const std::string ddp_problem = Profile{Convention::ddp, "13800138000", "", "k"}.problem();
  EXPECT_NE(ddp_problem.find("DDP registration carries no key"), std::string::npos);
}

TEST(Dtu, GivesTheSameEventsWhateverTheChunking) {
  for (const Profile& p : {kDdp, kOnConnect, kPrefixed}) {
    const auto stream = session(p);
    const auto whole = events_of(p, stream, stream.size());
    for (const std::size_t chunk : {1u, 2u, 3u, 5u, 17u}) {
      EXPECT_EQ(events_of(p, stream, chunk), whole)
          << convention_name(p.convention) << " chunk " << chunk;
    }
  }
}

TEST(Dtu, DdpGarbageIsReportedAndTheStreamResynchronises) {
  std::vector<std::uint8_t> stream = hex("00 11 7B 01 00 02");  // noise and a broken header
  const auto good = data_packet(kDdp, hex("E5"));
  stream.insert(stream.end(), good.begin(), good.end());
  UpstreamDecoder decoder(Convention::ddp, 11);
  const auto events = decoder.feed(stream);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events[0].kind, EventKind::invalid);
  EXPECT_EQ(events[0].error.code, Errc::bad_start);
  EXPECT_EQ(events[1].kind, EventKind::invalid);
  EXPECT_EQ(events[1].error.code, Errc::bad_length);
  EXPECT_EQ(events.back().kind, EventKind::data);
  EXPECT_EQ(events.back().bytes, hex("E5"));
}

TEST(Dtu, DdpDtuReadsTheServersPackets) {
  DownstreamDecoder decoder(Convention::ddp);
  std::vector<std::uint8_t> stream = registration_ack(kDdp);
  const auto data = server_data(kDdp, hex("10 5B 01 5C 16"));
  stream.insert(stream.end(), data.begin(), data.end());
  std::vector<Event> events;
  for (const std::uint8_t b : stream) {
    for (auto& e : decoder.feed(Bytes{&b, 1})) events.push_back(std::move(e));
  }
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, EventKind::ack);
  EXPECT_EQ(events[1].kind, EventKind::data);
  EXPECT_EQ(events[1].bytes, hex("10 5B 01 5C 16"));
  DownstreamDecoder transparent(Convention::id_on_connect);
  EXPECT_EQ(transparent.feed(hex("7B 89")).at(0).bytes, hex("7B 89"));
}

}  // namespace
}  // namespace heatlink::protocol::dtu
