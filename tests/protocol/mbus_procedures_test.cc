// The M-Bus procedures against a scripted population of meters on a virtual clock: replies
// chunked arbitrarily, collisions garbled (or, when they line up, looking like one E5),
// missing replies.
#include "heatlink/protocol/mbus_procedures.h"

#include <gtest/gtest.h>

#include <limits>
#include <set>

#include "fake_bus.h"
#include "heatlink/protocol/mbus_encode.h"
#include "heatlink/protocol/mbus_telegram.h"

namespace {

namespace link = heatlink::protocol::link;
namespace mbus = heatlink::protocol::mbus;
using heatlink::test::FakeBus;
using Bytes = std::vector<std::uint8_t>;

struct FakeMeter {
  std::uint8_t primary = 0;
  mbus::SecondaryAddress secondary;
  unsigned telegrams = 1;
  // The slave's link state.
  std::optional<bool> last_fcb;
  unsigned part = 0;
  bool selected = false;
  std::optional<std::uint8_t> data_set;
};

mbus::SecondaryAddress address(const char* text) {
  return *mbus::SecondaryAddress::parse(text);
}

FakeMeter meter(std::uint8_t primary, const char* secondary, unsigned telegrams = 1) {
  FakeMeter m;
  m.primary = primary;
  m.secondary = address(secondary);
  m.telegrams = telegrams;
  return m;
}

// Answers as a segment of FakeMeters would: one answer passes, several collide.
class Population {
 public:
  std::vector<FakeMeter> meters;
  bool aligned_acks = false;  // colliding E5s line up and look like one
  // Behind a concentrator that forwards complete frames only (the HM-660 by default):
  // colliding telegrams are not passed on at all.
  bool swallowed_collisions = false;

  FakeBus::Answer answer() {
    return [this](const Bytes& request) { return on_request(request); };
  }

 private:
  std::optional<Bytes> on_request(const Bytes& bytes) {
    const auto frame = mbus::decode_frame(bytes);
    if (!frame) return std::nullopt;
    std::vector<FakeMeter*> who;
    const std::uint8_t function = frame->c & 0x0F;
    if (const auto mask = mbus::selection_of(*frame)) {
      for (FakeMeter& m : meters) {
        m.selected = mask->matches(m.secondary);
        if (m.selected) {
          m.last_fcb.reset();
          m.part = 0;
          who.push_back(&m);
        }
      }
      return acks(who.size());
    }
    for (FakeMeter& m : meters) {
      if (frame->a == 0xFF || frame->a == 0xFE || (frame->a == 0xFD && m.selected) ||
          (frame->a < 0xFD && m.primary == frame->a)) {
        who.push_back(&m);
      }
    }
    if (function == 0x00) {  // SND_NKE
      for (FakeMeter* m : who) {
        m->last_fcb.reset();
        m->part = 0;
        if (frame->a == 0xFD) m->selected = false;
      }
      return frame->a == 0xFF ? std::nullopt : acks(who.size());
    }
    if (function == 0x03) {  // SND_UD
      for (FakeMeter* m : who) {
        if (frame->ci == mbus::kCiApplicationReset && !frame->data.empty())
          m->data_set = frame->data[0];
        if (frame->ci == mbus::kCiDataSend && frame->data.size() == 3) m->primary = frame->data[2];
      }
      return acks(who.size());
    }
    if (function != 0x0B || who.empty()) return std::nullopt;  // REQ_UD2 only from here
    if (who.size() > 1 && swallowed_collisions) return std::nullopt;
    if (who.size() > 1) return Bytes{0x68, 0x1F, 0x3E, 0x00, 0x7C, 0xFF, 0x03};  // a collision
    FakeMeter& m = *who.front();
    const bool fcb = (frame->c & 0x20) != 0;
    if (m.last_fcb && fcb != *m.last_fcb) m.part = (m.part + 1) % m.telegrams;
    m.last_fcb = fcb;
    return telegram(m);
  }

  std::optional<Bytes> acks(std::size_t count) const {
    if (count == 0) return std::nullopt;
    if (count == 1 || aligned_acks) return Bytes{0xE5};
    return Bytes{0xE5, 0xC1, 0xFD};  // skewed E5s: framing errors and stray bytes
  }

  static Bytes telegram(const FakeMeter& m) {
    mbus::TelegramHeader h;
    h.id = m.secondary.id;
    h.manufacturer = m.secondary.manufacturer;
    h.version = m.secondary.version;
    h.medium = m.secondary.medium;
    const mbus::RecordSpec records[] = {
        mbus::RecordSpec::make({0x06}, 0x4, 1000 + m.part),  // energy, kWh; the part number
        mbus::RecordSpec::make({0xFD, 0x17}, 0x1, m.data_set.value_or(0)),
    };
    return (*mbus::encode_rsp_ud(m.primary, h, records, m.part + 1 < m.telegrams)).to_vector();
  }
};

std::int64_t energy_of(const Bytes& frame) {
  mbus::Telegram t;
  mbus::decode_telegram(*mbus::decode_frame(frame), t);
  return t.records.empty() ? -1 : t.records.front().mantissa;
}

TEST(MeterRead, FollowsAMultiTelegramAnswerTogglingTheFcb) {
  Population bus_meters;
  bus_meters.meters.push_back(meter(5, "123456782C2D1B04", 3));
  FakeBus bus(bus_meters.answer());
  bus.chunk = 3;
  mbus::MeterRead read(*mbus::Target::parse("5"));
  link::Exchange exchange(read, link::Timing::serial(2400));
  bus.run(exchange);
  ASSERT_EQ(read.verdict(), link::Verdict::ok) << read.problem();
  ASSERT_EQ(read.telegrams().size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(energy_of(read.telegrams()[i]), 1000 + i);
  ASSERT_EQ(bus.requests.size(), 4u);
  EXPECT_EQ(bus.requests[0], mbus::snd_nke(5).to_vector());
  EXPECT_EQ(bus.requests[1], mbus::req_ud2(5, true).to_vector());
  EXPECT_EQ(bus.requests[2], mbus::req_ud2(5, false).to_vector());
  EXPECT_EQ(bus.requests[3], mbus::req_ud2(5, true).to_vector());
}

TEST(MeterRead, AsksAgainWithTheSameFcbAfterALostReply) {
  Population bus_meters;
  bus_meters.meters.push_back(meter(5, "123456782C2D1B04", 2));
  mbus::MeterRead read(*mbus::Target::parse("5"));
  link::Exchange exchange(read, link::Timing::serial(2400));
  // Lose the meter's second telegram once: the repeat must carry the same FCB, and the meter
  // answers with the same telegram, not the one after it.
  std::size_t reads = 0;
  FakeBus lossy([&](const Bytes& request) -> std::optional<Bytes> {
    auto reply = bus_meters.answer()(request);
    if (request.size() == 5 && (request[1] & 0x0F) == 0x0B && ++reads == 2) return std::nullopt;
    return reply;
  });
  lossy.run(exchange);
  ASSERT_EQ(read.verdict(), link::Verdict::ok) << read.problem();
  ASSERT_EQ(read.telegrams().size(), 2u);
  EXPECT_EQ(energy_of(read.telegrams()[0]), 1000);
  EXPECT_EQ(energy_of(read.telegrams()[1]), 1001);
  ASSERT_EQ(lossy.requests.size(), 4u);
  EXPECT_EQ(lossy.requests[2], lossy.requests[3]) << "the repeat must keep the FCB";
}

TEST(MeterRead, SelectsBySecondaryAddressAndChoosesADataSet) {
  Population bus_meters;
  bus_meters.meters.push_back(meter(0, "20000001109305FF"));
  bus_meters.meters.push_back(meter(0, "2000000210930504"));
  bus_meters.meters.back().secondary.medium = 0x04;
  FakeBus bus(bus_meters.answer());
  mbus::MeterRead read(*mbus::Target::parse("20000002FFFFFFFF"), [] {
    mbus::ReadOptions o;
    o.data_set = 0x10;
    return o;
  }());
  link::Exchange exchange(read, link::Timing::serial(2400));
  bus.run(exchange);
  ASSERT_EQ(read.verdict(), link::Verdict::ok) << read.problem();
  ASSERT_EQ(read.telegrams().size(), 1u);
  EXPECT_EQ(mbus::identity_of(read.telegrams()[0])->id, 0x20000002u);
  EXPECT_EQ(bus_meters.meters[1].data_set, 0x10);
  EXPECT_FALSE(bus_meters.meters[0].data_set.has_value());
  EXPECT_EQ(bus.requests[0], mbus::select_secondary(address("20000002FFFFFFFF")).to_vector());
  EXPECT_EQ(bus.requests[1], mbus::application_reset(0xFD, 0x10).to_vector());
}

TEST(MeterRead, SaysWhichStepGotNoAnswer) {
  Population nobody;
  FakeBus bus(nobody.answer());
  mbus::MeterRead read(*mbus::Target::parse("17"));
  link::Exchange exchange(read, link::Timing::serial(2400));
  bus.run(exchange);
  EXPECT_EQ(read.verdict(), link::Verdict::no_answer);
  EXPECT_EQ(read.problem(), "SND_NKE to 17: no answer after 4 attempts");
  EXPECT_EQ(bus.requests.size(), 4u);
}

TEST(PrimaryScan, FindsEveryAddressAndFlagsTwoMetersOnOne) {
  Population bus_meters;
  bus_meters.meters.push_back(meter(1, "00000001FFFF0104"));
  bus_meters.meters.push_back(meter(9, "00000009FFFF0104"));
  bus_meters.meters.push_back(meter(9, "00000010FFFF0104"));
  bus_meters.meters.push_back(meter(250, "000002502C2D1B04"));
  FakeBus bus(bus_meters.answer());
  bus.chunk = 2;
  mbus::PrimaryScan scan;
  link::Exchange exchange(scan, link::Timing::serial(2400));
  bus.run(exchange);
  ASSERT_EQ(scan.verdict(), link::Verdict::ok);
  ASSERT_EQ(scan.hits().size(), 3u);
  EXPECT_EQ(scan.hits()[0].primary, 1);
  EXPECT_TRUE(scan.hits()[0].identified);
  EXPECT_EQ(scan.hits()[0].secondary.id, 0x00000001u);
  EXPECT_EQ(scan.hits()[1].primary, 9);
  EXPECT_TRUE(scan.hits()[1].collision);
  EXPECT_EQ(scan.hits()[2].primary, 250);
  EXPECT_EQ(scan.hits()[2].secondary.manufacturer, 0x2C2D);
}

// Meters whose IDs repeat under other manufacturers (hex digits in MMMM), versions with hex
// digits, and runs of neighbouring IDs.
std::vector<FakeMeter> crowded_segment() {
  std::vector<FakeMeter> meters;
  const std::uint16_t manufacturers[] = {0x2C2D /* KAM */, 0x2324 /* HYD */, 0x10D3 /* DFS */};
  for (std::uint32_t i = 0; i < 40; ++i) {
    FakeMeter m;
    m.secondary.id = 0x50000000 + ((i / 10) << 4) + (i % 10);  // BCD 500000i
    m.secondary.manufacturer = manufacturers[i % 3];
    m.secondary.version = static_cast<std::uint8_t>(0x1B + i % 2);
    m.secondary.medium = 0x04;
    meters.push_back(m);
  }
  for (const std::uint16_t man : manufacturers) {  // one ID, three manufacturers
    FakeMeter m;
    m.secondary = address("77777777FFFF0C04");
    m.secondary.manufacturer = man;
    meters.push_back(m);
  }
  FakeMeter versions;  // same ID and manufacturer, versions 0x1A and 0x1B
  versions.secondary = address("888888882C2D1A04");
  meters.push_back(versions);
  versions.secondary.version = 0x1B;
  meters.push_back(versions);
  return meters;
}

class SecondaryScanChunks : public ::testing::TestWithParam<std::size_t> {};

TEST_P(SecondaryScanChunks, FindsEveryMeterIncludingHexDigitPositions) {
  Population bus_meters;
  bus_meters.meters = crowded_segment();
  FakeBus bus(bus_meters.answer());
  bus.chunk = GetParam();
  mbus::SecondaryScan scan;
  link::Exchange exchange(scan, link::Timing::serial(2400));
  bus.run(exchange);
  ASSERT_EQ(scan.verdict(), link::Verdict::ok);
  std::set<std::string> found;
  for (const auto& hit : scan.hits()) {
    EXPECT_TRUE(hit.identified);
    found.insert(hit.secondary.to_string());
  }
  std::set<std::string> expected;
  for (const auto& m : bus_meters.meters) expected.insert(m.secondary.to_string());
  EXPECT_EQ(found, expected);
  EXPECT_EQ(scan.hits().size(), bus_meters.meters.size()) << "each meter once";
}

INSTANTIATE_TEST_SUITE_P(Chunks, SecondaryScanChunks, ::testing::Values(1, 4, 300));

// A scan that yields to scheduled reads: paused every 25 selections, its bus then used by
// another master read that selects a meter, resumed - it finds every meter, each once, with
// about the selections of an uninterrupted scan.
TEST(SecondaryScan, PausedAndResumedBetweenOtherReadsFindsEveryMeterOnce) {
  Population bus_meters;
  bus_meters.meters = crowded_segment();
  FakeBus bus(bus_meters.answer());
  mbus::SecondaryScan whole;
  link::Exchange uninterrupted(whole, link::Timing::serial(2400));
  bus.run(uninterrupted);

  mbus::SecondaryScan scan;
  scan.pause_after(25);
  unsigned slices = 0;
  while (true) {
    link::Exchange exchange(scan, link::Timing::serial(2400));
    bus.run(exchange);
    ++slices;
    ASSERT_EQ(scan.verdict(), link::Verdict::ok);
    if (!scan.paused()) break;
    mbus::Target target;
    target.by_secondary = true;
    target.secondary = bus_meters.meters[3].secondary;
    mbus::MeterRead other(target);
    link::Exchange read(other, link::Timing::serial(2400));
    bus.run(read);  // the schedule's turn: a meter is left selected
    scan.resume(25);
  }
  EXPECT_GT(slices, 3u);
  std::set<std::string> found, expected;
  for (const auto& hit : scan.hits()) found.insert(hit.secondary.to_string());
  for (const auto& m : bus_meters.meters) expected.insert(m.secondary.to_string());
  EXPECT_EQ(found, expected);
  EXPECT_EQ(scan.hits().size(), bus_meters.meters.size()) << "each meter once";
  EXPECT_LE(scan.probes(), whole.probes() + slices) << "a resumed scan does not start over";
}

TEST(SecondaryScan, ConfirmsALoneAckBecauseAlignedCollisionsLookLikeOne) {
  Population bus_meters;
  bus_meters.meters = crowded_segment();
  bus_meters.aligned_acks = true;  // only the confirmation read can tell
  FakeBus bus(bus_meters.answer());
  mbus::SecondaryScan scan;
  link::Exchange exchange(scan, link::Timing::serial(2400));
  bus.run(exchange);
  EXPECT_EQ(scan.hits().size(), bus_meters.meters.size());
}

// Behind an HM-660 that forwards complete frames only, aligned E5s look like one meter and
// the telegrams that then collide never arrive: the silence under a mask with wildcards is
// several meters, not a meter called FFFFFFFF (what the scan reported before).
TEST(SecondaryScan, ASilentConfirmationUnderWildcardsIsSeveralMetersNotOne) {
  Population bus_meters;
  bus_meters.meters = crowded_segment();
  bus_meters.aligned_acks = true;
  bus_meters.swallowed_collisions = true;
  FakeBus bus(bus_meters.answer());
  mbus::SecondaryScan scan;
  link::Exchange exchange(scan, link::Timing::serial(2400));
  bus.run(exchange);
  ASSERT_EQ(scan.verdict(), link::Verdict::ok);
  std::set<std::string> found, expected;
  for (const auto& hit : scan.hits()) {
    EXPECT_TRUE(hit.identified) << hit.secondary.to_string();
    found.insert(hit.secondary.to_string());
  }
  for (const auto& m : bus_meters.meters) expected.insert(m.secondary.to_string());
  EXPECT_EQ(found, expected);
}

TEST(SecondaryScan, LateAcknowledgementsNeitherInventNorHideMeters) {
  // Every E5 comes 25 ms after the selection's 0.355 s timeout: the repeated selection gets the
  // first one, and the repeat's own E5 strays into whatever request follows.
  Population bus_meters;
  bus_meters.meters = crowded_segment();
  FakeBus bus(bus_meters.answer());
  bus.delay_for = [](const Bytes& request) -> link::Micros {
    return mbus::selection_of(*mbus::decode_frame(request)) ? 380'000 : 30'000;
  };
  mbus::SecondaryScan scan;
  link::Exchange exchange(scan, link::Timing::serial(2400));
  bus.run(exchange);
  std::set<std::string> found;
  for (const auto& hit : scan.hits()) {
    EXPECT_TRUE(hit.identified) << hit.secondary.to_string();
    found.insert(hit.secondary.to_string());
  }
  std::set<std::string> expected;
  for (const auto& m : bus_meters.meters) expected.insert(m.secondary.to_string());
  EXPECT_EQ(found, expected);
}

// The line goes dark for a while somewhere in the scan - requests lost, or held and answered
// when it comes back, as a cell outage does - at each twentieth of an undisturbed scan's
// time after the first answer: no silence of the dark is taken for an empty subtree (before, a scan
// that met the dark at the top of the search found nothing, and reported so as a success).
struct DarkLine {
  double at;  // of the undisturbed scan's time
  link::Micros lasting;
  bool held;
};

class SecondaryScanDarkLine : public ::testing::TestWithParam<DarkLine> {};

// How long a scan of the crowded segment takes on a line that stays sound.
link::Micros undisturbed_scan_time() {
  Population undisturbed;
  undisturbed.meters = crowded_segment();
  FakeBus reference(undisturbed.answer());
  mbus::SecondaryScan whole;
  link::Exchange uninterrupted(whole, link::Timing::serial(2400));
  return reference.run(uninterrupted);
}

TEST_P(SecondaryScanDarkLine, FindsEveryMeterOnceTheLineAnswersAgain) {
  const link::Micros duration = undisturbed_scan_time();
  Population bus_meters;
  bus_meters.meters = crowded_segment();
  FakeBus bus(bus_meters.answer());
  const DarkLine d = GetParam();
  const auto from = static_cast<link::Micros>(d.at * static_cast<double>(duration));
  bus.dark = FakeBus::Dark{from, from + d.lasting, d.held};
  mbus::SecondaryScan scan;
  link::Exchange exchange(scan, link::Timing::serial(2400));
  bus.run(exchange);
  ASSERT_EQ(scan.verdict(), link::Verdict::ok) << scan.problem();
  std::set<std::string> found, expected;
  for (const auto& hit : scan.hits()) found.insert(hit.secondary.to_string());
  for (const auto& m : bus_meters.meters) expected.insert(m.secondary.to_string());
  EXPECT_EQ(found, expected);
  EXPECT_EQ(scan.hits().size(), bus_meters.meters.size()) << "each meter once";
}

std::vector<DarkLine> dark_lines() {
  std::vector<DarkLine> lines;
  // Not at the very start: before anything answered, a dark line and an empty bus look alike.
  for (int k = 1; k < 20; ++k) {
    for (const link::Micros lasting : {link::Micros{800'000}, link::Micros{5'000'000}}) {
      for (const bool held : {false, true}) lines.push_back({k / 20.0, lasting, held});
    }
  }
  return lines;
}

INSTANTIATE_TEST_SUITE_P(Everywhere, SecondaryScanDarkLine, ::testing::ValuesIn(dark_lines()));

TEST(SecondaryScan, ALineThatStaysDarkFailsTheScanSayingSoWithTheMetersFound) {
  const link::Micros duration = undisturbed_scan_time();
  Population bus_meters;
  bus_meters.meters = crowded_segment();
  FakeBus bus(bus_meters.answer());
  bus.dark = FakeBus::Dark{duration / 2, std::numeric_limits<link::Micros>::max(), false};
  mbus::SecondaryScan scan;
  link::Exchange exchange(scan, link::Timing::serial(2400));
  bus.run(exchange);
  EXPECT_EQ(scan.verdict(), link::Verdict::no_answer);
  EXPECT_NE(scan.problem().find("the line stopped answering"), std::string::npos) << scan.problem();
  EXPECT_NE(scan.problem().find(std::to_string(scan.hits().size()) + " meter(s) found"),
            std::string::npos)
      << scan.problem();
  EXPECT_GT(scan.hits().size(), 0u);
  EXPECT_LT(scan.hits().size(), bus_meters.meters.size());
}

TEST(SecondaryScan, KeepsItsFixedDigits) {
  Population bus_meters;
  bus_meters.meters = crowded_segment();
  FakeBus bus(bus_meters.answer());
  mbus::SecondaryScan scan(address("77777777FFFFFFFF"));
  link::Exchange exchange(scan, link::Timing::serial(2400));
  bus.run(exchange);
  EXPECT_EQ(scan.hits().size(), 3u);
}

TEST(SetPrimaryAddress, MovesAMeterAndConfirmsIt) {
  Population bus_meters;
  bus_meters.meters.push_back(meter(0, "12345678FFFF0104"));
  FakeBus bus(bus_meters.answer());
  mbus::SetPrimaryAddress set(*mbus::Target::parse("12345678FFFFFFFF"), 42);
  link::Exchange exchange(set, link::Timing::serial(2400));
  bus.run(exchange);
  ASSERT_EQ(set.verdict(), link::Verdict::ok) << set.problem();
  EXPECT_EQ(bus_meters.meters[0].primary, 42);
  EXPECT_EQ(bus.requests.back(), mbus::snd_nke(42).to_vector());
}

TEST(SetPrimaryAddress, RefusesAnAddressInUse) {
  Population bus_meters;
  bus_meters.meters.push_back(meter(3, "00000003FFFF0104"));
  bus_meters.meters.push_back(meter(42, "00000042FFFF0104"));
  FakeBus bus(bus_meters.answer());
  mbus::SetPrimaryAddress set(*mbus::Target::parse("3"), 42);
  link::Exchange exchange(set, link::Timing::serial(2400));
  bus.run(exchange);
  EXPECT_EQ(set.verdict(), link::Verdict::refused);
  EXPECT_EQ(set.problem(), "address 42 is already in use on this bus");
  EXPECT_EQ(bus_meters.meters[0].primary, 3);
}

TEST(Target, ParsesPrimaryAndSecondaryAddresses) {
  EXPECT_EQ(mbus::Target::parse("250")->primary, 250);
  EXPECT_TRUE(mbus::Target::parse("12345678FFFFFFFF")->by_secondary);
  EXPECT_FALSE(mbus::Target::parse("251").ok());
  EXPECT_FALSE(mbus::Target::parse("").ok());
  EXPECT_FALSE(mbus::Target::parse("12x").ok());
  EXPECT_FALSE(mbus::Target::parse("12345678FFFFFFFG").ok());
}

}  // namespace
