// The DTU gateway against raw DTUs on loopback: registration in each convention, a new
// connection replacing a dead session but never a live one, silence, garbage, unknown IDs, and the
// limits a hostile client meets.
#include "heatlink/master/gateway/gateway.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fstream>
#include <future>

#include "gateway_fixture.h"
#include "heatlink/master/gateway/descriptor_limit.h"
#include "heatlink/master/gateway/network.h"
#include "heatlink/protocol/dtu.h"

namespace {

namespace master = heatlink::master;
namespace dtu = heatlink::protocol::dtu;
using heatlink::test::eventually;
using heatlink::test::RawDtu;
using heatlink::test::RunningGateway;
using namespace std::chrono_literals;

master::GatewayConfig config() {
  master::GatewayConfig c;
  c.host = "127.0.0.1";
  c.models.push_back({"MD-109G", dtu::Convention::id_on_connect, "HB", master::Seconds(0.5)});
  c.models.push_back({"MD-109G-P", dtu::Convention::id_prefixed, "", master::Seconds(0.5)});
  c.models.push_back({"DDP", dtu::Convention::ddp, "", master::Seconds(0.5)});
  c.dtus = {{"13800000001", "MD-109G"},
            {"IMEI860000000000002", "MD-109G-P"},
            {"13800000003", "DDP"},
            {"1380000000", "MD-109G"}};
  c.registration_timeout = master::Seconds(0.5);
  c.missed_heartbeats = 2;
  return c;
}

TEST(Gateway, RegistersEveryConventionAndFiltersHeartbeats) {
  RunningGateway gateway(config());
  ASSERT_TRUE(gateway.started().ok()) << gateway.started().error;
  const std::uint16_t port = gateway->port();

  RawDtu a(port);        // id_on_connect, heartbeat "HB", registration split where a shorter
  a.send("1380000000");  // known ID ("1380000000") ends
  std::this_thread::sleep_for(50ms);
  a.send("1HB");
  RawDtu b(port);  // id_prefixed: every packet starts with the ID
  b.send("IMEI860000000000002");
  b.send("IMEI860000000000002");
  dtu::Profile ddp{dtu::Convention::ddp, "13800000003", "", ""};
  RawDtu c(port);
  c.send(dtu::registration(ddp, 0x0A000001, 5000));
  std::vector<std::uint8_t> ack;
  c.closed_by_server(200ms, &ack);
  EXPECT_EQ(ack, dtu::registration_ack(ddp)) << "a DDP registration is acknowledged";
  a.send("HB");
  c.send(dtu::heartbeat(ddp));

  ASSERT_TRUE(eventually([&] { return gateway->stats().online == 3; })) << gateway->stats().online;
  ASSERT_TRUE(eventually([&] {
    const auto s = gateway->state("13800000001");
    return s && s->heartbeats >= 2;
  }));
  const auto s = gateway->state("13800000001");
  EXPECT_EQ(s->model, "MD-109G");
  EXPECT_EQ(s->unsolicited_bytes, 0u) << "heartbeats are not serial data";
  EXPECT_EQ(s->registrations, 1u);
  EXPECT_EQ(gateway->state("IMEI860000000000002")->model, "MD-109G-P");
  EXPECT_TRUE(eventually([&] { return gateway->state("13800000003")->heartbeats >= 1; }));
  EXPECT_FALSE(gateway->state("1380000000").has_value()) << "a shorter known ID is another DTU";
}

TEST(Gateway, ANewConnectionReplacesASessionThatMissedItsBeat) {
  RunningGateway gateway(config());
  RawDtu first(gateway->port());
  first.send("13800000001");
  ASSERT_TRUE(eventually([&] { return gateway->stats().online == 1; }));
  const std::string first_remote = gateway->state("13800000001")->remote;

  // The same DTU after a reconnect, from a new port: its old socket (half-open behind a NAT
  // that forgot the mapping) has been silent since its last beat.
  std::this_thread::sleep_for(450ms);
  RawDtu second(gateway->port());
  second.send("13800000001");
  EXPECT_TRUE(first.closed_by_server(2s)) << "the stale connection stays open";
  ASSERT_TRUE(eventually([&] { return gateway->state("13800000001")->registrations == 2; }));
  const auto s = gateway->state("13800000001");
  EXPECT_TRUE(s->online);
  EXPECT_NE(s->remote, first_remote);
  EXPECT_EQ(gateway->stats().online, 1u);
  EXPECT_EQ(gateway->stats().replaced, 1u);
  EXPECT_FALSE(second.closed_by_server(300ms));
}

// A second device claiming the ID of a live session (a cloned SIM): it does not take the ID
// over; once the holder shows it is alive the ID is in conflict, and neither is closed (that
// would only make them replace each other all day) until an operator resolves it.
TEST(Gateway, ASecondDeviceNeverTakesALiveSessionsIdAndTheConflictIsKept) {
  RunningGateway gateway(config());
  RawDtu holder(gateway->port());
  holder.send("13800000001");
  ASSERT_TRUE(eventually([&] { return gateway->stats().online == 1; }));
  const std::string holder_remote = gateway->state("13800000001")->remote;
  RawDtu clone(gateway->port());
  clone.send("13800000001");
  ASSERT_TRUE(eventually([&] { return gateway->state("13800000001")->contested_claims == 1; }));
  EXPECT_EQ(gateway->state("13800000001")->remote, holder_remote) << "the holder keeps the ID";
  EXPECT_FALSE(gateway->state("13800000001")->conflict) << "not before the holder is heard";
  for (int i = 0; i < 6; ++i) {  // both beat
    std::this_thread::sleep_for(150ms);
    holder.send("HB");
    clone.send("HB");
  }
  auto s = gateway->state("13800000001");
  ASSERT_TRUE(s->conflict);
  EXPECT_EQ(s->remote, holder_remote);
  ASSERT_EQ(s->contenders.size(), 1u);
  EXPECT_NE(s->conflict_detail.find(holder_remote), std::string::npos) << s->conflict_detail;
  EXPECT_NE(s->conflict_detail.find(s->contenders[0]), std::string::npos) << s->conflict_detail;
  EXPECT_FALSE(holder.closed_by_server(100ms));
  EXPECT_FALSE(clone.closed_by_server(100ms));
  EXPECT_EQ(gateway->stats().replaced, 0u);

  EXPECT_TRUE(gateway->resolve_conflict("13800000001"));
  EXPECT_TRUE(clone.closed_by_server(2s)) << "the operator kept the holder";
  holder.send("HB");
  s = gateway->state("13800000001");
  EXPECT_FALSE(s->conflict);
  EXPECT_TRUE(s->online);
  EXPECT_EQ(s->remote, holder_remote);
  EXPECT_FALSE(gateway->resolve_conflict("13800000001")) << "nothing left to resolve";
}

// The holder goes silent (switched off) while a second connection waits: that one takes over.
TEST(Gateway, AWaitingConnectionTakesOverWhenTheHolderDies) {
  RunningGateway gateway(config());
  RawDtu holder(gateway->port());
  holder.send("13800000001");
  ASSERT_TRUE(eventually([&] { return gateway->stats().online == 1; }));
  RawDtu next(gateway->port());
  next.send("13800000001");
  ASSERT_TRUE(eventually([&] { return gateway->state("13800000001")->contested_claims == 1; }));
  for (int i = 0; i < 12; ++i) {  // only the newcomer beats
    std::this_thread::sleep_for(150ms);
    next.send("HB");
  }
  EXPECT_TRUE(holder.closed_by_server(1s));
  const auto s = gateway->state("13800000001");
  EXPECT_TRUE(s->online);
  EXPECT_TRUE(s->contenders.empty());
  EXPECT_FALSE(s->conflict) << "never two alive at once";
  EXPECT_FALSE(next.closed_by_server(300ms));
  EXPECT_EQ(gateway->stats().online, 1u);
}

TEST(Gateway, DropsAConnectionThatMissesItsHeartbeats) {
  RunningGateway gateway(config());
  RawDtu half_open(gateway->port());
  half_open.send("13800000001");  // then silence, as behind a NAT that forgot the mapping
  EXPECT_TRUE(half_open.closed_by_server(3s));
  EXPECT_TRUE(eventually([&] { return gateway->stats().silent_drops == 1; }));
  const auto s = gateway->state("13800000001");
  ASSERT_TRUE(s.has_value());
  EXPECT_FALSE(s->online);
  EXPECT_EQ(s->last_drop, "silent for 2 heartbeat intervals");
  EXPECT_EQ(gateway->stats().silent_drops, 1u);
}

TEST(Gateway, KeepsAConnectionThatHeartbeats) {
  RunningGateway gateway(config());
  RawDtu alive(gateway->port());
  alive.send("13800000001");
  for (int i = 0; i < 6; ++i) {
    std::this_thread::sleep_for(300ms);
    alive.send("HB");
  }
  EXPECT_TRUE(gateway->state("13800000001")->online);
  EXPECT_GE(gateway->state("13800000001")->heartbeats, 5u);
}

TEST(Gateway, RejectsUnknownIdsGarbageAndSilentNewcomers) {
  RunningGateway gateway(config());
  RawDtu http(gateway->port());
  http.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(http.closed_by_server(1s));
  RawDtu unknown(gateway->port());
  unknown.send("99999999999");
  EXPECT_TRUE(unknown.closed_by_server(1s));
  RawDtu mute(gateway->port());  // connects and says nothing
  EXPECT_TRUE(mute.closed_by_server(2s));
  EXPECT_TRUE(eventually([&] { return gateway->stats().rejected == 3; }))
      << gateway->stats().rejected;
  EXPECT_TRUE(gateway->snapshot().empty()) << "nothing unknown is recorded as a DTU";
  EXPECT_EQ(gateway->stats().connections, 0u);
}

TEST(Gateway, CountsGarbageInsideDdpAndStaysConnected) {
  RunningGateway gateway(config());
  dtu::Profile ddp{dtu::Convention::ddp, "13800000003", "", ""};
  RawDtu c(gateway->port());
  c.send(dtu::registration(ddp));
  c.send(std::vector<std::uint8_t>{0x7B, 0x77, 0x00, 0x05, 0x7B, 0x00, 0x13});
  c.send(dtu::heartbeat(ddp));
  EXPECT_TRUE(eventually([&] {
    const auto s = gateway->state("13800000003");
    return s && s->garbage_packets >= 1 && s->heartbeats >= 1;
  }));
  EXPECT_TRUE(gateway->state("13800000003")->online);
}

TEST(Gateway, APacketNamingAnotherDtuDoesNotMoveTheConnection) {
  RunningGateway gateway(config());
  dtu::Profile mine{dtu::Convention::ddp, "13800000003", "", ""};
  dtu::Profile other{dtu::Convention::ddp, "13800000004", "", ""};
  RawDtu c(gateway->port());
  c.send(dtu::registration(mine));
  c.send(dtu::registration(other));
  c.send(dtu::registration(mine));
  c.send(dtu::heartbeat(mine));
  ASSERT_TRUE(eventually([&] {
    const auto s = gateway->state("13800000003");
    return s && s->heartbeats >= 2;
  }));
  const auto s = gateway->state("13800000003");
  EXPECT_EQ(s->registrations, 1u);
  EXPECT_GE(s->garbage_packets, 1u);
  EXPECT_FALSE(gateway->state("13800000004").has_value());
  const auto stats = gateway->stats();
  EXPECT_EQ(stats.online, 1u);
  EXPECT_EQ(stats.unregistered, 0u);
  EXPECT_EQ(stats.connections, 1u);
}

TEST(Gateway, DiscardsAFloodOfGarbageAsItComes) {
  RunningGateway gateway(config());
  dtu::Profile ddp{dtu::Convention::ddp, "13800000003", "", ""};
  RawDtu flood(gateway->port());
  flood.send(dtu::registration(ddp));
  // A header announcing an over-long packet, then 256 KiB that never make a packet: nothing of
  // it may pile up in the gateway.
  flood.send(std::vector<std::uint8_t>{0x7B, 0x09, 0x7F, 0xFF});
  for (int i = 0; i < 64; ++i) flood.send(std::vector<std::uint8_t>(4096, 0x55));
  flood.send(dtu::heartbeat(ddp));
  EXPECT_TRUE(eventually([&] {
    const auto s = gateway->state("13800000003");
    return s && s->heartbeats >= 1 && s->bytes_in > 256 * 1024;
  }));
  const auto s = gateway->state("13800000003");
  EXPECT_GE(s->garbage_packets, 1u);
  EXPECT_TRUE(s->online);
}

TEST(Gateway, RefusesConnectionsBeyondItsLimits) {
  auto c = config();
  c.max_connections = 2;
  RunningGateway gateway(c);
  RawDtu one(gateway->port());
  one.send("13800000001");
  RawDtu two(gateway->port());
  two.send("IMEI860000000000002");
  ASSERT_TRUE(eventually([&] { return gateway->stats().online == 2; }));
  RawDtu three(gateway->port());
  EXPECT_TRUE(three.closed_by_server(1s));
  EXPECT_EQ(gateway->stats().refused, 1u);
  EXPECT_FALSE(one.closed_by_server(100ms));
}

// Strangers that connect and never register fill the share of unregistered connections; a
// real DTU that connects then still gets in - the oldest stranger gives way - and registers
// at once, instead of waiting out the strangers' registration deadline.
TEST(Gateway, AFloodOfConnectionsThatNeverRegisterDoesNotKeepARealDtuOut) {
  auto c = config();
  c.registration_timeout = master::Seconds(60);
  c.max_unregistered = 20;
  RunningGateway gateway(c);
  std::vector<std::unique_ptr<RawDtu>> strangers;
  for (int i = 0; i < 20; ++i) strangers.push_back(std::make_unique<RawDtu>(gateway->port()));
  ASSERT_TRUE(eventually([&] { return gateway->stats().unregistered == 20; }));
  RawDtu real(gateway->port());
  real.send("13800000001");
  EXPECT_TRUE(eventually([&] { return gateway->stats().online == 1; }, 2s))
      << "refused while strangers held every place";
  EXPECT_FALSE(real.closed_by_server(100ms));
  EXPECT_TRUE(strangers.front()->closed_by_server(1s)) << "the oldest stranger gave way";
  EXPECT_FALSE(strangers.back()->closed_by_server(100ms));
  EXPECT_EQ(gateway->stats().evicted, 1u);
  EXPECT_EQ(gateway->stats().refused, 0u);
}

// The descriptor limit is raised to what the configured connections need (with a margin), and
// a hard limit below that is reported with what it costs. In a child: the limit is the process's.
TEST(DescriptorLimit, IsRaisedToWhatTheConnectionsNeedAndAShortfallIsSaid) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    rlimit low{512, 4096};
    if (::setrlimit(RLIMIT_NOFILE, &low) != 0) ::_exit(10);
    const auto raised = master::raise_descriptor_limit(2000);
    rlimit now{};
    ::getrlimit(RLIMIT_NOFILE, &now);
    if (raised.needed != 2000 + master::DescriptorLimit::kMargin || !raised.enough()) ::_exit(11);
    if (now.rlim_cur != raised.needed) ::_exit(12);
    const auto short_of = master::raise_descriptor_limit(20000);
    if (short_of.enough() || short_of.limit != 4096) ::_exit(13);
    const std::string said = short_of.describe(20000);
    if (said.find("20256 needed for 20000 connections; the limit is 4096") == std::string::npos ||
        said.find("beyond 3840 are refused") == std::string::npos)
      ::_exit(14);
    const auto never_lowered = master::raise_descriptor_limit(10);
    ::_exit(never_lowered.limit == 4096 ? 0 : 15);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: setrlimit, 11-15: the checks in order";
}

// Knowing a DTU's ID is not enough to speak for it: a DTU with a key registers with
// "ID#key", and a connection with no key or a wrong one is rejected - also while the DTU is
// away - and counted on the DTU; a DTU pinned to its carrier's networks is rejected from
// anywhere else.
TEST(Gateway, AClaimWithoutTheDtusKeyOrFromOutsideItsNetworksIsRejected) {
  auto c = config();
  c.keys["13800000001"] = "k3Y9-s3cret";
  c.networks["IMEI860000000000002"] = {"10.64.0.0/10"};
  c.networks["13800000001"] = {"10.64.0.0/10", "127.0.0.0/8"};  // the carrier's, and the test's
  RunningGateway gateway(c);
  {
    RawDtu bare(gateway->port());
    bare.send("13800000001");  // the ID alone
    EXPECT_TRUE(bare.closed_by_server(2s)) << "no key, no registration";
  }
  {
    RawDtu guess(gateway->port());
    guess.send("13800000001#k3Y9-s3creT");
    EXPECT_TRUE(guess.closed_by_server(1s));
  }
  // No session for the ID; the claims are counted on it although it never came.
  EXPECT_FALSE(gateway->state("13800000001")->online);
  EXPECT_EQ(gateway->state("13800000001")->refused_claims, 1u);
  RawDtu real(gateway->port());
  real.send("13800000001#k3Y9-s3cret");
  ASSERT_TRUE(eventually([&] {
    const auto s = gateway->state("13800000001");
    return s && s->online;
  }));
  {
    RawDtu hijack(gateway->port());
    hijack.send("13800000001#00000000000");
    real.send("HB");
    EXPECT_TRUE(hijack.closed_by_server(400ms));
  }
  real.send("HB");
  const auto s = gateway->state("13800000001");
  EXPECT_EQ(s->refused_claims, 2u);
  EXPECT_NE(s->last_refused.find("the key of its registration is wrong"), std::string::npos)
      << s->last_refused;
  EXPECT_EQ(s->contested_claims, 0u) << "never a contender";
  EXPECT_FALSE(real.closed_by_server(100ms));

  RawDtu outside(gateway->port());  // from 127.0.0.1, not the carrier's 10.64.0.0/10
  outside.send("IMEI860000000000002");
  EXPECT_TRUE(outside.closed_by_server(1s));
  EXPECT_FALSE(gateway->state("IMEI860000000000002")->online);
  EXPECT_EQ(gateway->state("IMEI860000000000002")->refused_claims, 1u);
}

// An id_prefixed DTU with a key carries "ID#key" at the head of every packet: registered
// with it, its answers pass; a connection with the ID alone, or another key, is closed.
TEST(Gateway, AKeyedIdPrefixedDtuRegistersWithItsKeyAndOthersAreRejected) {
  auto c = config();
  c.keys["IMEI860000000000002"] = "k3Y9-s3cret";
  RunningGateway gateway(c);
  {
    RawDtu bare(gateway->port());
    bare.send("IMEI860000000000002\x10\x5B\xFE\x59\x16\x10\x5B\xFE\x59\x16\x10\x5B\xFE\x59\x16");
    EXPECT_TRUE(bare.closed_by_server(300ms)) << "the ID and forged frames, no key";
  }
  {
    RawDtu other(gateway->port());
    other.send("IMEI860000000000002#k3Y9-s3creX");
    EXPECT_TRUE(other.closed_by_server(300ms)) << "another key";
  }
  RawDtu real(gateway->port());
  real.send("IMEI860000000000002#k3Y9-s3cret");
  ASSERT_TRUE(eventually([&] {
    const auto s = gateway->state("IMEI860000000000002");
    return s && s->online;
  }));
  real.send("IMEI860000000000002#k3Y9-s3cret");  // a packet's head alone: a heartbeat
  EXPECT_FALSE(real.closed_by_server(300ms));
  const auto s = gateway->state("IMEI860000000000002");
  EXPECT_EQ(s->refused_claims, 2u);
  EXPECT_EQ(s->contested_claims, 0u);
}

TEST(GatewayConfigProblems, KeysAndNetworksAreChecked) {
  auto c = config();
  c.keys["13800000003"] = "k";  // a DDP DTU
  EXPECT_NE(c.problem().find("DDP registration carries no key"), std::string::npos) << c.problem();
  c = config();
  c.keys["13800000001"] = "a#b";
  EXPECT_NE(c.problem().find("no '#'"), std::string::npos) << c.problem();
  c = config();
  c.networks["13800000001"] = {"10.64.0.0/33"};
  EXPECT_NE(c.problem().find("no network"), std::string::npos) << c.problem();
  EXPECT_TRUE(master::Network{"10.64.0.0/10"}.contains("10.127.255.1"));
  EXPECT_FALSE(master::Network{"10.64.0.0/10"}.contains("10.128.0.1"));
  EXPECT_TRUE(master::Network{"2001:db8::/32"}.contains("2001:db8:1::7"));
  EXPECT_TRUE(master::Network{"127.0.0.0/8"}.contains("::ffff:127.3.4.5"));
  EXPECT_FALSE(master::Network{"10.0.0.1"}.contains("10.0.0.2"));
}

TEST(Gateway, ParksUnknownDtusAsUnassignedWhenConfiguredTo) {
  auto c = config();
  c.unknown = master::UnknownDtus::park;
  c.unknown_model = "MD-109G";
  RunningGateway gateway(c);
  RawDtu stranger(gateway->port());
  stranger.send("77777777777");
  ASSERT_TRUE(eventually([&] { return gateway->state("77777777777").has_value(); }));
  const auto s = gateway->state("77777777777");
  EXPECT_TRUE(s->parked);
  EXPECT_EQ(s->model, "unassigned");
  EXPECT_TRUE(s->online);
}

TEST(Gateway, RunningAProcedureOnAnOfflineDtuFailsAtOnce) {
  RunningGateway gateway(config());
  std::promise<std::string> result;
  struct Nothing : heatlink::protocol::link::ProcedureBase {
    std::optional<heatlink::protocol::link::Request> next() override { return std::nullopt; }
    void on_outcome(const heatlink::protocol::link::Request&,
                    const heatlink::protocol::link::Outcome&) override {}
  };
  gateway->run("13800000001", std::make_shared<Nothing>(),
               [&](const master::IoStatus& s) { result.set_value(s.error); });
  auto future = result.get_future();
  ASSERT_EQ(future.wait_for(2s), std::future_status::ready);
  EXPECT_EQ(future.get(), "DTU 13800000001 is offline");
}

TEST(GatewayConfig, ErrorsNameTheFileLineAndKey) {
  const std::string path = ::testing::TempDir() + "gateway-bad.yaml";
  std::ofstream(path) << "models:\n  - {name: A, convention: smoke_signals}\n";
  auto loaded = master::load_gateway_config(path);
  ASSERT_TRUE(std::holds_alternative<std::string>(loaded));
  EXPECT_EQ(std::get<std::string>(loaded),
            path + ":2:27: convention: expected id_on_connect, id_prefixed or ddp");
  std::ofstream(path) << "models:\n  - {name: A}\ndtus:\n  - {id: '1', model: B}\n";
  loaded = master::load_gateway_config(path);
  ASSERT_TRUE(std::holds_alternative<std::string>(loaded));
  EXPECT_NE(std::get<std::string>(loaded).find(":4:5: model: no model 'B'"), std::string::npos)
      << std::get<std::string>(loaded);
  std::ofstream(path) << "modles: []\n";
  loaded = master::load_gateway_config(path);
  EXPECT_NE(std::get<std::string>(loaded).find("modles: unknown key"), std::string::npos);
  std::ofstream(path) << "models:\n  - {name: A}\ndtus:\n  - {id: '1', model: A, id: '2'}\n";
  loaded = master::load_gateway_config(path);
  ASSERT_TRUE(std::holds_alternative<std::string>(loaded));
  EXPECT_NE(std::get<std::string>(loaded).find(":4:25: id: given twice in one mapping"),
            std::string::npos)
      << std::get<std::string>(loaded);
}

}  // namespace
