// One live DTU connection (see gateway.h): a DtuConnection on the connection's own strand,
// with the socket and one timer. Kept alive by its pending reads, writes and timer waits
// (shared_from_this), as in the Beast examples.
#pragma once

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "heatlink/master/gateway/dtu_connection.h"

namespace heatlink::master {

class DtuSession : public DtuEndpoint, public std::enable_shared_from_this<DtuSession> {
 public:
  DtuSession(DtuRegistry& registry, boost::asio::ip::tcp::socket socket);

  void start();

  // DtuEndpoint (close() and enqueue() from any thread).
  const std::string& id() const override { return connection_->id(); }
  const std::string& remote() const override { return connection_->remote(); }
  bool registered() const override { return connection_->registered(); }
  void close(std::string reason) override;
  void enqueue(std::shared_ptr<protocol::link::Procedure> procedure, ProcedureDone done) override;

 private:
  void do_read();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  void do_write();
  void on_write(const boost::system::error_code& ec, std::size_t n);
  // Re-arms the timer to the connection's deadline.
  void rearm();
  void on_timer(const boost::system::error_code& ec);
  void close_socket();

  DtuRegistry& registry_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  std::optional<Micros> armed_;  // the deadline the timer waits for
  std::array<std::uint8_t, 512> read_buffer_{};
  std::deque<std::vector<std::uint8_t>> writes_;
  std::optional<DtuConnection> connection_;
};

}  // namespace heatlink::master
