// The HM-660's concentrator mode, driven from RS-232 as docs/protocols/hm660.md specifies.
#include <gtest/gtest.h>

#include "heatlink/protocol/frame_stream.h"
#include "heatlink/protocol/hm660.h"
#include "heatlink/protocol/mbus_telegram.h"
#include "heatlink/sim/district.h"

namespace heatlink::sim {
namespace {

namespace mbus = protocol::mbus;

constexpr std::string_view kDistrict = R"(
start: "2026-12-01T00:00:00"
stations:
  - concentrators:
      - name: hm
        channels:
          - name: a
            meters:
              - {kind: multical403, count: 3, id: 10000001, primary: 1}
              - {kind: sharky775, count: 2, id: 20000001, primary: 0}
          - name: b
            meters:
              - {kind: cjt188_heat, count: 1, id: 30000001, primary: 0}
)";

// Archive entries as the 0xA2 command carries them.
std::vector<std::uint8_t> upload_of(const std::vector<ArchiveEntry>& entries) {
  std::vector<std::uint8_t> out;
  for (const ArchiveEntry& e : entries) protocol::hm660::encode_entry(e, out);
  return out;
}

class ConcentratorTest : public ::testing::Test {
 protected:
  ConcentratorTest()
      : district(std::get<Topology>(parse_topology(kDistrict, "test.yaml")), 1),
        hm(district.concentrator(0)) {
    hm.set_rs232_sender(
        [this](protocol::Bytes b) { received.insert(received.end(), b.begin(), b.end()); });
  }

  // Sends a concentrator command and returns the answer frame (E5 or RSP_UD).
  protocol::AnyScanResult command(std::uint8_t ci, std::vector<std::uint8_t> data = {}) {
    received.clear();
    const auto frame = protocol::hm660::command(ci, data);
    hm.receive_rs232(frame.view());
    district.queue().run_until(district.queue().now() + seconds(5));
    stream = protocol::FrameStream();
    stream.feed(received);
    const auto r = stream.next();
    EXPECT_EQ(r.status, mbus::ScanStatus::complete) << protocol::to_hex(received);
    return r;
  }

  std::vector<std::uint8_t> data_of(const protocol::AnyScanResult& r) {
    return {r.mbus.data.begin(), r.mbus.data.end()};
  }

  void scan() {
    EXPECT_EQ(command(0xA5, {0x03}).mbus.type, mbus::FrameType::ack);
    EXPECT_TRUE(hm.scanning());
    while (hm.scanning()) district.queue().run_until(district.queue().now() + minutes(1));
  }

  District district;
  Hm660& hm;
  std::vector<std::uint8_t> received;
  protocol::FrameStream stream;
};

TEST_F(ConcentratorTest, AnswersInfo) {
  const auto r = command(0xA0);
  ASSERT_EQ(r.mbus.type, mbus::FrameType::long_frame);
  EXPECT_EQ(r.mbus.a, 0xFE);
  EXPECT_EQ(r.mbus.ci, 0xA0);
  const auto d = data_of(r);
  ASSERT_EQ(d.size(), 17u);
  EXPECT_EQ(d[0], 1);  // version
  EXPECT_EQ(d[1], 2);  // channels
}

TEST_F(ConcentratorTest, ScansEveryChannelAndFindsEveryMeter) {
  scan();
  const auto& found = hm.scan_results();
  ASSERT_EQ(found.size(), 6u);
  int primary = 0, secondary = 0, cjt = 0;
  for (const ArchiveEntry& e : found) {
    primary += e.protocol == ArchiveEntry::mbus_primary;
    secondary += e.protocol == ArchiveEntry::mbus_secondary;
    cjt += e.protocol == ArchiveEntry::cjt188;
  }
  EXPECT_EQ(primary, 3);    // the MULTICALs by primary address
  EXPECT_EQ(secondary, 2);  // the Sharkys, which have none, by the wildcard search
  EXPECT_EQ(cjt, 1);
  const auto r = command(0xA6, {0, 0});
  const auto d = data_of(r);
  EXPECT_EQ(d[2] | d[3] << 8, 6);  // total
  EXPECT_EQ(d[4], 6);              // in this frame
}

TEST_F(ConcentratorTest, ArchiveUploadDownloadAndCompare) {
  scan();
  const auto& found = hm.scan_results();
  // All but the last, and a meter that is not there.
  std::vector<std::uint8_t> upload = upload_of({found.begin(), found.end() - 1});
  upload.insert(upload.end(), {1, 0, 7, 0x99, 0x99, 0x99, 0x99, 0, 0, 0, 0, 0, 0, 0, 0,
                               0});  // a meter that is not there
  EXPECT_EQ(command(0xA2, upload).mbus.type, mbus::FrameType::ack);
  EXPECT_EQ(hm.archive().size(), found.size());
  const auto listed = data_of(command(0xA3, {0, 0}));
  EXPECT_EQ(listed[2] | listed[3] << 8, static_cast<int>(found.size()));
  const auto compare = data_of(command(0xA4));
  EXPECT_EQ(compare[0] | compare[1] << 8, 1);  // missing: the phantom
  EXPECT_EQ(compare[2] | compare[3] << 8, 1);  // unknown: the meter left out
}

TEST_F(ConcentratorTest, ReadsItsArchiveOnItsOwnAndBuffersReadingsUntilAcknowledged) {
  scan();
  const std::vector<std::uint8_t> upload = upload_of(hm.scan_results());
  command(0xA2, upload);
  EXPECT_EQ(command(0xA7, {0x10, 0x0E, 0, 0}).mbus.type, mbus::FrameType::ack);  // every 3600 s
  district.queue().run_until(district.queue().now() + hours(1) + minutes(5));
  EXPECT_EQ(hm.buffered_readings(), 6u);
  const auto batch = data_of(command(0xA8, {10}));
  ASSERT_GE(batch[0], 2);
  // Each reading: index (2), time (6), length (1), the meter's reply.
  const std::size_t length = batch[1 + 8];
  const auto first = mbus::decode_frame(protocol::Bytes{batch.data() + 10, length});
  ASSERT_TRUE(first.ok()) << first.error().message();
  mbus::Telegram t;
  EXPECT_TRUE(mbus::decode_telegram(*first, t));
  EXPECT_EQ(command(0xA9, {batch[0]}).mbus.type, mbus::FrameType::ack);
  EXPECT_EQ(hm.buffered_readings(), 6u - batch[0]);
}

TEST_F(ConcentratorTest, RefusesWhatItCannotDo) {
  EXPECT_EQ(data_of(command(0xAB)), std::vector<std::uint8_t>{1});  // unknown command
  std::vector<std::uint8_t> bad(16, 0);
  bad[0] = 9;  // channel 9
  const auto r = command(0xA2, bad);
  EXPECT_EQ(r.mbus.ci, 0xAF);
  EXPECT_EQ(data_of(r), std::vector<std::uint8_t>{4});
  EXPECT_EQ(data_of(command(0xA7, {1})), std::vector<std::uint8_t>{2});  // malformed
}

TEST_F(ConcentratorTest, SetsItsClock) {
  // 2027-03-04 05:06:07 as type I.
  EXPECT_EQ(command(0xAA, {7, 6, 5, static_cast<std::uint8_t>((27 & 7) << 5 | 4),
                           static_cast<std::uint8_t>((27 & 0x78) << 1 | 3), 0})
                .mbus.type,
            mbus::FrameType::ack);
  const auto info = data_of(command(0xA0));
  EXPECT_EQ(info[14] & 0x1F, 4);  // day (the time starts at byte 11)
  EXPECT_EQ(info[15] & 0x0F, 3);  // month
}

}  // namespace
}  // namespace heatlink::sim
