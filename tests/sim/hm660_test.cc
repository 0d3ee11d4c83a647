// The HM-660 in transparent mode, driven from its RS-232 side.
#include "heatlink/sim/hm660.h"

#include <gtest/gtest.h>

#include <deque>

#include "heatlink/protocol/frame_stream.h"
#include "heatlink/protocol/mbus_request.h"
#include "heatlink/protocol/mbus_telegram.h"

namespace heatlink::sim {
namespace {

namespace mbus = protocol::mbus;
namespace cjt188 = protocol::cjt188;

class Hm660Test : public ::testing::Test {
 protected:
  Hm660Test() {
    station.calendar = &calendar;
    station.weather = &weather;
    hm660.add_channel(SegmentConfig{"ch1", 2400, false, 64}, 1);
    hm660.add_channel(SegmentConfig{"ch2", 2400, false, 64}, 2);
    hm660.set_rs232_sender(
        [this](protocol::Bytes b) { upstream.insert(upstream.end(), b.begin(), b.end()); });
  }

  SimulatedMeter& add(std::size_t channel, MeterKind kind, std::uint32_t id, std::uint8_t primary,
                      const LinkFaults& faults = {}) {
    MeterIdentity identity;
    identity.id = id;
    identity.primary = primary;
    SimulatedMeter& m =
        meters.emplace_back(kind, identity, HeatMeterModel(Household{}, 0, 50.0), station, clock);
    hm660.attach(channel, m, faults);
    return m;
  }

  std::vector<protocol::AnyScanResult> exchange(const protocol::FrameBytes& request) {
    upstream.clear();
    hm660.receive_rs232(request.view());
    clock.run_until(clock.now() + seconds(5));
    stream = protocol::FrameStream();
    stream.feed(upstream);
    std::vector<protocol::AnyScanResult> out;
    for (auto r = stream.next(); r.status != mbus::ScanStatus::need_more; r = stream.next())
      out.push_back(r);
    return out;
  }

  std::string channel_of_last_request() const {
    for (auto it = trace.lines().rbegin(); it != trace.lines().rend(); ++it) {
      if (it->find("|request|") != std::string::npos) return it->substr(it->find('|') + 1, 3);
    }
    return "";
  }

  EventQueue clock;
  Calendar calendar{CivilTime{2026, 1, 10}};
  WeatherProfile weather;
  HeatStation station;
  Trace trace{true};
  Hm660 hm660{clock, Hm660Config{}, &trace};
  std::deque<SimulatedMeter> meters;
  std::vector<std::uint8_t> upstream;
  protocol::FrameStream stream;
};

TEST_F(Hm660Test, RoutesAPrimaryAddressToItsChannelAndTheReplyBack) {
  add(0, MeterKind::multical403, 0x10000001, 1);
  add(1, MeterKind::sharky775, 0x20000002, 2);
  const auto replies = exchange(mbus::req_ud2(2, true));
  ASSERT_EQ(replies.size(), 1u);
  mbus::Telegram t;
  ASSERT_TRUE(mbus::decode_telegram(replies[0].mbus, t));
  EXPECT_EQ(t.id, 0x20000002u);
  EXPECT_EQ(channel_of_last_request(), "ch2");
}

TEST_F(Hm660Test, SendsUnknownAddressesAndBroadcastsToEveryChannel) {
  add(0, MeterKind::multical403, 0x10000001, 1);
  add(1, MeterKind::multical403, 0x20000002, 2);
  EXPECT_TRUE(exchange(mbus::req_ud2(77, true)).empty());
  int requests = 0;
  for (const auto& l : trace.lines()) requests += l.find("|request|107B4D") != std::string::npos;
  EXPECT_EQ(requests, 2);
}

TEST_F(Hm660Test, FollowsASecondarySelectionToItsChannel) {
  add(0, MeterKind::multical403, 0x10000001, 1);
  add(1, MeterKind::sonometer30, 0x20000002, 2);
  const auto ack =
      exchange(mbus::select_secondary(*mbus::SecondaryAddress::parse("20000002FFFFFFFF")));
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_EQ(ack[0].mbus.type, mbus::FrameType::ack);
  const auto replies = exchange(mbus::req_ud2(mbus::kAddressSelected, true));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(channel_of_last_request(), "ch2");
}

TEST_F(Hm660Test, RoutesCjt188ByAddress) {
  SimulatedMeter& m = add(1, MeterKind::cjt188_heat, 0x00123456, 0);
  const auto replies = exchange(cjt188::read_data(
      cjt188::kHeatHeating, m.identity().cjt188_address(), cjt188::kDiCurrentData, 1));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].protocol, protocol::Protocol::cjt188);
  EXPECT_EQ(channel_of_last_request(), "ch2");
}

TEST_F(Hm660Test, DropsRepliesLaterThanItsTimeout) {
  add(0, MeterKind::multical403, 0x10000001, 1, LinkFaults{.late_by = seconds(3)});
  EXPECT_TRUE(exchange(mbus::req_ud2(1, true)).empty());
}

TEST_F(Hm660Test, WithoutPowerItAnswersNothingAndLosesWhatWasUnderWay) {
  add(0, MeterKind::multical403, 0x10000001, 1);
  hm660.set_powered(false);
  EXPECT_FALSE(hm660.powered());
  EXPECT_TRUE(exchange(mbus::req_ud2(1, true)).empty());
  EXPECT_EQ(channel_of_last_request(), "") << "nothing went onto the M-Bus";

  hm660.set_powered(true);
  ASSERT_EQ(exchange(mbus::req_ud2(1, false)).size(), 1u) << "answers again with the power";

  // The power goes while the meter's reply is on the wire: it never reaches RS-232, not even
  // after the power is back.
  upstream.clear();
  hm660.receive_rs232(mbus::req_ud2(1, true).view());
  clock.run_until(clock.now() + milliseconds(100));
  hm660.set_powered(false);
  hm660.set_powered(true);
  clock.run_until(clock.now() + seconds(5));
  EXPECT_TRUE(upstream.empty());
}

TEST_F(Hm660Test, ForwardsGarbageOnlyWhenConfiguredTo) {
  add(0, MeterKind::multical403, 0x10000001, 1, LinkFaults{.junk = true});
  exchange(mbus::req_ud2(1, true));
  EXPECT_TRUE(upstream.empty());
  Hm660 raw{clock, Hm660Config{.forward_garbage = true}, nullptr};
  raw.add_channel(SegmentConfig{"raw", 2400, false, 64}, 3);
  raw.attach(0, meters.back(), LinkFaults{.junk = true});
  raw.set_rs232_sender(
      [this](protocol::Bytes b) { upstream.insert(upstream.end(), b.begin(), b.end()); });
  raw.receive_rs232(mbus::req_ud2(1, false).view());
  clock.run_until(clock.now() + seconds(5));
  EXPECT_FALSE(upstream.empty());
}

TEST_F(Hm660Test, EachChannelHasItsOwnPowerBudget) {
  add(0, MeterKind::multical403, 0x10000001, 1, LinkFaults{.unit_loads = 80});
  add(1, MeterKind::multical403, 0x20000002, 2);
  EXPECT_TRUE(exchange(mbus::req_ud2(1, true)).empty());
  EXPECT_EQ(exchange(mbus::req_ud2(2, true)).size(), 1u);
}

}  // namespace
}  // namespace heatlink::sim
