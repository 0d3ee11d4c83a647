// Flip every byte of valid frames in turn: each result must be a clean error or a different
// valid frame, never a crash or an out-of-bounds read (the sanitizer build runs this too).
#include <gtest/gtest.h>

#include "heatlink/protocol/cjt188.h"
#include "heatlink/protocol/frame_scan.h"
#include "heatlink/protocol/mbus_telegram.h"
#include "vectors.h"

namespace heatlink::protocol {
namespace {

using testing::hex;

std::vector<std::vector<std::uint8_t>> valid_frames() {
  std::vector<std::vector<std::uint8_t>> out;
  for (const auto& c : testing::captured_frames()) {
    if (c.valid) out.push_back(c.bytes);
  }
  for (const auto data :
       {testing::kMultical403, testing::kMultical603, testing::kSharky775, testing::kSonoMeter}) {
    out.push_back(testing::long_frame(0x08, 1, 0x72, data));
  }
  out.push_back(hex("10 5B 01 5C 16"));
  out.push_back(hex("68 03 03 68 53 FE 50 A1 16"));
  out.push_back(hex(
      "FE FE 68 20 78 56 34 12 00 00 00 81 2E 90 1F 01 56 34 12 00 05 67 45 23 00 05 34 12 00 00"
      " 17 56 00 00 00 35 67 45 03 00 2C 12 70 00 53 40 00 34 12 00 45 30 10 15 01 24 20 05 00 72 "
      "16"));
  out.push_back(hex("FE FE 68 20 78 56 34 12 00 00 00 C1 03 06 03 00 69 16"));
  return out;
}

// Scans and decodes everything in `bytes`; checks that every step is sane.
void scan_everything(const std::vector<std::uint8_t>& bytes) {
  mbus::Telegram telegram;
  cjt188::Reply reply;
  Bytes rest{bytes};
  while (!rest.empty()) {
    const AnyScanResult r = scan_any(rest, Protocol::any);
    if (r.status == mbus::ScanStatus::need_more) {
      EXPECT_GT(r.missing, 0u);
      return;
    }
    ASSERT_GT(r.consumed, 0u);
    ASSERT_LE(r.consumed, rest.size());
    if (r.status == mbus::ScanStatus::invalid) {
      EXPECT_FALSE(r.error.ok());
      EXPECT_LT(r.error.offset, rest.size());
      EXPECT_FALSE(r.error.message().empty());
    } else if (r.protocol == Protocol::mbus) {
      if (r.mbus.type == mbus::FrameType::long_frame) {
        // A frame that passed every check must be exactly what the encoder makes of it.
        const auto again = mbus::encode_long(r.mbus.c, r.mbus.a, r.mbus.ci, r.mbus.data);
        ASSERT_TRUE(again.ok());
        EXPECT_EQ(to_hex(again->view()), to_hex(rest.subspan(0, r.consumed)));
        if (!mbus::decode_telegram(r.mbus, telegram)) {
          EXPECT_LT(telegram.error.offset, r.consumed);
        }
      }
    } else if (!cjt188::decode_reply(r.cjt188, reply)) {
      EXPECT_LE(reply.error.offset, r.consumed);
    }
    rest = rest.subspan(r.consumed);
  }
}

TEST(Corruption, EveryFlippedByteGivesACleanErrorOrAnotherValidFrame) {
  const auto frames = valid_frames();
  ASSERT_GT(frames.size(), 20u);
  std::size_t variants = 0;
  for (const auto& frame : frames) {
    for (std::size_t i = 0; i < frame.size(); ++i) {
      for (const unsigned mask : {0x01u, 0x10u, 0x80u, 0xFFu}) {
        auto corrupted = frame;
        corrupted[i] = static_cast<std::uint8_t>(corrupted[i] ^ mask);
        SCOPED_TRACE(::testing::Message() << to_hex(frame) << " byte " << i << " ^ " << mask);
        scan_everything(corrupted);
        ++variants;
        if (::testing::Test::HasFatalFailure()) return;
      }
    }
  }
  EXPECT_GT(variants, 10000u);
}

TEST(Corruption, TruncationAtEveryLengthIsNeedMoreOrAnError) {
  for (const auto& frame : valid_frames()) {
    for (std::size_t n = 0; n < frame.size(); ++n) {
      const std::vector<std::uint8_t> prefix(frame.begin(),
                                             frame.begin() + static_cast<std::ptrdiff_t>(n));
      scan_everything(prefix);
    }
  }
}

}  // namespace
}  // namespace heatlink::protocol
