// The CJ/T 188 procedures against a scripted meter whose valve takes time to travel.
#include "heatlink/protocol/cjt188_procedures.h"

#include <gtest/gtest.h>

#include "fake_bus.h"

namespace {

namespace link = heatlink::protocol::link;
namespace cjt188 = heatlink::protocol::cjt188;
using heatlink::test::FakeBus;
using Bytes = std::vector<std::uint8_t>;

// One heat meter with a motorised valve that reaches its position after `travel_polls`
// further requests.
class FakeValveMeter {
 public:
  cjt188::Address address = *cjt188::Address::parse("00000012345678");
  cjt188::VendorProfile profile;
  bool open = true;
  bool stuck = false;
  unsigned travel_polls = 2;
  std::optional<bool> target;
  unsigned moving_for = 0;
  std::optional<heatlink::protocol::mbus::TimePoint> clock;

  FakeBus::Answer answer() {
    return [this](const Bytes& bytes) { return on_request(bytes); };
  }

 private:
  std::optional<Bytes> on_request(const Bytes& bytes) {
    const auto request = cjt188::decode_frame(bytes);
    if (!request) return std::nullopt;
    if (!request->address.is_wildcard() && !(request->address == address)) return std::nullopt;
    if (target && ++moving_for >= travel_polls && !stuck) {
      open = *target;
      target.reset();
    }
    cjt188::FrameSpec reply;
    reply.address = address;
    reply.control = static_cast<std::uint8_t>(request->control | cjt188::kReplyBit);
    reply.di = request->di;
    reply.ser = request->ser;
    Bytes payload;
    cjt188::Status status;
    status.st1 = open ? 0x00 : 0x01;
    if (request->function() == cjt188::kReadData && request->di == cjt188::kDiCurrentData) {
      cjt188::HeatData data;
      data.current_heat = 123456;
      data.status = status;
      payload = *cjt188::encode_heat_data(data, profile);
    } else if (request->function() == cjt188::kWriteData && request->di == cjt188::kDiValve) {
      target = request->data[0] == cjt188::kValveOpen;
      moving_for = 0;
      payload = {status.st1, status.st2};
    } else if (request->function() == cjt188::kWriteData && request->di == cjt188::kDiSetTime) {
      clock.emplace();
      payload = {status.st1, status.st2};
    } else if (request->function() == cjt188::kReadAddress) {
    } else {
      reply.control |= cjt188::kErrorBit;
      reply.has_di = false;
      payload = {request->ser, 0x01, 0x00};
    }
    reply.data = payload;
    return (*cjt188::encode_frame(reply, profile)).to_vector();
  }
};

cjt188::ValveOptions polls(link::Micros interval, unsigned max_polls) {
  cjt188::ValveOptions options;
  options.poll_interval = interval;
  options.max_polls = max_polls;
  return options;
}

cjt188::MeterId meter_id(const FakeValveMeter& meter) {
  return {cjt188::kHeatHeating, meter.address, meter.profile};
}

TEST(Cjt188Procedures, ReadsCurrentDataInEitherDiOrder) {
  for (const auto order : {cjt188::DiOrder::high_first, cjt188::DiOrder::low_first}) {
    FakeValveMeter meter;
    meter.profile.di_order = order;
    FakeBus bus(meter.answer());
    bus.chunk = 5;
    cjt188::DataRead read(meter_id(meter));
    link::Exchange exchange(read, link::Timing::serial(2400));
    bus.run(exchange);
    ASSERT_EQ(read.verdict(), link::Verdict::ok) << read.problem();
    const auto frame = cjt188::decode_frame(read.reply());
    ASSERT_TRUE(frame.ok());
    cjt188::Reply reply;
    ASSERT_TRUE(cjt188::decode_reply(*frame, reply));
    EXPECT_FALSE(reply.records.empty());
  }
}

TEST(Cjt188Procedures, AnErrorReplyIsARefusal) {
  FakeValveMeter meter;
  FakeBus bus(meter.answer());
  cjt188::DataRead read(meter_id(meter), 0x1234);
  link::Exchange exchange(read, link::Timing::serial(2400));
  bus.run(exchange);
  EXPECT_EQ(read.verdict(), link::Verdict::refused);
  EXPECT_NE(read.problem().find("refused"), std::string::npos) << read.problem();
}

TEST(Cjt188Procedures, ClosesTheValveAndPollsUntilItHasMoved) {
  FakeValveMeter meter;
  meter.travel_polls = 3;
  FakeBus bus(meter.answer());
  cjt188::ValveCommand close(meter_id(meter), false, polls(2'000'000, 12));
  link::Exchange exchange(close, link::Timing::serial(2400));
  const auto took = bus.run(exchange);
  ASSERT_EQ(close.verdict(), link::Verdict::ok) << close.problem();
  EXPECT_EQ(close.last_seen(), cjt188::Valve::closed);
  EXPECT_EQ(close.polls(), 3u);
  EXPECT_FALSE(meter.open);
  EXPECT_GE(took, 3 * 2'000'000) << "polls wait for the valve";
}

TEST(Cjt188Procedures, AStuckValveIsReportedAfterTheLastPoll) {
  FakeValveMeter meter;
  meter.stuck = true;
  FakeBus bus(meter.answer());
  cjt188::ValveCommand close(meter_id(meter), false, polls(1'000'000, 4));
  link::Exchange exchange(close, link::Timing::serial(2400));
  bus.run(exchange);
  EXPECT_EQ(close.verdict(), link::Verdict::refused);
  EXPECT_EQ(close.problem(), "the valve is still open after 4 polls");
}

TEST(Cjt188Procedures, ReadsTheAddressAtTheWildcardAndSetsTheClock) {
  FakeValveMeter meter;
  FakeBus bus(meter.answer());
  bus.echo = true;  // a level converter that echoes
  cjt188::AddressRead who;
  link::Exchange exchange(who, link::Timing::serial(2400));
  bus.run(exchange);
  ASSERT_EQ(who.verdict(), link::Verdict::ok) << who.problem();
  EXPECT_EQ(who.address()->to_string(), "00000012345678");

  heatlink::protocol::mbus::TimePoint t;
  t.year = 2026;
  t.month = 12;
  t.day = 1;
  t.hour = 8;
  cjt188::TimeSet set(meter_id(meter), t);
  link::Exchange set_exchange(set, link::Timing::serial(2400));
  bus.run(set_exchange);
  EXPECT_EQ(set.verdict(), link::Verdict::ok) << set.problem();
  EXPECT_TRUE(meter.clock.has_value());
}

TEST(Cjt188Procedures, AnotherMetersReplyIsNotTheAnswer) {
  FakeValveMeter meter;
  FakeBus bus([&](const Bytes& request) {
    FakeValveMeter other;
    other.address = *cjt188::Address::parse("00000099999999");
    auto reply = meter.answer()(request);
    auto wrong = other.answer()(cjt188::read_data(0x20, other.address, 0x901F, 0).to_vector());
    wrong->insert(wrong->end(), reply->begin(), reply->end());
    return wrong;
  });
  cjt188::DataRead read(meter_id(meter));
  link::Exchange exchange(read, link::Timing::serial(2400));
  bus.run(exchange);
  EXPECT_EQ(read.verdict(), link::Verdict::ok);
  EXPECT_EQ(cjt188::decode_frame(read.reply())->address.to_string(), "00000012345678");
}

}  // namespace
