// The gateway against `heatlink sim --server`: simulated MD-109G DTUs of every convention
// connect over real TCP, register and heartbeat; the master reads meters through them
// (server -> DTU -> concentrator -> meter and back); and the GPRS faults the simulator
// injects - a NAT that forgets the mapping, a DTU reboot with a duplicated registration,
// corrupted bytes, a second device with the same ID - end as the gateway promises.
#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <set>

#include "gateway_fixture.h"
#include "heatlink/protocol/cjt188_procedures.h"
#include "heatlink/protocol/hm660_procedures.h"
#include "heatlink/protocol/mbus_procedures.h"

namespace {

namespace master = heatlink::master;
namespace dtu = heatlink::protocol::dtu;
namespace link = heatlink::protocol::link;
namespace mbus = heatlink::protocol::mbus;
namespace cjt188 = heatlink::protocol::cjt188;
namespace hm660 = heatlink::protocol::hm660;
using heatlink::test::eventually;
using heatlink::test::RawDtu;
using heatlink::test::RunningGateway;
using namespace std::chrono_literals;

// At x10, a 10 s heartbeat comes every second of wall time.
constexpr const char* kTopology = R"(
stations:
  - concentrators:
      - name: hm-a
        dtu: {id: "13800000001", convention: id_on_connect, heartbeat: "HBHB", heartbeat_s: 10, link: good}
        channels:
          - meters: [{kind: multical403, count: 2, id: 10000001, primary: 1}]
      - name: hm-b
        dtu: {id: "IMEI860000000000002", convention: id_prefixed, heartbeat_s: 10, link: good}
        channels:
          - meters: [{kind: sharky775, count: 1, id: 20000001, primary: 5}]
      - name: hm-c
        dtu: {id: "13800000003", convention: ddp, heartbeat_s: 10, link: good}
        channels:
          - meters:
              - {kind: sonometer30, count: 1, id: 40000001, primary: 9}
              - {kind: cjt188_heat, count: 1, id: 30000001, primary: 0}
)";

const char* const kIds[] = {"13800000001", "IMEI860000000000002", "13800000003"};

master::GatewayConfig gateway_config() {
  master::GatewayConfig c;
  c.host = "127.0.0.1";
  const master::Seconds beat(1.0);
  c.models.push_back(
      {"MD-109G", dtu::Convention::id_on_connect, "HBHB", beat, 2400, master::Seconds(1)});
  c.models.push_back(
      {"MD-109G-P", dtu::Convention::id_prefixed, "", beat, 2400, master::Seconds(1)});
  c.models.push_back({"MD-109G-DDP", dtu::Convention::ddp, "", beat, 2400, master::Seconds(1)});
  c.dtus = {{kIds[0], "MD-109G"}, {kIds[1], "MD-109G-P"}, {kIds[2], "MD-109G-DDP"}};
  c.missed_heartbeats = 3;
  c.registration_timeout = master::Seconds(5);
  return c;
}

class GatewayLive : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(gateway_.started().ok()) << gateway_.started().error;
    const int probe = heatlink::test::listen_on_loopback(control_port_);
    ::close(probe);
    const std::string topology =
        ::testing::TempDir() + "gateway-live-" + std::to_string(::getpid()) + ".yaml";
    std::ofstream(topology) << kTopology;
    pid_ = heatlink::test::spawn({HEATLINK_BIN, "sim", "--topology", topology, "--server",
                                  "127.0.0.1:" + std::to_string(gateway_->port()), "--control",
                                  "127.0.0.1:" + std::to_string(control_port_), "--pace", pace_,
                                  "--seed", "3"});
    ASSERT_GT(pid_, 0);
    ASSERT_TRUE(eventually([&] { return gateway_->stats().online == 3; }, 20s))
        << "online: " << gateway_->stats().online;
  }

  void TearDown() override {
    int status = 0;
    if (pid_ > 0) {
      EXPECT_TRUE(heatlink::test::terminate(pid_, status)) << "status " << status;
    }
  }

  master::DtuState state(const char* id) {
    return gateway_->state(id).value_or(master::DtuState{});
  }

  // Runs `procedure` on DTU `id` and waits for it.
  std::string run(const char* id, std::shared_ptr<link::Procedure> procedure) {
    std::promise<std::string> result;
    gateway_->run(id, std::move(procedure),
                  [&](const master::IoStatus& s) { result.set_value(s.error); });
    auto future = result.get_future();
    if (future.wait_for(30s) != std::future_status::ready) return "no result within 30 s";
    return future.get();
  }

  std::string control(const std::string& method, const std::string& target,
                      const std::string& body = {}) {
    return heatlink::test::http_request(control_port_, method, target, body);
  }

  std::string pace_ = "x10";
  RunningGateway gateway_{gateway_config()};
  std::uint16_t control_port_ = 0;
  pid_t pid_ = -1;
};

TEST_F(GatewayLive, EveryConventionRegistersAndHeartbeats) {
  EXPECT_TRUE(eventually([&] {
    for (const char* id : kIds) {
      if (state(id).heartbeats < 2) return false;
    }
    return true;
  }));
  for (const char* id : kIds) {
    const auto s = state(id);
    EXPECT_TRUE(s.online) << id;
    EXPECT_EQ(s.registrations, 1u) << id;
    EXPECT_EQ(s.garbage_packets, 0u) << id;
    EXPECT_EQ(s.unsolicited_bytes, 0u) << id << ": a heartbeat leaked into the serial bytes";
    EXPECT_EQ(s.remote.rfind("127.", 0), 0u) << s.remote;
  }
}

TEST_F(GatewayLive, ReadsMetersThroughEveryDtu) {
  const std::pair<const char*, const char*> reads[] = {
      {kIds[0], "2"}, {kIds[1], "5"}, {kIds[2], "9"}};
  for (const auto& [id, address] : reads) {
    auto read = std::make_shared<mbus::MeterRead>(*mbus::Target::parse(address));
    ASSERT_EQ(run(id, read), "") << id;
    EXPECT_EQ(read->verdict(), link::Verdict::ok) << id << ": " << read->problem();
    ASSERT_FALSE(read->telegrams().empty()) << id;
    EXPECT_TRUE(mbus::identity_of(read->telegrams().front()).has_value());
  }
  cjt188::MeterId meter;
  meter.address = *cjt188::Address::parse("00000030000001");
  auto cjt = std::make_shared<cjt188::DataRead>(meter);
  ASSERT_EQ(run(kIds[2], cjt), "");
  EXPECT_EQ(cjt->verdict(), link::Verdict::ok) << cjt->problem();
  EXPECT_GT(state(kIds[2]).bytes_out, 0u);
  EXPECT_EQ(state(kIds[0]).unsolicited_bytes, 0u);
}

// A second device with the simulated DTU's ID (a cloned SIM) while the DTU is alive: it does
// not take the ID over, the ID is in conflict once the DTU beats, the sessions do not replace
// each other, and an operator's resolution closes the clone.
TEST_F(GatewayLive, ASecondDeviceWithALiveDtusIdIsAConflictNotAReplacement) {
  const std::string original = state(kIds[0]).remote;
  {
    RawDtu clone(gateway_->port());
    clone.send(kIds[0]);
    ASSERT_TRUE(eventually([&] { return state(kIds[0]).conflict; }, 30s));
    EXPECT_EQ(state(kIds[0]).remote, original) << "the live DTU keeps its ID";
    EXPECT_EQ(state(kIds[0]).contenders.size(), 1u);
    EXPECT_EQ(gateway_->stats().replaced, 0u);
    EXPECT_TRUE(gateway_->resolve_conflict(kIds[0]));
    EXPECT_TRUE(clone.closed_by_server(5s));
  }
  EXPECT_FALSE(state(kIds[0]).conflict);
  EXPECT_TRUE(state(kIds[0]).online);
  EXPECT_EQ(state(kIds[0]).remote, original);
  EXPECT_TRUE(eventually([&] { return gateway_->stats().connections == 3; }));
}

TEST_F(GatewayLive, AHalfOpenConnectionAfterANatTimeoutIsReplaced) {
  const std::string original = state(kIds[1]).remote;
  // The NAT forgets the mapping after 5 s of silence; the DTU beats every 10 s: its next beat
  // meets a RST, it reconnects from a new address, and the gateway's old socket is half-open.
  const std::string answer =
      control("POST", "/api/v1/dtus/1/faults", R"({"kind":"nat_idle_timeout","period_s":5})");
  ASSERT_NE(answer.find("201"), std::string::npos) << answer;
  ASSERT_TRUE(eventually([&] { return state(kIds[1]).registrations >= 2; }, 30s));
  control("POST", "/api/v1/heal");
  EXPECT_NE(state(kIds[1]).remote, original);
  EXPECT_TRUE(eventually([&] { return state(kIds[1]).online; }));
  const auto stats = gateway_->stats();
  EXPECT_GE(stats.replaced + stats.silent_drops, 1u);
  EXPECT_TRUE(eventually([&] { return gateway_->stats().connections == 3; }))
      << "a half-open connection leaked";
}

TEST_F(GatewayLive, ARebootedDtuRegisteringTwiceFromANewAddressIsOneDtu) {
  const std::string original = state(kIds[2]).remote;
  ASSERT_NE(
      control("POST", "/api/v1/dtus/2/faults", R"({"kind":"duplicate_registration"})").find("201"),
      std::string::npos);
  ASSERT_NE(control("POST", "/api/v1/dtus/2/reboot").find("200"), std::string::npos);
  ASSERT_TRUE(eventually([&] { return state(kIds[2]).registrations >= 2; }, 30s));
  EXPECT_TRUE(eventually([&] { return state(kIds[2]).online; }));
  EXPECT_NE(state(kIds[2]).remote, original);
  EXPECT_TRUE(eventually([&] { return gateway_->stats().connections == 3; }))
      << "the rebooted DTU's old socket was not closed";
  EXPECT_EQ(gateway_->stats().online, 3u);
}

TEST_F(GatewayLive, CorruptedBytesAreCountedAndTheDtuRecovers) {
  ASSERT_NE(control("POST", "/api/v1/dtus/2/faults",
                    R"({"kind":"corrupt","direction":"up","probability":1})")
                .find("201"),
            std::string::npos);
  EXPECT_TRUE(eventually([&] { return state(kIds[2]).garbage_packets >= 1; }, 20s));
  control("POST", "/api/v1/heal");
  EXPECT_TRUE(eventually(
      [&] {
        const auto s = state(kIds[2]);
        return s.online && gateway_->stats().connections == 3;
      },
      30s));
  auto read = std::make_shared<mbus::MeterRead>(*mbus::Target::parse("9"));
  EXPECT_EQ(run(kIds[2], read), "");
  EXPECT_EQ(read->verdict(), link::Verdict::ok) << read->problem();
}

// The concentrator's own scan and read cycle take minutes of simulated time: run them at x50.
class GatewayLiveFast : public GatewayLive {
 public:
  GatewayLiveFast() { pace_ = "x50"; }
};

TEST_F(GatewayLiveFast, DrivesTheConcentratorModeThroughADtu) {
  // Scan hm-c's channel, archive what it found, let it read on its own, collect the readings.
  auto command = [&](std::uint8_t ci, std::vector<std::uint8_t> data = {}) {
    auto c = std::make_shared<hm660::Command>(ci, std::move(data));
    EXPECT_EQ(run(kIds[2], c), "");
    EXPECT_EQ(c->verdict(), link::Verdict::ok) << c->problem();
    return c->data();
  };
  command(hm660::kArchiveClear);
  command(hm660::kScanStart, {0x01});
  ASSERT_TRUE(eventually(
      [&] {
        const auto info = hm660::decode_info(command(hm660::kInfo));
        return info.ok() && info->scan_state == 2;
      },
      60s));
  auto found = std::make_shared<hm660::EntryListRead>(hm660::kScanRead);
  ASSERT_EQ(run(kIds[2], found), "");
  ASSERT_EQ(found->verdict(), link::Verdict::ok) << found->problem();
  std::set<std::uint8_t> protocols;
  std::vector<std::uint8_t> archive;
  for (const hm660::ArchiveEntry& e : found->entries()) {
    protocols.insert(e.protocol);
    hm660::encode_entry(e, archive);
  }
  EXPECT_TRUE(protocols.count(hm660::ArchiveEntry::cjt188)) << "the CJ/T 188 meter";
  EXPECT_TRUE(protocols.count(hm660::ArchiveEntry::mbus_primary)) << "the SonoMeter at 9";
  command(hm660::kArchiveAdd, archive);
  command(hm660::kCycleSet, {30, 0, 0, 0});  // every 30 s
  auto readings = std::make_shared<hm660::ReadingsCollect>();
  ASSERT_TRUE(eventually(
      [&] {
        readings = std::make_shared<hm660::ReadingsCollect>();
        const std::string error = run(kIds[2], readings);
        return error.empty() && readings->readings().size() >= 2;
      },
      30s));
  EXPECT_EQ(readings->verdict(), link::Verdict::ok) << readings->problem();
}

}  // namespace
