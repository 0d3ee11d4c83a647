// The Exchange: bytes and time in, outcomes out - echo removal, framing across any chunking,
// response timeouts, retries with the same bytes.
#include "heatlink/protocol/link.h"

#include <gtest/gtest.h>

#include "fake_bus.h"
#include "heatlink/protocol/cjt188.h"
#include "heatlink/protocol/mbus_procedures.h"
#include "heatlink/protocol/mbus_request.h"

namespace {

namespace link = heatlink::protocol::link;
namespace mbus = heatlink::protocol::mbus;
namespace cjt188 = heatlink::protocol::cjt188;
using heatlink::test::FakeBus;
using Bytes = std::vector<std::uint8_t>;

const Bytes kLongReply = [] {
  // An RSP_UD from address 5 with 40 data bytes.
  Bytes data(40, 0x00);
  return (*mbus::encode_long(0x08, 5, 0x78, data)).to_vector();
}();

double seconds(link::Micros t) {
  return static_cast<double>(t) / 1e6;
}

mbus::ReadOptions with_retries(unsigned retries) {
  mbus::ReadOptions options;
  options.retries = retries;
  return options;
}

TEST(Timing, FollowsTheWireAndTheSlaveWindow) {
  // libmbus waits 0.3 s at 2400 Bd and 1.3 s at 300 Bd on a local port.
  EXPECT_NEAR(seconds(link::Timing::serial(2400).response_timeout(5)), 0.3, 0.02);
  EXPECT_NEAR(seconds(link::Timing::serial(300).response_timeout(5)), 1.43, 0.1);
  EXPECT_NEAR(seconds(link::Timing::serial(9600).response_timeout(5)), 0.18, 0.03);
  // A 17-byte selection frame takes 77.9 ms on the wire at 2400 Bd.
  EXPECT_NEAR(seconds(link::Timing::serial(2400).wire_time(17)) * 1e3, 77.9, 0.1);
  // A GPRS path needs seconds, a TCP converter more than a local port.
  EXPECT_GE(link::Timing::gprs(2400).response_timeout(5), 5'000'000);
  EXPECT_GT(link::Timing::tcp_converter(2400).response_timeout(5),
            link::Timing::serial(2400).response_timeout(5));
  link::Timing fixed = link::Timing::serial(2400);
  fixed.fixed_timeout = 50'000;
  EXPECT_EQ(fixed.response_timeout(200), 50'000);
}

struct Chunking {
  std::size_t chunk;
  bool echo;
};

class AnyChunking : public ::testing::TestWithParam<Chunking> {};

TEST_P(AnyChunking, TheAnswerIsTheSameFrame) {
  FakeBus bus([](const Bytes&) { return kLongReply; });
  bus.chunk = GetParam().chunk;
  bus.echo = GetParam().echo;
  mbus::RawExchange raw(mbus::req_ud2(5, true).to_vector());
  link::Exchange exchange(raw, link::Timing::serial(2400));
  bus.run(exchange);
  ASSERT_EQ(raw.verdict(), link::Verdict::ok) << raw.problem();
  EXPECT_EQ(raw.outcome().frame, kLongReply);
  EXPECT_EQ(raw.outcome().received, kLongReply) << "the echo was not removed";
  EXPECT_FALSE(raw.outcome().noise);
}

INSTANTIATE_TEST_SUITE_P(Chunks, AnyChunking,
                         ::testing::Values(Chunking{1, false}, Chunking{1, true}, Chunking{2, true},
                                           Chunking{3, false}, Chunking{7, true},
                                           Chunking{13, true}, Chunking{1000, false},
                                           Chunking{1000, true}));

TEST(Exchange, AReplyThatBeginsLikeItsRequestIsNotMistakenForAnEcho) {
  // CJ/T 188 answers start with the request's own bytes: FE FE 68 T A0..A6.
  const auto address = *cjt188::Address::parse("00000012345678");
  const Bytes request = cjt188::read_data(0x20, address, cjt188::kDiCurrentData, 0).to_vector();
  cjt188::FrameSpec spec;
  spec.address = address;
  spec.control = cjt188::kReadData | cjt188::kReplyBit;
  const std::uint8_t data[] = {0x01, 0x02};
  spec.data = data;
  const Bytes reply = (*cjt188::encode_frame(spec, {})).to_vector();
  for (const bool echo : {false, true}) {
    FakeBus bus([&](const Bytes&) { return reply; });
    bus.echo = echo;
    bus.chunk = 4;
    mbus::RawExchange raw(request);
    link::Exchange exchange(raw, link::Timing::serial(2400));
    bus.run(exchange);
    ASSERT_EQ(raw.verdict(), link::Verdict::ok) << raw.problem();
    EXPECT_EQ(raw.outcome().frame, reply) << "echo " << echo;
  }
}

TEST(Exchange, RetriesWithTheSameBytesAfterSilence) {
  int asked = 0;
  FakeBus bus([&](const Bytes&) -> std::optional<Bytes> {
    if (++asked < 3) return std::nullopt;
    return kLongReply;
  });
  mbus::MeterRead read(*mbus::Target::parse("5"), with_retries(3));
  link::Exchange exchange(read, link::Timing::serial(2400));
  bus.run(exchange);
  // SND_NKE asked three times (two silences), then REQ_UD2 once.
  ASSERT_EQ(bus.requests.size(), 4u);
  EXPECT_EQ(bus.requests[0], bus.requests[1]);
  EXPECT_EQ(bus.requests[1], bus.requests[2]);
}

TEST(Exchange, ALateReplyIsSilenceAndDoesNotAnswerTheNextRequest) {
  // REQ_UD2 to 5 is answered after 0.4 s, beyond its 0.3 s; the SND_NKE to 6 that follows is
  // answered after the late telegram has landed in its wait.
  FakeBus bus([](const Bytes& request) -> std::optional<Bytes> {
    if (request == mbus::snd_nke(6).to_vector()) return Bytes{0xE5};
    return kLongReply;
  });
  bus.delay_for = [](const Bytes& request) -> link::Micros {
    return request == mbus::snd_nke(6).to_vector() ? 250'000 : 400'000;
  };
  struct TwoRequests : link::ProcedureBase {
    std::vector<link::Outcome> outcomes;
    std::optional<link::Request> next() override {
      link::Request r;
      if (outcomes.size() == 2) return std::nullopt;
      r.bytes = (outcomes.empty() ? mbus::req_ud2(5, true) : mbus::snd_nke(6)).to_vector();
      r.expect = outcomes.empty() ? link::Expect::mbus_reply : link::Expect::ack;
      r.mbus_address = outcomes.empty() ? 5 : 6;
      return r;
    }
    void on_outcome(const link::Request&, const link::Outcome& o) override {
      outcomes.push_back(o);
    }
  } procedure;
  link::Exchange exchange(procedure, link::Timing::serial(2400));
  bus.run(exchange);
  ASSERT_EQ(procedure.outcomes.size(), 2u);
  EXPECT_EQ(procedure.outcomes[0].kind, link::OutcomeKind::silent);
  EXPECT_EQ(procedure.outcomes[1].kind, link::OutcomeKind::answered);
  EXPECT_EQ(procedure.outcomes[1].frame, Bytes{0xE5});
  EXPECT_TRUE(procedure.outcomes[1].noise) << "the late telegram was heard, and set aside";
}

// Scripted requests, one after another, and what each brought.
struct Script : link::ProcedureBase {
  std::vector<link::Request> requests;
  std::vector<link::Outcome> outcomes;
  std::optional<link::Request> next() override {
    if (outcomes.size() == requests.size()) return std::nullopt;
    return requests[outcomes.size()];
  }
  void on_outcome(const link::Request&, const link::Outcome& o) override { outcomes.push_back(o); }
};

link::Request req_ud2_to_5(unsigned patience = 1) {
  link::Request r;
  r.bytes = mbus::req_ud2(5, true).to_vector();
  r.mbus_address = 5;
  r.patience = patience;
  return r;
}

TEST(Exchange, APatientRequestWaitsLongerAndBytesBetweenRequestsMarkTheNextOutcomeLate) {
  // The telegram comes 0.4 s after each REQ_UD2, beyond the 0.3 s a 2400 Bd serial line
  // allows: the first request gives up on it; it lands while the second waits out a delay
  // (late, the second's outcome says); the second, twice as patient, gets its own.
  FakeBus bus([](const Bytes&) -> std::optional<Bytes> { return kLongReply; });
  bus.delay = 400'000;
  Script script;
  script.requests = {req_ud2_to_5(), req_ud2_to_5(2)};
  script.requests[1].delay = 500'000;
  link::Exchange exchange(script, link::Timing::serial(2400));
  bus.run(exchange);
  ASSERT_EQ(script.outcomes.size(), 2u);
  EXPECT_EQ(script.outcomes[0].kind, link::OutcomeKind::silent);
  EXPECT_FALSE(script.outcomes[0].late);
  EXPECT_EQ(script.outcomes[1].kind, link::OutcomeKind::answered);
  EXPECT_TRUE(script.outcomes[1].late) << "the first telegram came after its wait";
}

TEST(Exchange, ALingeringRequestHearsEverySlaveAndLeavesNothingToStray) {
  // Two meters acknowledge one selection 20 ms apart: a lingering request keeps both; one
  // that does not ends at the first, and the second strays into the request after it.
  for (const bool linger : {false, true}) {
    FakeBus bus([](const Bytes& request) -> std::optional<Bytes> {
      if (request == mbus::snd_nke(6).to_vector()) return std::nullopt;
      return Bytes{0xE5, 0xE5};
    });
    bus.chunk_gap = 20'000;
    Script script;
    link::Request select;
    select.bytes =
        mbus::select_secondary(*mbus::SecondaryAddress::parse("FFFFFFFFFFFFFFFF")).to_vector();
    select.expect = link::Expect::ack;
    select.linger = linger;
    link::Request ping;
    ping.bytes = mbus::snd_nke(6).to_vector();
    ping.expect = link::Expect::ack;
    script.requests = {select, ping};
    link::Exchange exchange(script, link::Timing::serial(2400));
    bus.run(exchange);
    ASSERT_EQ(script.outcomes.size(), 2u);
    EXPECT_EQ(script.outcomes[0].kind, link::OutcomeKind::answered);
    EXPECT_EQ(script.outcomes[0].received.size(), linger ? 2u : 1u);
    EXPECT_EQ(script.outcomes[1].kind,
              linger ? link::OutcomeKind::silent : link::OutcomeKind::answered)
        << "linger " << linger;
  }
}

TEST(Exchange, GarbageIsGarbledAndNamed) {
  FakeBus bus([](const Bytes&) { return Bytes{0x68, 0x05, 0x07, 0x68, 0x00, 0x16, 0x33}; });
  mbus::RawExchange raw(mbus::req_ud2(5, true).to_vector());
  link::Exchange exchange(raw, link::Timing::serial(2400));
  bus.run(exchange);
  EXPECT_EQ(raw.verdict(), link::Verdict::garbled);
  EXPECT_EQ(raw.outcome().kind, link::OutcomeKind::garbled);
  EXPECT_FALSE(raw.outcome().detail.empty());
  EXPECT_NE(raw.problem().find("unreadable answer"), std::string::npos) << raw.problem();
}

TEST(Exchange, ASlowFrameStillCompletesOnceItHasBegun) {
  // 256 bytes at 2400 Bd take over a second: longer than the 0.3 s the answer had to start in.
  Bytes data(250, 0x11);
  const Bytes reply = (*mbus::encode_long(0x08, 5, 0x78, data)).to_vector();
  FakeBus bus([&](const Bytes&) { return reply; });
  bus.chunk = 8;
  bus.chunk_gap = 36'000;  // 8 bytes at 2400 Bd
  mbus::RawExchange raw(mbus::req_ud2(5, true).to_vector());
  link::Exchange exchange(raw, link::Timing::serial(2400));
  const auto took = bus.run(exchange);
  EXPECT_EQ(raw.verdict(), link::Verdict::ok) << raw.problem();
  EXPECT_GT(took, 1'000'000);
}

TEST(Exchange, ABroadcastWaitsForNothing) {
  FakeBus bus([](const Bytes&) { return std::nullopt; });
  struct Broadcast : link::ProcedureBase {
    bool sent = false;
    std::optional<link::Request> next() override {
      if (sent) return std::nullopt;
      sent = true;
      link::Request r;
      r.bytes = mbus::snd_nke(0xFF).to_vector();
      r.expect = link::Expect::nothing;
      r.retries = 3;
      return r;
    }
    void on_outcome(const link::Request&, const link::Outcome& o) override {
      if (o.kind == link::OutcomeKind::silent) succeed();
    }
  } broadcast;
  link::Exchange exchange(broadcast, link::Timing::serial(2400));
  bus.run(exchange);
  EXPECT_EQ(broadcast.verdict(), link::Verdict::ok);
  EXPECT_EQ(bus.requests.size(), 1u) << "silence is the answer: no retries";
}

TEST(Exchange, StopsAtOnceForAProcedureWithNothingToDo) {
  struct Nothing : link::ProcedureBase {
    std::optional<link::Request> next() override { return std::nullopt; }
    void on_outcome(const link::Request&, const link::Outcome&) override {}
  } nothing;
  link::Exchange exchange(nothing, link::Timing::serial(2400));
  EXPECT_TRUE(exchange.start(0).done);
}

}  // namespace
