#include "heatlink/sim/tcp_server_end.h"

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <vector>

namespace heatlink::sim {

namespace asio = boost::asio;
using asio::ip::tcp;

struct TcpServerEnd::Connection {
  Connection(asio::io_context& io, std::uint64_t id_, GprsLink& link_)
      : id(id_), link(&link_), socket(io) {}
  std::uint64_t id;
  GprsLink* link;
  tcp::socket socket;
  std::deque<std::vector<std::uint8_t>> out;
  std::array<std::uint8_t, 4096> in{};
  bool connected = false;
  bool writing = false;
  bool closing = false;  // the DTU side closed: shut down once the queue is written
  bool gone = false;
};

TcpServerEnd::TcpServerEnd(asio::io_context& io, std::string host, std::uint16_t port)
    : io_(io), host_(std::move(host)), port_(port) {}

TcpServerEnd::~TcpServerEnd() {
  for (auto& [id, c] : connections_) {
    c->gone = true;
    boost::system::error_code ignored;
    c->socket.close(ignored);
  }
}

void TcpServerEnd::accepted(std::uint64_t connection, std::uint32_t remote_ip, GprsLink& link) {
  auto c = std::make_shared<Connection>(io_, connection, link);
  connections_[connection] = c;
  boost::system::error_code ec;
  const auto server = asio::ip::make_address(host_, ec);
  if (ec) return lost(c);
  c->socket.open(server.is_v4() ? tcp::v4() : tcp::v6(), ec);
  if (!ec && server.is_loopback() && server.is_v4()) {
    // From 127.x.y.z: the DTU's carrier address, moved into the loopback network.
    c->socket.bind(tcp::endpoint(asio::ip::address_v4(0x7F000000u | (remote_ip & 0x00FFFFFFu)), 0),
                   ec);
    if (ec) ec.clear();  // not fatal: connect from 127.0.0.1 instead
  }
  if (ec) return lost(c);
  c->socket.async_connect(tcp::endpoint(server, port_),
                          [this, c](const boost::system::error_code& error) {
                            if (c->gone) return;
                            if (error) return lost(c);
                            c->connected = true;
                            do_read(c);
                            do_write(c);
                          });
}

void TcpServerEnd::received(std::uint64_t connection, protocol::Bytes bytes) {
  const auto it = connections_.find(connection);
  if (it == connections_.end()) {
    // A segment on a connection the server closed: its kernel answers with a reset (the FIN
    // may have been lost on the way, in a partition).
    if (const auto gone = closed_.find(connection); gone != closed_.end()) {
      GprsLink* link = gone->second;
      closed_.erase(gone);
      link->server_close(connection);
    }
    return;
  }
  it->second->out.emplace_back(bytes.begin(), bytes.end());
  do_write(it->second);
}

void TcpServerEnd::closed(std::uint64_t connection) {
  const auto it = connections_.find(connection);
  if (it == connections_.end()) return;
  it->second->closing = true;
  do_write(it->second);
}

void TcpServerEnd::do_write(const std::shared_ptr<Connection>& c) {
  if (!c->connected || c->writing || c->gone) return;
  if (c->out.empty()) {
    if (c->closing) {  // an orderly close: FIN after everything queued
      boost::system::error_code ignored;
      c->socket.shutdown(tcp::socket::shutdown_both, ignored);
      c->socket.close(ignored);
      c->gone = true;
      connections_.erase(c->id);
    }
    return;
  }
  c->writing = true;
  asio::async_write(c->socket, asio::buffer(c->out.front()),
                    [this, c](const boost::system::error_code& error, std::size_t) {
                      c->writing = false;
                      if (c->gone) return;
                      if (error) return lost(c);
                      c->out.pop_front();
                      do_write(c);
                    });
}

void TcpServerEnd::do_read(const std::shared_ptr<Connection>& c) {
  c->socket.async_read_some(asio::buffer(c->in),
                            [this, c](const boost::system::error_code& error, std::size_t n) {
                              if (c->gone) return;
                              if (error) return lost(c);  // EOF is the server closing: a normal end
                              c->link->server_send(c->id, protocol::Bytes{c->in.data(), n});
                              do_read(c);
                            });
}

void TcpServerEnd::lost(const std::shared_ptr<Connection>& c) {
  if (c->gone) return;
  c->gone = true;
  boost::system::error_code ignored;
  c->socket.close(ignored);
  connections_.erase(c->id);
  // Remembered for the reset a segment on it meets, the newest connections only.
  closed_[c->id] = c->link;
  if (closed_.size() > kClosedRemembered) closed_.erase(closed_.begin());
  c->link->server_close(c->id);  // the DTU learns its connection is over
}

}  // namespace heatlink::sim
