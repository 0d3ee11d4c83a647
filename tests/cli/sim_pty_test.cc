// `heatlink sim --pty`: a serial client opens the pseudo-terminal at 2400 8E1, finds a meter
// by secondary selection and reads its multi-telegram answer, as a real M-Bus master would.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "heatlink/protocol/frame_stream.h"
#include "heatlink/protocol/mbus_request.h"
#include "heatlink/protocol/mbus_telegram.h"

namespace {

namespace mbus = heatlink::protocol::mbus;
using heatlink::protocol::FrameStream;

class SimPty : public ::testing::Test {
 protected:
  void SetUp() override {
    link_ = ::testing::TempDir() + "heatlink-sim-" + std::to_string(::getpid()) + ".pty";
    std::vector<std::string> args = {
        HEATLINK_BIN, "sim",
        "--topology", HEATLINK_SOURCE_DIR "/scenarios/topologies/small-district.yaml",
        "--pty",      link_,
        "--pace",     "x20",
        "--seed",     "5"};
    pid_ = heatlink::test::spawn(args);
    ASSERT_GT(pid_, 0);
    struct stat st {};
    for (int i = 0; i < 100 && ::stat(link_.c_str(), &st) != 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    fd_ = ::open(link_.c_str(), O_RDWR | O_NOCTTY);
    ASSERT_GE(fd_, 0) << "no pty at " << link_;
    termios t{};
    ASSERT_EQ(::tcgetattr(fd_, &t), 0);
    ::cfmakeraw(&t);
    t.c_cflag |= PARENB | CS8 | CREAD | CLOCAL;  // 8E1
    t.c_cflag &= ~static_cast<tcflag_t>(PARODD | CSTOPB);
    ::cfsetispeed(&t, B2400);
    ::cfsetospeed(&t, B2400);
    ASSERT_EQ(::tcsetattr(fd_, TCSANOW, &t), 0);
  }

  void TearDown() override {
    if (fd_ >= 0) ::close(fd_);
    if (pid_ > 0) {
      int status = 0;
      EXPECT_TRUE(heatlink::test::terminate(pid_, status)) << "status " << status;
      struct stat st {};
      EXPECT_NE(::stat(link_.c_str(), &st), 0) << "the link outlived the simulator";
    }
  }

  // Sends `request` and returns the first complete frame that comes back, if any.
  std::optional<std::vector<std::uint8_t>> exchange(
      const heatlink::protocol::FrameBytes& request,
      std::chrono::seconds timeout = std::chrono::seconds(10)) {
    EXPECT_EQ(::write(fd_, request.bytes.data(), request.size), static_cast<ssize_t>(request.size));
    FrameStream stream;
    const auto give_up = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < give_up) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      std::uint8_t buf[512];
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) continue;
      stream.feed({buf, static_cast<std::size_t>(n)});
      for (auto r = stream.next(); r.status != mbus::ScanStatus::need_more; r = stream.next()) {
        if (r.status == mbus::ScanStatus::complete)
          return std::vector<std::uint8_t>(r.bytes.begin(), r.bytes.end());
      }
    }
    return std::nullopt;
  }

  std::string link_;
  pid_t pid_ = -1;
  int fd_ = -1;
};

TEST_F(SimPty, FindsAMeterBySecondarySelectionAndReadsItsMultiTelegramAnswer) {
  // The small district's SonoMeters (IDs 20000001-20000005) answer with all data: two telegrams.
  const auto ack =
      exchange(mbus::select_secondary(*mbus::SecondaryAddress::parse("20000003FFFFFFFF")));
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(*ack, std::vector<std::uint8_t>{0xE5});

  mbus::Telegram t;
  const auto first = exchange(mbus::req_ud2(mbus::kAddressSelected, true));
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(mbus::decode_telegram(*mbus::decode_frame(*first), t)) << t.error.message();
  EXPECT_EQ(t.id, 0x20000003u);
  EXPECT_STREQ(mbus::manufacturer_letters(t.manufacturer).data(), "DFS");
  EXPECT_TRUE(t.more_records_follow);

  const auto second = exchange(mbus::req_ud2(mbus::kAddressSelected, false));  // FCB toggled
  ASSERT_TRUE(second.has_value());
  ASSERT_TRUE(mbus::decode_telegram(*mbus::decode_frame(*second), t)) << t.error.message();
  EXPECT_FALSE(t.more_records_follow);
  std::size_t month_values = 0;
  for (const mbus::Record& r : t.records) month_values += r.storage >= 2;
  EXPECT_EQ(month_values, 11u);
}

TEST_F(SimPty, StaysSilentForAnIdThatIsNotThere) {
  // At x20 a reply would take well under a second: two seconds of silence is an answer.
  EXPECT_FALSE(exchange(mbus::select_secondary(*mbus::SecondaryAddress::parse("99999999FFFFFFFF")),
                        std::chrono::seconds(2))
                   .has_value());
}

}  // namespace
