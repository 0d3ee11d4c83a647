// The M-Bus segment: wire timing, reply windows, collisions, power, echo and link faults,
// observed from the master's side of the wire.
#include "heatlink/sim/mbus_segment.h"

#include <gtest/gtest.h>

#include <deque>

#include "heatlink/protocol/frame_stream.h"
#include "heatlink/protocol/mbus_request.h"
#include "heatlink/protocol/mbus_telegram.h"
#include "heatlink/sim/wire.h"

namespace heatlink::sim {
namespace {

namespace mbus = protocol::mbus;
namespace cjt188 = protocol::cjt188;

TEST(Wire, TakesElevenBitTimesPerCharacter) {
  EXPECT_EQ(wire_time(261, 2400), 1'196'250);  // REFERENCE.md: 1.196 s
  EXPECT_EQ(wire_time(17, 2400), 77'916);      // 77.9 ms
}

TEST(Wire, AUartReceivesEveryByteOfASingleTransmission) {
  Transmission t{1000, {}};
  for (int b = 0; b < 256; ++b) t.bytes.push_back(static_cast<std::uint8_t>(b));
  EXPECT_EQ(receive_wired_and({t}, 2400), t.bytes);
}

TEST(Wire, AlignedIdenticalRepliesLookValidSkewedOnesGiveGarbage) {
  const Transmission a{0, {0xE5}};
  EXPECT_EQ(receive_wired_and({a, a}, 2400), std::vector<std::uint8_t>{0xE5});
  const Transmission skewed{1'000'000 / 2400 * 3 / 2, {0xE5}};  // 1.5 bit times later
  const auto garbage = receive_wired_and({a, skewed}, 2400);
  EXPECT_NE(garbage, std::vector<std::uint8_t>{0xE5});
  EXPECT_FALSE(garbage.empty());
}

class SegmentTest : public ::testing::Test {
 protected:
  SegmentTest() {
    station.calendar = &calendar;
    station.weather = &weather;
    segment.set_receiver([this](protocol::Bytes b) {
      received.insert(received.end(), b.begin(), b.end());
      arrivals.push_back(clock.now());
    });
  }

  SimulatedMeter& add(MeterKind kind, std::uint32_t id, std::uint8_t primary) {
    MeterIdentity identity;
    identity.id = id;
    identity.primary = primary;
    return meters.emplace_back(kind, identity, HeatMeterModel(Household{}, 0, 100.0), station,
                               clock);
  }

  void send(const protocol::FrameBytes& request) {
    received.clear();
    arrivals.clear();
    sent_at = clock.now();
    segment.transmit(request.view());
    clock.run_until(clock.now() + seconds(3));
  }

  // The frames the master received, in order.
  std::vector<protocol::AnyScanResult> frames() {
    stream = protocol::FrameStream();
    stream.feed(received);
    std::vector<protocol::AnyScanResult> out;
    for (auto r = stream.next(); r.status != mbus::ScanStatus::need_more; r = stream.next()) {
      out.push_back(r);
    }
    return out;
  }

  EventQueue clock;
  Calendar calendar{CivilTime{2026, 1, 10}};
  WeatherProfile weather;
  HeatStation station;
  std::deque<SimulatedMeter> meters;
  Trace trace{true};
  MbusSegment segment{clock, SegmentConfig{"channel-1", 2400, false, 64}, 7, &trace};
  std::vector<std::uint8_t> received;
  std::vector<Micros> arrivals;
  Micros sent_at = 0;
  protocol::FrameStream stream;
};

TEST_F(SegmentTest, AMeterAnswersInsideTheWindow) {
  segment.attach(add(MeterKind::multical403, 0x12345678, 1));
  send(mbus::req_ud2(1, true));
  const auto f = frames();
  ASSERT_EQ(f.size(), 1u);
  ASSERT_EQ(f[0].status, mbus::ScanStatus::complete);
  mbus::Telegram t;
  ASSERT_TRUE(mbus::decode_telegram(f[0].mbus, t));
  EXPECT_EQ(t.id, 0x12345678u);
  // Request on the wire, the reply delay inside [11 bit, 330 bit + 50 ms], the reply on the wire.
  const Micros bit = 1'000'000 / 2400;
  const Micros delay =
      arrivals.at(0) - sent_at - wire_time(5, 2400) - wire_time(received.size(), 2400);
  EXPECT_GE(delay, 11 * bit);
  EXPECT_LE(delay, 330 * bit + milliseconds(50));
}

TEST_F(SegmentTest, AnUnaddressedSegmentStaysSilent) {
  segment.attach(add(MeterKind::multical403, 0x12345678, 1));
  send(mbus::req_ud2(2, true));
  EXPECT_TRUE(received.empty());
}

TEST_F(SegmentTest, DuplicatePrimaryAddressesCollide) {
  segment.attach(add(MeterKind::multical403, 0x11111111, 9));
  segment.attach(add(MeterKind::sharky775, 0x22222222, 9));
  int garbled = 0;
  for (int i = 0; i < 10; ++i) {
    send(mbus::req_ud2(9, i % 2 == 0));
    for (const auto& f : frames()) garbled += f.status == mbus::ScanStatus::invalid;
  }
  EXPECT_GT(garbled, 0);
  EXPECT_NE(
      std::find_if(trace.lines().begin(), trace.lines().end(),
                   [](const std::string& l) { return l.find("|collision|") != std::string::npos; }),
      trace.lines().end());
}

TEST_F(SegmentTest, SeveralMetersMatchingAWildcardAllAnswer) {
  segment.attach(add(MeterKind::multical403, 0x12340001, 1));
  segment.attach(add(MeterKind::multical403, 0x12340002, 2));
  segment.attach(add(MeterKind::multical403, 0x56780003, 3));
  send(mbus::select_secondary(*mbus::SecondaryAddress::parse("1234FFFFFFFFFFFF")));
  EXPECT_GE(received.size(), 1u);
  EXPECT_NE(received, std::vector<std::uint8_t>{0xE5});  // more than one answer: a collision
  send(mbus::select_secondary(*mbus::SecondaryAddress::parse("5678FFFFFFFFFFFF")));
  EXPECT_EQ(received, std::vector<std::uint8_t>{0xE5});
}

TEST_F(SegmentTest, TheConverterMayEchoTheRequest) {
  MbusSegment echoing(clock, SegmentConfig{"echo", 2400, true, 64}, 1);
  echoing.attach(add(MeterKind::multical403, 0x12345678, 1));
  echoing.set_receiver(
      [this](protocol::Bytes b) { received.insert(received.end(), b.begin(), b.end()); });
  echoing.transmit(mbus::req_ud2(1, true).view());
  clock.run_until(seconds(3));
  ASSERT_GT(received.size(), 5u);
  EXPECT_EQ(std::vector<std::uint8_t>(received.begin(), received.begin() + 5),
            mbus::req_ud2(1, true).to_vector());
}

TEST_F(SegmentTest, OverloadAndShortCircuitCutTheBus) {
  segment.attach(add(MeterKind::multical403, 0x12345678, 1), LinkFaults{.unit_loads = 70});
  EXPECT_FALSE(segment.powered());
  send(mbus::req_ud2(1, true));
  EXPECT_TRUE(received.empty());
  segment.link_faults(0).unit_loads = 1;
  segment.set_short_circuit(true);
  send(mbus::req_ud2(1, true));
  EXPECT_TRUE(received.empty());
  segment.set_short_circuit(false);
  EXPECT_FALSE(segment.powered());  // the master re-tests before powering the bus again
  clock.run_until(clock.now() + seconds(8));
  EXPECT_TRUE(segment.powered());
  send(mbus::req_ud2(1, true));
  EXPECT_FALSE(received.empty());
}

TEST_F(SegmentTest, LinkFaultsShowOnTheWire) {
  segment.attach(add(MeterKind::multical403, 0x12345678, 1), LinkFaults{.no_response = 1.0});
  send(mbus::req_ud2(1, true));
  EXPECT_TRUE(received.empty());
  segment.link_faults(0) = LinkFaults{.bad_checksum = true};
  send(mbus::req_ud2(1, false));
  ASSERT_FALSE(frames().empty());
  EXPECT_EQ(frames()[0].error.code, protocol::Errc::bad_checksum);
  segment.link_faults(0) = LinkFaults{.truncated = true};
  send(mbus::req_ud2(1, true));
  for (const auto& f : frames()) EXPECT_NE(f.status, mbus::ScanStatus::complete);
  segment.link_faults(0) = LinkFaults{.late_by = seconds(1)};
  send(mbus::req_ud2(1, false));
  ASSERT_FALSE(arrivals.empty());
  EXPECT_GT(arrivals[0] - sent_at, seconds(1));
  segment.link_faults(0) = LinkFaults{.read_budget = 2};
  send(mbus::req_ud2(1, true));
  send(mbus::req_ud2(1, false));
  EXPECT_FALSE(received.empty());
  send(mbus::req_ud2(1, true));
  EXPECT_TRUE(received.empty());  // the third read of the day is refused
}

TEST_F(SegmentTest, CarriesCjt188AndMbusMetersOnOneWire) {
  SimulatedMeter& cjt = add(MeterKind::cjt188_heat, 0x00123456, 0);
  segment.attach(cjt);
  segment.attach(add(MeterKind::sonometer30, 0x22334455, 4));
  send(cjt188::read_data(cjt188::kHeatHeating, cjt.identity().cjt188_address(),
                         cjt188::kDiCurrentData, 1));
  ASSERT_EQ(frames().size(), 1u);
  EXPECT_EQ(frames()[0].protocol, protocol::Protocol::cjt188);
  send(mbus::req_ud2(4, true));
  ASSERT_EQ(frames().size(), 1u);
  EXPECT_EQ(frames()[0].protocol, protocol::Protocol::mbus);
}

TEST_F(SegmentTest, AMeterAtAnotherBaudRateHearsNothing) {
  segment.attach(add(MeterKind::multical403, 0x12345678, 1));
  send(*mbus::switch_baud(1, 9600));
  EXPECT_EQ(received, std::vector<std::uint8_t>{0xE5});  // acknowledged at the old rate
  send(mbus::req_ud2(1, true));
  EXPECT_TRUE(received.empty());
  segment.set_baud(9600);
  send(mbus::req_ud2(1, true));
  EXPECT_FALSE(received.empty());
}

}  // namespace
}  // namespace heatlink::sim
