// `heatlink sim --server`: two simulated DTUs connect to a small TCP server inside the test,
// register, heartbeat, answer a REQ_UD2 sent down the socket, and after a reset of the link
// register again from a new address.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "child_process.h"
#include "heatlink/protocol/dtu.h"
#include "heatlink/protocol/mbus_request.h"
#include "heatlink/protocol/mbus_telegram.h"

namespace {

namespace dtu = heatlink::protocol::dtu;
namespace mbus = heatlink::protocol::mbus;

constexpr const char* kTopology = R"(
stations:
  - concentrators:
      - name: hm-a
        dtu: {id: "13800000001", convention: id_on_connect, heartbeat_s: 20, link: good}
        channels:
          - meters: [{kind: multical403, count: 2, id: 10000001, primary: 1}]
      - name: hm-b
        dtu: {id: "13800000002", convention: ddp, heartbeat_s: 20, link: good}
        channels:
          - meters: [{kind: sharky775, count: 1, id: 20000001, primary: 5}]
)";

struct Session {
  int fd = -1;
  std::string address;
  std::optional<dtu::UpstreamDecoder> decoder;
  dtu::Convention convention = dtu::Convention::id_on_connect;
  std::vector<std::uint8_t> serial;
  int heartbeats = 0;
  bool asked = false;
};

class SimServer : public ::testing::Test {
 protected:
  void SetUp() override {
    std::uint16_t port = 0;
    listener_ = heatlink::test::listen_on_loopback(port);
    ASSERT_GE(listener_, 0);
    const std::string topology =
        ::testing::TempDir() + "sim-server-" + std::to_string(::getpid()) + ".yaml";
    std::ofstream(topology) << kTopology;
    std::vector<std::string> args = {HEATLINK_BIN, "sim",      "--topology",
                                     topology,     "--server", "127.0.0.1:" + std::to_string(port),
                                     "--pace",     "x20",      "--seed",
                                     "3"};
    pid_ = heatlink::test::spawn(args);
    ASSERT_GT(pid_, 0);
  }

  void TearDown() override {
    for (auto& [fd, s] : sessions_) ::close(fd);
    if (listener_ >= 0) ::close(listener_);
    int status = 0;
    if (pid_ > 0) {
      EXPECT_TRUE(heatlink::test::terminate(pid_, status)) << "status " << status;
    }
  }

  // Serves connections until `done` holds or `limit` passes.
  template <class Done>
  bool serve(Done done, std::chrono::seconds limit = std::chrono::seconds(20)) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < give_up) {
      if (done()) return true;
      std::vector<pollfd> fds{{listener_, POLLIN, 0}};
      for (auto& [fd, s] : sessions_) fds.push_back({fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
      if (fds[0].revents & POLLIN) accept_one();
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents & (POLLIN | POLLHUP)) read_from(fds[i].fd);
      }
    }
    return done();
  }

  void accept_one() {
    sockaddr_in from{};
    socklen_t len = sizeof from;
    const int fd = ::accept(listener_, reinterpret_cast<sockaddr*>(&from), &len);
    if (fd < 0) return;
    char text[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &from.sin_addr, text, sizeof text);
    sessions_[fd].fd = fd;
    sessions_[fd].address = text;
  }

  void read_from(int fd) {
    Session& s = sessions_[fd];
    std::uint8_t buf[4096];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) {
      ::close(fd);
      sessions_.erase(fd);
      return;
    }
    if (!s.decoder) {
      s.convention =
          buf[0] == dtu::kDdpMark ? dtu::Convention::ddp : dtu::Convention::id_on_connect;
      s.decoder.emplace(s.convention, 11);
    }
    for (const dtu::Event& e : s.decoder->feed({buf, static_cast<std::size_t>(n)})) {
      if (e.kind == dtu::EventKind::registered) {
        registrations.push_back({e.id, s.address});
        if (s.convention == dtu::Convention::ddp)
          send(fd, dtu::registration_ack({dtu::Convention::ddp, e.id, "", ""}));
      } else if (e.kind == dtu::EventKind::heartbeat) {
        ++s.heartbeats;
      } else if (e.kind == dtu::EventKind::data) {
        s.serial.insert(s.serial.end(), e.bytes.begin(), e.bytes.end());
      }
    }
  }

  void send(int fd, const std::vector<std::uint8_t>& bytes) {
    ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }

  Session* session_of(const std::string& id) {
    for (auto& [fd, s] : sessions_) {
      if (s.decoder && s.decoder->id() == id) return &s;
    }
    return nullptr;
  }

  std::map<int, Session> sessions_;
  std::vector<std::pair<std::string, std::string>> registrations;  // id, remote address
  int listener_ = -1;
  pid_t pid_ = -1;
};

TEST_F(SimServer, DtusRegisterHeartbeatAnswerAndComeBackAfterAReset) {
  ASSERT_TRUE(serve([&] { return session_of("13800000001") && session_of("13800000002"); }))
      << "no registrations";
  EXPECT_NE(session_of("13800000001")->address, session_of("13800000002")->address);

  // A REQ_UD2 down each socket, in each DTU's convention.
  Session* a = session_of("13800000001");
  Session* b = session_of("13800000002");
  send(a->fd, mbus::req_ud2(2, true).to_vector());
  send(b->fd, dtu::server_data({dtu::Convention::ddp, "13800000002", "", ""},
                               mbus::req_ud2(5, true).view()));
  ASSERT_TRUE(serve([&] {
    return mbus::decode_frame(a->serial).ok() && mbus::decode_frame(b->serial).ok();
  })) << heatlink::protocol::to_hex(a->serial)
      << " / " << heatlink::protocol::to_hex(b->serial);
  mbus::Telegram t;
  ASSERT_TRUE(mbus::decode_telegram(*mbus::decode_frame(a->serial), t));
  EXPECT_EQ(t.id, 0x10000002u);
  ASSERT_TRUE(mbus::decode_telegram(*mbus::decode_frame(b->serial), t));
  EXPECT_EQ(t.id, 0x20000001u);

  ASSERT_TRUE(serve([&] { return a->heartbeats > 0 && b->heartbeats > 0; })) << "no heartbeats";

  // The server resets the first DTU's link: it must come back, from a new address.
  const std::string old_address = a->address;
  ::shutdown(a->fd, SHUT_RDWR);
  ::close(a->fd);
  sessions_.erase(a->fd);
  ASSERT_TRUE(serve([&] { return session_of("13800000001") != nullptr; })) << "no re-registration";
  std::size_t first_id = 0;
  for (const auto& [id, address] : registrations) first_id += id == "13800000001";
  EXPECT_EQ(first_id, 2u);
  EXPECT_NE(session_of("13800000001")->address, old_address);
}

}  // namespace
