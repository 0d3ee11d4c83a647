// The RS-232 cable between HM-660 and DTU, and what its faults do to the DTU's packets.
#include "heatlink/sim/serial_line.h"

#include <gtest/gtest.h>

#include "heatlink/sim/md109g.h"

namespace heatlink::sim {
namespace {

struct Collect {
  std::vector<std::vector<std::uint8_t>> chunks;
  SerialLine::Sink sink() {
    return [this](protocol::Bytes b) { chunks.emplace_back(b.begin(), b.end()); };
  }
};

const std::vector<std::uint8_t> kBytes(200, 0x55);

TEST(SerialLine, CarriesBytesUnchangedWithoutFaults) {
  EventQueue q;
  SerialLine line(q, 1);
  Collect c;
  line.carry(kBytes, c.sink());
  ASSERT_EQ(c.chunks.size(), 1u);
  EXPECT_EQ(c.chunks[0], kBytes);
}

TEST(SerialLine, DropsCorruptsAndGarbles) {
  EventQueue q;
  SerialLine line(q, 1);
  Collect c;
  line.faults.drop = 0.5;
  line.carry(kBytes, c.sink());
  EXPECT_LT(c.chunks.at(0).size(), 180u);
  line.faults = SerialFaults{.corrupt = 1.0};
  line.carry(kBytes, c.sink());
  for (const std::uint8_t b : c.chunks.at(1)) EXPECT_NE(b, 0x55);
  line.faults = SerialFaults{.parity_error = 1.0};
  line.carry(kBytes, c.sink());
  EXPECT_EQ(c.chunks.at(2), std::vector<std::uint8_t>(200, 0x00));
  line.faults = SerialFaults{.baud_mismatch = true};
  line.carry(kBytes, c.sink());
  EXPECT_NE(c.chunks.at(3), kBytes);
}

// A gap longer than the DTU's packing interval splits one frame into two TCP packets.
class NullUplink final : public Uplink {
 public:
  void open(std::uint32_t) override {}
  void send(protocol::Bytes b) override { sent.emplace_back(b.begin(), b.end()); }
  void close() override {}
  void abandon() override {}
  std::vector<std::vector<std::uint8_t>> sent;
};

TEST(SerialLine, AGapLongerThanThePackingIntervalSplitsAFrame) {
  EventQueue q;
  NullUplink uplink;
  DtuConfig config;
  config.profile =
      protocol::dtu::Profile{protocol::dtu::Convention::id_on_connect, "13800138000", "", ""};
  Md109g dtu(q, config, 1, uplink);
  dtu.power_on();
  while (dtu.state() != BearerState::connecting && q.step()) {
  }
  dtu.on_connected();  // the uplink of this test connects at once
  q.run_until(q.now() + seconds(1));
  ASSERT_EQ(dtu.state(), BearerState::registered);
  uplink.sent.clear();
  SerialLine line(q, 1);
  line.faults.gap = config.packing_interval * 2;
  line.carry(std::vector<std::uint8_t>(60, 0x68),
             [&dtu](protocol::Bytes b) { dtu.serial_receive(b); });
  q.run_until(q.now() + seconds(1));
  ASSERT_EQ(uplink.sent.size(), 2u);
  EXPECT_EQ(uplink.sent[0].size() + uplink.sent[1].size(), 60u);
}

}  // namespace
}  // namespace heatlink::sim
