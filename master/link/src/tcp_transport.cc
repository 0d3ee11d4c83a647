// A transparent serial-to-TCP converter, over Boost.Asio.
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <chrono>

#include "heatlink/master/link/link_driver.h"

namespace heatlink::master {

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class TcpTransport : public Transport {
 public:
  TcpTransport(std::string host, std::uint16_t port) : host_(std::move(host)), port_(port) {}

  IoStatus connect(Micros timeout) {
    boost::system::error_code ec;
    tcp::resolver resolver(io_);
    const auto endpoints = resolver.resolve(host_, std::to_string(port_), ec);
    if (ec) return {describe() + ": " + ec.message()};
    bool finished = false;
    asio::async_connect(socket_, endpoints,
                        [&](const boost::system::error_code& e, const tcp::endpoint&) {
                          ec = e;
                          finished = true;
                        });
    wait(finished, timeout);
    if (ec == asio::error::operation_aborted) return {describe() + ": connection timed out"};
    if (ec) return {describe() + ": " + ec.message()};
    socket_.set_option(tcp::no_delay(true), ec);
    return {};
  }

  IoStatus write(protocol::Bytes bytes) override {
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), ec);
    if (ec) return {describe() + ": write: " + ec.message()};
    return {};
  }

  IoStatus read(std::vector<std::uint8_t>& out, Micros deadline, Clock& clock) override {
    const Micros left = deadline - clock.now();
    if (left <= 0) return {};
    std::uint8_t buffer[1024];
    boost::system::error_code ec;
    std::size_t n = 0;
    bool finished = false;
    socket_.async_read_some(asio::buffer(buffer),
                            [&](const boost::system::error_code& e, std::size_t count) {
                              ec = e;
                              n = count;
                              finished = true;
                            });
    wait(finished, left);
    if (ec == asio::error::operation_aborted) return {};  // the deadline: nothing came
    if (ec == asio::error::eof) return {describe() + ": the converter closed the connection"};
    if (ec) return {describe() + ": read: " + ec.message()};
    out.insert(out.end(), buffer, buffer + n);
    return {};
  }

  std::string describe() const override { return "tcp " + host_ + ":" + std::to_string(port_); }

 private:
  // Runs the io_context until the operation has `finished`, cancelling it at `timeout` (its
  // handler then sees operation_aborted, unless it completed meanwhile).
  void wait(const bool& finished, Micros timeout) {
    io_.restart();
    io_.run_for(std::chrono::microseconds(timeout));
    if (finished) return;
    socket_.cancel();
    io_.restart();
    io_.run();
  }

  std::string host_;
  std::uint16_t port_;
  asio::io_context io_;
  tcp::socket socket_{io_};
};

}  // namespace

std::unique_ptr<Transport> open_tcp(const std::string& host, std::uint16_t port,
                                    Micros connect_timeout, IoStatus& status) {
  auto transport = std::make_unique<TcpTransport>(host, port);
  status = transport->connect(connect_timeout);
  if (!status.ok()) return nullptr;
  return transport;
}

}  // namespace heatlink::master
