// Link layer: frame decode/encode, every check of EN 13757-2, and the streaming scanner.
#include "heatlink/protocol/mbus_frame.h"

#include <gtest/gtest.h>

#include <vector>

#include "heatlink/protocol/frame_stream.h"
#include "test_frames.h"

namespace heatlink::protocol::mbus {
namespace {

using testing::hex;

TEST(MbusFrame, DecodesAck) {
  const auto f = decode_frame(hex("E5"));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->type, FrameType::ack);
  EXPECT_EQ(f->size, 1u);
}

TEST(MbusFrame, DecodesShortFrame) {
  const auto f = decode_frame(hex("10 5B 01 5C 16"));
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(f->type, FrameType::short_frame);
  EXPECT_EQ(f->c, 0x5B);
  EXPECT_EQ(f->a, 1);
  EXPECT_STREQ(control_name(f->c), "REQ_UD2");
}

TEST(MbusFrame, DecodesControlFrame) {
  const auto f = decode_frame(hex("68 03 03 68 53 FE 50 A1 16"));
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(f->type, FrameType::control);
  EXPECT_EQ(f->ci, 0x50);
  EXPECT_TRUE(f->data.empty());
}

TEST(MbusFrame, DecodesLongFrame) {
  const auto bytes = testing::long_frame(0x08, 0x05, 0x72, testing::kMultical403);
  const auto f = decode_frame(bytes);
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(f->type, FrameType::long_frame);
  EXPECT_EQ(f->ci, 0x72);
  EXPECT_EQ(f->data.size(), bytes.size() - 9);
  EXPECT_STREQ(control_name(f->c), "RSP_UD");
}

TEST(MbusFrame, RejectsBadChecksumNamingBothBytes) {
  const auto f = decode_frame(hex("10 5B 01 5A 16"));
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, Errc::bad_checksum);
  EXPECT_EQ(f.error().offset, 3u);
  EXPECT_EQ(f.error().message(), "checksum: expected 0x5C, found 0x5A");
}

TEST(MbusFrame, RejectsBadStopByte) {
  const auto f = decode_frame(hex("10 5B 01 5C 17"));
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, Errc::bad_stop);
  EXPECT_EQ(f.error().message(), "stop byte: expected 0x16, found 0x17");
}

TEST(MbusFrame, RejectsLengthFieldsThatDisagree) {
  const auto f = decode_frame(hex("68 03 04 68 53 FE 50 A1 16"));
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, Errc::bad_length);
  EXPECT_EQ(f.error().offset, 2u);
}

TEST(MbusFrame, RejectsLengthBelowThree) {
  const auto f = decode_frame(hex("68 02 02 68 53 FE A1 16"));
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, Errc::bad_length);
  EXPECT_EQ(f.error().offset, 1u);
}

TEST(MbusFrame, RejectsMissingSecondStart) {
  const auto f = decode_frame(hex("68 03 03 69 53 FE 50 A1 16"));
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, Errc::bad_start);
  EXPECT_EQ(f.error().offset, 3u);
}

TEST(MbusFrame, ReportsTruncationAndTrailingBytes) {
  EXPECT_EQ(decode_frame(hex("68 03 03 68 53 FE")).error().code, Errc::truncated);
  EXPECT_EQ(decode_frame(hex("E5 E5")).error().code, Errc::bad_length);
}

TEST(MbusFrame, EncodesEveryFrameType) {
  EXPECT_EQ(encode_ack().to_vector(), hex("E5"));
  EXPECT_EQ(encode_short(0x40, 0x01).to_vector(), hex("10 40 01 41 16"));
  EXPECT_EQ(encode_control(0x53, 0xFE, 0x50).to_vector(), hex("68 03 03 68 53 FE 50 A1 16"));
  const auto data = hex(testing::kMultical403);
  const auto f = encode_long(0x08, 0x05, 0x72, data);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->to_vector(), testing::long_frame(0x08, 0x05, 0x72, testing::kMultical403));
}

TEST(MbusFrame, EncoderRefusesOversizedData) {
  const std::vector<std::uint8_t> data(253, 0);
  const auto f = encode_long(0x08, 1, 0x72, data);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, Errc::too_long);
  EXPECT_TRUE(encode_long(0x08, 1, 0x72, Bytes{data.data(), 252}).ok());
}

// --- the streaming scanner -------------------------------------------------------------

struct Scanned {
  std::vector<std::vector<std::uint8_t>> frames;
  std::size_t skipped = 0;
  std::size_t invalid_reports = 0;
};

// Feeds `stream` in chunks of `chunk` bytes, as a socket reader would, and collects the
// frames.
Scanned scan_in_chunks(const std::vector<std::uint8_t>& stream, std::size_t chunk) {
  Scanned out;
  FrameStream frames(Protocol::mbus);
  for (std::size_t pos = 0; pos < stream.size(); pos += chunk) {
    const Bytes piece = Bytes{stream}.subspan(pos, std::min(chunk, stream.size() - pos));
    EXPECT_EQ(frames.feed(piece), piece.size());
    for (AnyScanResult r = frames.next(); r.status != ScanStatus::need_more; r = frames.next()) {
      EXPECT_GT(r.consumed, 0u);
      if (r.status == ScanStatus::complete) {
        const Bytes f = Bytes{stream}.subspan(frames.position() - r.consumed, r.consumed);
        out.frames.emplace_back(f.begin(), f.end());
        EXPECT_EQ(r.mbus.size, r.consumed);
      } else {
        out.skipped += r.consumed;
        ++out.invalid_reports;
      }
    }
  }
  return out;
}

std::vector<std::uint8_t> noisy_stream() {
  std::vector<std::uint8_t> s = hex("00 FF 37");  // line noise
  const auto append = [&s](const std::vector<std::uint8_t>& b) {
    s.insert(s.end(), b.begin(), b.end());
  };
  append(hex("10 5B 01 5C 16"));  // REQ_UD2 echoed by a converter
  append(hex("E5"));              // an ACK
  append(testing::long_frame(0x08, 0x01, 0x72, testing::kMultical403));
  append(hex("68 05 07 68"));  // a broken header
  append(testing::long_frame(0x08, 0x02, 0x72, testing::kSharky775));
  append(hex("10 5B 02 00 16"));  // a short frame with a bad checksum
  append(testing::long_frame(0x08, 0x03, 0x72, testing::kSonoMeter));
  return s;
}

TEST(MbusScanner, SkipsAndReportsNoiseBeforeFrames) {
  const Scanned whole = scan_in_chunks(noisy_stream(), 1 << 20);
  ASSERT_EQ(whole.frames.size(), 5u);
  EXPECT_EQ(whole.frames[0], hex("10 5B 01 5C 16"));
  EXPECT_EQ(whole.frames[1], hex("E5"));
  EXPECT_EQ(whole.frames[2], testing::long_frame(0x08, 0x01, 0x72, testing::kMultical403));
  EXPECT_EQ(whole.frames[3], testing::long_frame(0x08, 0x02, 0x72, testing::kSharky775));
  EXPECT_EQ(whole.frames[4], testing::long_frame(0x08, 0x03, 0x72, testing::kSonoMeter));
  EXPECT_GT(whole.invalid_reports, 0u);
  EXPECT_EQ(whole.skipped, 3u + 4u + 5u);
}

TEST(MbusScanner, GivesTheSameFramesWhateverTheChunking) {
  const auto stream = noisy_stream();
  const Scanned whole = scan_in_chunks(stream, stream.size());
  for (const std::size_t chunk : {1u, 2u, 3u, 7u, 64u}) {
    const Scanned chunked = scan_in_chunks(stream, chunk);
    EXPECT_EQ(chunked.frames, whole.frames) << "chunk " << chunk;
    EXPECT_EQ(chunked.skipped, whole.skipped) << "chunk " << chunk;
  }
}

TEST(MbusScanner, NeedMoreSaysHowManyBytesAreMissing) {
  const auto frame = testing::long_frame(0x08, 0x01, 0x72, testing::kMultical403);
  const ScanResult r = scan_frame(Bytes{frame.data(), 4});
  EXPECT_EQ(r.status, ScanStatus::need_more);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_EQ(r.missing, frame.size() - 4);
}

TEST(MbusScanner, DropsAWholeLongFrameThatFailsItsChecksum) {
  auto frame = testing::long_frame(0x08, 0x01, 0x72, testing::kMultical403);
  frame[frame.size() - 2] ^= 0x01;
  const ScanResult r = scan_frame(frame);
  EXPECT_EQ(r.status, ScanStatus::invalid);
  EXPECT_EQ(r.consumed, frame.size());
  EXPECT_EQ(r.error.code, Errc::bad_checksum);
  EXPECT_EQ(r.error.offset, frame.size() - 2);
}

}  // namespace
}  // namespace heatlink::protocol::mbus
