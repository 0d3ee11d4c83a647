// The live server end: a simulated DTU's connection as a real TCP connection on loopback, to a
// server the test plays.
#include "heatlink/sim/tcp_server_end.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <chrono>
#include <thread>

#include "fast_dtu.h"
#include "heatlink/sim/md109g.h"

namespace heatlink::sim {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

using test::fast_dtu;

class TcpServerEndTest : public ::testing::Test {
 protected:
  TcpServerEndTest() {
    link.bind(dtu);
    accept_next();
  }

  // Virtual time and the real sockets move on together, 100 ms of each at a time, until
  // `done` or `virtual_limit`.
  void pump(Micros virtual_limit, const std::function<bool()>& done) {
    while (!done() && queue.now() < virtual_limit) {
      queue.run_until(queue.now() + milliseconds(100));
      io.poll();
      io.restart();
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }

  // The server accepts the next connection.
  void accept_next() {
    acceptor.async_accept([this](const boost::system::error_code& ec, tcp::socket s) {
      if (!ec) accepted.push_back(std::move(s));
    });
  }

  asio::io_context io;
  tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  std::vector<tcp::socket> accepted;
  EventQueue queue;
  TcpServerEnd end{io, "127.0.0.1", acceptor.local_endpoint().port()};
  GprsLink link{queue, end, 3, "dtu-1"};
  Md109g dtu{queue, fast_dtu(), 3, link};
};

// The server closes the connection while the network is partitioned: its FIN is lost, and the
// DTU still believes in the connection. Once the network heals, the DTU's next heartbeat meets
// the server's reset, as a real TCP stack answers a segment on a closed connection, and the
// DTU connects again.
TEST_F(TcpServerEndTest, ADtuWhoseConnectionTheServerClosedInAPartitionReconnectsAfterIt) {
  dtu.power_on();
  pump(minutes(1), [&] { return !accepted.empty() && end.open_connections() == 1; });
  ASSERT_EQ(accepted.size(), 1u);
  ASSERT_EQ(dtu.state(), BearerState::registered);

  const auto partition = link.start({FaultKind::partition, Direction::both});
  accepted.front().close();  // three heartbeats missed: the server gives up on the DTU
  pump(queue.now() + minutes(1), [&] { return end.open_connections() == 0; });
  ASSERT_EQ(end.open_connections(), 0u) << "the server's end saw the close";
  EXPECT_EQ(dtu.state(), BearerState::registered) << "the FIN was lost in the partition";

  link.stop(partition);
  accept_next();
  pump(queue.now() + minutes(5), [&] { return accepted.size() == 2; });
  ASSERT_EQ(accepted.size(), 2u) << "the DTU never learned that its connection was gone";
  // The new connection registers.
  std::array<char, 11> id{};
  asio::read(accepted.back(), asio::buffer(id));
  EXPECT_EQ(std::string(id.begin(), id.end()), "13800138000");
}

}  // namespace
}  // namespace heatlink::sim
