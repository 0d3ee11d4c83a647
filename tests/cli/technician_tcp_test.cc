// `heatlink mbus read --tcp`: through a transparent serial-to-TCP converter, played here by
// a loopback listener that answers the way a converter relays a meter, in two TCP chunks.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "child_process.h"

namespace {

std::vector<std::uint8_t> read_some(int fd) {
  std::vector<std::uint8_t> buffer(512);
  const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
  buffer.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return buffer;
}

TEST(TechnicianTcp, ReadsAMeterThroughAConverterThatSplitsTheAnswer) {
  std::uint16_t port = 0;
  const int listener = heatlink::test::listen_on_loopback(port);
  ASSERT_GE(listener, 0);
  std::vector<std::vector<std::uint8_t>> requests;
  std::thread converter([&] {
    const int fd = ::accept(listener, nullptr, nullptr);
    if (fd < 0) return;
    for (int i = 0; i < 2; ++i) {
      auto request = read_some(fd);
      if (request.empty()) break;
      requests.push_back(request);
      if (i == 0) {
        const std::uint8_t ack = 0xE5;
        ::send(fd, &ack, 1, 0);
        continue;
      }
      // RSP_UD from 5: energy 12345 kWh (04 06), sent in two pieces 100 ms apart.
      const std::uint8_t reply[] = {0x68, 0x15, 0x15, 0x68, 0x08, 0x05, 0x72, 0x78, 0x56,
                                    0x34, 0x12, 0x2D, 0x2C, 0x1B, 0x04, 0x01, 0x00, 0x00,
                                    0x00, 0x04, 0x06, 0x39, 0x30, 0x00, 0x00, 0x00, 0x16};
      std::uint8_t frame[sizeof reply];
      std::copy(std::begin(reply), std::end(reply), frame);
      std::uint8_t sum = 0;
      for (std::size_t k = 4; k < sizeof frame - 2; ++k)
        sum = static_cast<std::uint8_t>(sum + frame[k]);
      frame[sizeof frame - 2] = sum;
      ::send(fd, frame, 10, 0);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      ::send(fd, frame + 10, sizeof frame - 10, 0);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ::close(fd);
  });
  std::string out;
  const int status = heatlink::test::run_to_end(
      {HEATLINK_BIN, "mbus", "read", "5", "--tcp", "127.0.0.1:" + std::to_string(port), "--quiet"},
      out);
  converter.join();
  ::close(listener);
  ASSERT_EQ(status, 0) << out;
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["telegrams"][0]["id"], "12345678");
  EXPECT_EQ(j["telegrams"][0]["records"][0]["value"], 12345);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0], (std::vector<std::uint8_t>{0x10, 0x40, 0x05, 0x45, 0x16}));  // SND_NKE
  EXPECT_EQ(requests[1], (std::vector<std::uint8_t>{0x10, 0x7B, 0x05, 0x80, 0x16}));  // REQ_UD2
}

TEST(TechnicianTcp, ARefusedConnectionIsAnIoFailure) {
  std::uint16_t port = 0;
  const int listener = heatlink::test::listen_on_loopback(port);
  ::close(listener);  // nobody listens there now
  std::string out;
  EXPECT_EQ(heatlink::test::run_to_end({HEATLINK_BIN, "mbus", "read", "5", "--tcp",
                                        "127.0.0.1:" + std::to_string(port), "--quiet"},
                                       out),
            3);
}

}  // namespace
