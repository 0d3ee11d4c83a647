// The HM-660 concentrator-mode procedures against a scripted concentrator.
#include "heatlink/protocol/hm660_procedures.h"

#include <gtest/gtest.h>

#include <deque>

#include "fake_bus.h"
#include "heatlink/protocol/mbus_encode.h"
#include "heatlink/protocol/mbus_procedures.h"

namespace {

namespace link = heatlink::protocol::link;
namespace mbus = heatlink::protocol::mbus;
namespace hm660 = heatlink::protocol::hm660;
using heatlink::test::FakeBus;
using Bytes = std::vector<std::uint8_t>;

Bytes answer_frame(std::uint8_t ci, const Bytes& data) {
  return (*mbus::encode_long(mbus::kRspUd, hm660::kAddress, ci, data)).to_vector();
}

void put16(Bytes& out, std::size_t v) {
  out.push_back(static_cast<std::uint8_t>(v));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}

// A concentrator with an archive and a reading buffer.
struct FakeConcentrator {
  std::vector<hm660::ArchiveEntry> archive;
  std::deque<Bytes> readings;  // each a meter's reply frame
  bool busy = false;
  unsigned lose_acks = 0;      // acknowledgements that never arrive
  unsigned lose_add_acks = 0;  // archive adds that take but whose E5 never arrives
  unsigned drop_adds = 0;      // archive adds lost on the way (they never take)

  FakeBus::Answer answer() {
    return [this](const Bytes& bytes) -> std::optional<Bytes> {
      const auto f = mbus::decode_frame(bytes);
      if (!f || f->a != hm660::kAddress) return std::nullopt;
      const auto d = f->data;
      switch (f->ci) {
        case hm660::kInfo: {
          Bytes out = {3, 4};
          put16(out, archive.size());
          put16(out, readings.size());
          out.insert(out.end(), {0x10, 0x0E, 0, 0, 0});  // 3600 s, idle
          const auto clock = hm660::encode_clock({2026, 12, 1, 8, 30, 15});
          out.insert(out.end(), clock.begin(), clock.end());
          return answer_frame(f->ci, out);
        }
        case hm660::kArchiveRead: {
          const auto first = static_cast<std::size_t>(d[0] | d[1] << 8);
          Bytes out;
          put16(out, first);
          put16(out, archive.size());
          const std::size_t count =
              first < archive.size() ? std::min<std::size_t>(14, archive.size() - first) : 0;
          out.push_back(static_cast<std::uint8_t>(count));
          for (std::size_t i = 0; i < count; ++i) hm660::encode_entry(archive[first + i], out);
          return answer_frame(f->ci, out);
        }
        case hm660::kArchiveClear:
          archive.clear();
          return Bytes{0xE5};
        case hm660::kArchiveAdd:
          if (drop_adds > 0) {
            --drop_adds;
            return std::nullopt;
          }
          for (std::size_t i = 0; i + hm660::kEntrySize <= d.size(); i += hm660::kEntrySize)
            archive.push_back(hm660::decode_entry(d.subspan(i, hm660::kEntrySize)));
          if (lose_add_acks > 0) {
            --lose_add_acks;
            return std::nullopt;
          }
          return Bytes{0xE5};
        case hm660::kScanStart:
          if (busy) return answer_frame(hm660::kError, {5});
          return Bytes{0xE5};
        case hm660::kReadingsFetch: {
          Bytes out = {0};
          for (std::size_t i = 0; i < readings.size() && out[0] < d[0]; ++i) {
            if (out.size() + 9 + readings[i].size() > 252) break;
            put16(out, i);
            const auto t = hm660::encode_clock({2026, 12, 1, 9, 0, 0});
            out.insert(out.end(), t.begin(), t.end());
            out.push_back(static_cast<std::uint8_t>(readings[i].size()));
            out.insert(out.end(), readings[i].begin(), readings[i].end());
            ++out[0];
          }
          return answer_frame(f->ci, out);
        }
        case hm660::kReadingsAcknowledge:
          if (lose_acks > 0) {
            --lose_acks;
            return std::nullopt;
          }
          for (unsigned i = 0; i < d[0] && !readings.empty(); ++i) readings.pop_front();
          return Bytes{0xE5};
        default:
          return answer_frame(hm660::kError, {1});
      }
    };
  }
};

Bytes meter_reply(std::uint32_t id) {
  mbus::TelegramHeader h;
  h.id = id;
  h.manufacturer = 0x2C2D;
  const mbus::RecordSpec records[] = {mbus::RecordSpec::make({0x06}, 0x4, 1234)};
  return (*mbus::encode_rsp_ud(0, h, records)).to_vector();
}

TEST(Hm660Procedures, ReadsAndDecodesTheInfo) {
  FakeConcentrator hm;
  hm.archive.resize(3);
  FakeBus bus(hm.answer());
  bus.chunk = 3;
  hm660::Command info(hm660::kInfo);
  link::Exchange exchange(info, link::Timing::serial(9600));
  bus.run(exchange);
  ASSERT_EQ(info.verdict(), link::Verdict::ok) << info.problem();
  const auto decoded = hm660::decode_info(info.data());
  ASSERT_TRUE(decoded.ok()) << decoded.error().message();
  EXPECT_EQ(decoded->channels, 4);
  EXPECT_EQ(decoded->archive_size, 3);
  EXPECT_EQ(decoded->cycle_interval_s, 3600u);
  EXPECT_EQ(decoded->clock.year, 2026);
  EXPECT_EQ(decoded->clock.minute, 30);
}

TEST(Hm660Procedures, PagesThroughTheWholeArchive) {
  FakeConcentrator hm;
  for (std::uint32_t i = 0; i < 40; ++i) {
    hm660::ArchiveEntry e;
    e.channel = static_cast<std::uint8_t>(i % 4);
    e.protocol = hm660::ArchiveEntry::mbus_secondary;
    e.secondary.id = 0x10000000 + i;
    hm.archive.push_back(e);
  }
  FakeBus bus(hm.answer());
  hm660::EntryListRead read(hm660::kArchiveRead);
  link::Exchange exchange(read, link::Timing::serial(9600));
  bus.run(exchange);
  ASSERT_EQ(read.verdict(), link::Verdict::ok) << read.problem();
  ASSERT_EQ(read.entries().size(), 40u);
  EXPECT_EQ(read.entries()[39].secondary.id, 0x10000027u);
  EXPECT_EQ(bus.requests.size(), 3u);  // 14 + 14 + 12
}

TEST(Hm660Procedures, CollectsEveryReadingAndFetchesAgainWhenAnAcknowledgementIsLost) {
  FakeConcentrator hm;
  for (std::uint32_t i = 0; i < 9; ++i) hm.readings.push_back(meter_reply(0x20000000 + i));
  hm.lose_acks = 1;
  FakeBus bus(hm.answer());
  hm660::ReadingsCollect collect(4, 0);
  link::Exchange exchange(collect, link::Timing::serial(9600));
  bus.run(exchange);
  // The lost acknowledgement fails the run; the readings stay buffered.
  EXPECT_EQ(collect.verdict(), link::Verdict::no_answer);
  EXPECT_EQ(hm.readings.size(), 9u);

  hm660::ReadingsCollect again(4, 0);
  link::Exchange second(again, link::Timing::serial(9600));
  bus.run(second);
  ASSERT_EQ(again.verdict(), link::Verdict::ok) << again.problem();
  ASSERT_EQ(again.readings().size(), 9u);
  EXPECT_TRUE(hm.readings.empty());
  EXPECT_EQ(mbus::identity_of(again.readings()[8].frame)->id, 0x20000008u);
  EXPECT_EQ(again.readings()[0].time.hour, 9);
}

std::vector<hm660::ArchiveEntry> entries(std::size_t n) {
  std::vector<hm660::ArchiveEntry> out;
  for (std::size_t i = 0; i < n; ++i) {
    hm660::ArchiveEntry e;
    e.channel = static_cast<std::uint8_t>(i % 2);
    e.protocol = hm660::ArchiveEntry::mbus_secondary;
    e.secondary = {static_cast<std::uint32_t>(0x30000000 + i), 0x2C2D, 1, 4};
    out.push_back(e);
  }
  return out;
}

void expect_archive(const FakeConcentrator& hm, const std::vector<hm660::ArchiveEntry>& want) {
  ASSERT_EQ(hm.archive.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i)
    EXPECT_TRUE(hm.archive[i].same_meter(want[i])) << "entry " << i;
}

TEST(Hm660Procedures, WritesTheArchiveInSlicesAndCarriesOnWhereItPaused) {
  FakeConcentrator hm;
  hm.archive = entries(3);  // what a technician left: cleared first
  const auto want = entries(40);
  FakeBus bus(hm.answer());
  hm660::ArchiveWrite write(want);
  write.pause_after(2);
  link::Exchange first(write, link::Timing::serial(9600));
  bus.run(first);
  ASSERT_EQ(write.verdict(), link::Verdict::ok) << write.problem();
  EXPECT_TRUE(write.paused());
  EXPECT_EQ(write.written(), 30u);
  EXPECT_EQ(hm.archive.size(), 30u);
  write.resume(2);
  link::Exchange second(write, link::Timing::serial(9600));
  bus.run(second);
  ASSERT_EQ(write.verdict(), link::Verdict::ok) << write.problem();
  EXPECT_FALSE(write.paused());
  EXPECT_EQ(write.written(), 40u);
  expect_archive(hm, want);
}

TEST(Hm660Procedures, AnArchiveAddWhoseAcknowledgementIsLostIsNotWrittenTwice) {
  FakeConcentrator hm;
  hm.lose_add_acks = 1;  // took, but the master heard nothing
  hm.drop_adds = 1;      // later one never arrived: sent again
  const auto want = entries(50);
  FakeBus bus(hm.answer());
  hm660::ArchiveWrite write(want);
  link::Exchange exchange(write, link::Timing::serial(9600));
  bus.run(exchange);
  ASSERT_EQ(write.verdict(), link::Verdict::ok) << write.problem();
  expect_archive(hm, want);
  EXPECT_EQ(write.restarts(), 0u);
}

TEST(Hm660Procedures, AnArchiveWriteStoppedByALostLineCarriesOnWithoutWritingTwice) {
  for (const bool took : {false, true}) {
    FakeConcentrator hm;
    (took ? hm.lose_add_acks : hm.drop_adds) = 1;
    const auto want = entries(33);
    FakeBus bus(hm.answer());
    hm660::ArchiveWrite write(want, 0, 0);  // no second try: the add's loss stops it
    link::Exchange first(write, link::Timing::serial(9600));
    bus.run(first);
    ASSERT_EQ(write.verdict(), link::Verdict::no_answer);
    write.resume(0);
    link::Exchange second(write, link::Timing::serial(9600));
    bus.run(second);
    ASSERT_EQ(write.verdict(), link::Verdict::ok) << write.problem();
    expect_archive(hm, want);
    EXPECT_EQ(write.restarts(), 0u);
  }
}

TEST(Hm660Procedures, AnArchiveWriteCarriesOnFromWhatARestartedMasterWrote) {
  FakeConcentrator hm;
  const auto want = entries(40);
  hm.archive.assign(want.begin(), want.begin() + 15);
  FakeBus bus(hm.answer());
  hm660::ArchiveWrite resumed(want, 15);
  link::Exchange exchange(resumed, link::Timing::serial(9600));
  bus.run(exchange);
  ASSERT_EQ(resumed.verdict(), link::Verdict::ok) << resumed.problem();
  expect_archive(hm, want);
  EXPECT_EQ(bus.requests.size(), 3u) << "info, then two adds: nothing cleared or sent twice";

  // An archive changed meanwhile (a technician's handheld): written again from the start.
  hm.archive.resize(7);
  hm660::ArchiveWrite again(want, 30);
  link::Exchange second(again, link::Timing::serial(9600));
  bus.run(second);
  ASSERT_EQ(again.verdict(), link::Verdict::ok) << again.problem();
  EXPECT_EQ(again.restarts(), 1u);
  expect_archive(hm, want);
}

TEST(Hm660Procedures, AnErrorAnswerNamesTheCode) {
  FakeConcentrator hm;
  hm.busy = true;
  FakeBus bus(hm.answer());
  hm660::Command scan(hm660::kScanStart, {0x0F});
  link::Exchange exchange(scan, link::Timing::serial(9600));
  bus.run(exchange);
  EXPECT_EQ(scan.verdict(), link::Verdict::refused);
  EXPECT_EQ(scan.problem(),
            "HM-660 command 0xA5: the concentrator answers error 5 (busy: a scan is running)");
}

TEST(Hm660Procedures, DecodersRejectShortAnswers) {
  const Bytes short_info(10, 0);
  EXPECT_FALSE(hm660::decode_info(short_info).ok());
  const Bytes page = {0, 0, 2, 0, 2, 1, 2, 3};  // two entries promised, 3 bytes given
  EXPECT_FALSE(hm660::decode_page(page).ok());
  const Bytes readings = {1, 0, 0, 1, 2, 3, 4, 5, 6, 50, 0xE5};  // 50 bytes promised
  EXPECT_FALSE(hm660::decode_readings(readings).ok());
}

}  // namespace
