// `heatlink sim --control`: the control API over real HTTP, and its traffic stream.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"

namespace {

// A port nobody listens on right now.
int free_port() {
  std::uint16_t port = 0;
  const int fd = heatlink::test::listen_on_loopback(port);
  ::close(fd);
  return port;
}

int connect_to(int port) {
  return heatlink::test::connect_to_loopback(static_cast<std::uint16_t>(port));
}

// Reads until `marker` has been seen `count` times, or 5 s pass.
std::string read_until(int fd, const std::string& marker, int count = 1) {
  std::string out;
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[4096];
  auto seen = [&] {
    int n = 0;
    for (auto at = out.find(marker); at != std::string::npos; at = out.find(marker, at + 1)) ++n;
    return n;
  };
  while (seen() < count) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

class SimControl : public ::testing::Test {
 protected:
  void SetUp() override {
    // The heat company's server: the DTUs connect here, so they have a link to put traffic on.
    std::uint16_t station_port = 0;
    station_ = heatlink::test::listen_on_loopback(station_port);
    ASSERT_GE(station_, 0);
    port_ = free_port();
    std::vector<std::string> args = {
        HEATLINK_BIN, "sim",
        "--topology", HEATLINK_SOURCE_DIR "/scenarios/topologies/small-district.yaml",
        "--control",  "127.0.0.1:" + std::to_string(port_),
        "--server",   "127.0.0.1:" + std::to_string(station_port),
        "--pace",     "x20"};
    pid_ = heatlink::test::spawn(args);
    ASSERT_GT(pid_, 0);
  }
  void TearDown() override {
    if (station_ >= 0) ::close(station_);
    int status = 0;
    if (pid_ > 0) {
      EXPECT_TRUE(heatlink::test::terminate(pid_, status)) << "status " << status;
    }
  }
  // One request on a keep-alive connection; returns the response.
  std::string request(int fd, const std::string& method, const std::string& target,
                      const std::string& body = {}) {
    const std::string text =
        method + " " + target +
        " HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n\r\n" + body;
    EXPECT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    return read_until(fd, "}");
  }
  int station_ = -1;
  int port_ = 0;
  pid_t pid_ = -1;
};

TEST_F(SimControl, AnswersOverHttpWithKeepAlive) {
  const int fd = connect_to(port_);
  ASSERT_GE(fd, 0);
  std::string r = request(fd, "GET", "/api/v1/status");
  EXPECT_NE(r.find("HTTP/1.1 200"), std::string::npos) << r;
  EXPECT_NE(r.find("\"meters\":310"), std::string::npos) << r;
  r = request(fd, "POST", "/api/v1/pause");
  EXPECT_NE(r.find("\"paused\":true"), std::string::npos) << r;
  r = request(fd, "PUT", "/api/v1/meters/0/faults", R"({"physical":["nonsense"]})");
  EXPECT_NE(r.find("HTTP/1.1 400"), std::string::npos) << r;
  r = request(fd, "GET", "/api/v1/nowhere");
  EXPECT_NE(r.find("HTTP/1.1 404"), std::string::npos) << r;
  ::close(fd);
}

TEST_F(SimControl, RefusesAnOversizedBody) {
  const int fd = connect_to(port_);
  ASSERT_GE(fd, 0);
  const std::string r = request(fd, "PUT", "/api/v1/weather", std::string(70 * 1024, ' ') + "{}");
  EXPECT_NE(r.find("HTTP/1.1 413"), std::string::npos) << r.substr(0, 200);
  ::close(fd);
}

TEST_F(SimControl, AnswersGarbageWith400) {
  const int fd = connect_to(port_);
  ASSERT_GE(fd, 0);
  const std::string junk = "HELLO\x01 there\r\n\r\n";
  ASSERT_EQ(::write(fd, junk.data(), junk.size()), static_cast<ssize_t>(junk.size()));
  const std::string r = read_until(fd, "}");
  EXPECT_NE(r.find("HTTP/1.1 400"), std::string::npos) << r;
  EXPECT_NE(r.find("malformed HTTP request"), std::string::npos) << r;
  ::close(fd);
  // The server is still there for the next client.
  const int next = connect_to(port_);
  EXPECT_NE(request(next, "GET", "/api/v1/status").find("HTTP/1.1 200"), std::string::npos);
  ::close(next);
}

TEST_F(SimControl, StreamsTheTraffic) {
  const int fd = connect_to(port_);
  ASSERT_GE(fd, 0);
  const std::string start = "GET /api/v1/traffic HTTP/1.1\r\nHost: localhost\r\n\r\n";
  ASSERT_EQ(::write(fd, start.data(), start.size()), static_cast<ssize_t>(start.size()));
  // Something must happen on the wire: make it happen.
  const int api = connect_to(port_);
  request(api, "POST", "/api/v1/dtus/0/power-off");
  request(api, "POST", "/api/v1/dtus/0/power-on");
  const std::string events = read_until(fd, "data: ", 2);
  EXPECT_NE(events.find("text/event-stream"), std::string::npos) << events;
  EXPECT_NE(events.find("\"source\":\"dtu/13800138000\""), std::string::npos) << events;
  ::close(api);
  ::close(fd);
}

}  // namespace
