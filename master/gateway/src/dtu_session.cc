#include "dtu_session.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace heatlink::master {

namespace asio = boost::asio;

namespace {

Micros steady_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string remote_of(const asio::ip::tcp::socket& socket) {
  boost::system::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  return ec ? "?" : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

}  // namespace

DtuSession::DtuSession(DtuRegistry& registry, asio::ip::tcp::socket socket)
    : registry_(registry), socket_(std::move(socket)), timer_(socket_.get_executor()) {
  DtuConnectionHooks hooks;
  hooks.send = [this](std::vector<std::uint8_t> bytes) {
    writes_.push_back(std::move(bytes));
    if (writes_.size() == 1) do_write();
  };
  hooks.registered = [this](const DtuModel& model, bool parked) {
    registry_.on_registered(shared_from_this(), model, parked);
  };
  hooks.closed = [this](const std::string& reason, bool silent, bool rejected) {
    registry_.on_closed(*this, reason, silent, rejected);
    close_socket();
  };
  connection_.emplace(registry, remote_of(socket_), std::move(hooks), steady_micros());
}

void DtuSession::start() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->rearm();
    self->do_read();
  });
}

void DtuSession::close(std::string reason) {
  asio::post(socket_.get_executor(), [self = shared_from_this(), reason = std::move(reason)] {
    self->connection_->close(reason);
  });
}

void DtuSession::enqueue(std::shared_ptr<protocol::link::Procedure> procedure, ProcedureDone done) {
  asio::post(socket_.get_executor(), [self = shared_from_this(), procedure = std::move(procedure),
                                      done = std::move(done)]() mutable {
    self->connection_->enqueue(std::move(procedure), std::move(done), steady_micros());
    self->rearm();
  });
}

// ---- reading

void DtuSession::do_read() {
  socket_.async_read_some(asio::buffer(read_buffer_),
                          [self = shared_from_this()](const boost::system::error_code& ec,
                                                      std::size_t n) { self->on_read(ec, n); });
}

void DtuSession::on_read(const boost::system::error_code& ec, std::size_t n) {
  if (connection_->closed()) return;
  if (ec == asio::error::eof) return connection_->close("the DTU closed the connection");
  if (ec) return connection_->close("read: " + ec.message());
  connection_->on_bytes(protocol::Bytes(read_buffer_.data(), n), steady_micros());
  if (connection_->closed()) return;
  rearm();
  do_read();
}

// ---- writing

void DtuSession::do_write() {
  asio::async_write(socket_, asio::buffer(writes_.front()),
                    [self = shared_from_this()](const boost::system::error_code& ec,
                                                std::size_t n) { self->on_write(ec, n); });
}

void DtuSession::on_write(const boost::system::error_code& ec, std::size_t n) {
  if (connection_->closed()) return;
  if (ec) return connection_->close("write: " + ec.message());
  connection_->on_sent(n);
  writes_.pop_front();
  if (!writes_.empty()) do_write();
}

// ---- time

void DtuSession::rearm() {
  const auto deadline = connection_->deadline();
  if (deadline == armed_) return;
  armed_ = deadline;
  if (!deadline) {
    timer_.cancel();
    return;
  }
  timer_.expires_at(std::chrono::steady_clock::time_point(std::chrono::microseconds(*deadline)));
  timer_.async_wait(
      [self = shared_from_this()](const boost::system::error_code& ec) { self->on_timer(ec); });
}

void DtuSession::on_timer(const boost::system::error_code& ec) {
  if (ec || connection_->closed()) return;  // re-armed (cancelled) or closed
  armed_.reset();
  connection_->on_timer(steady_micros());
  rearm();
}

void DtuSession::close_socket() {
  timer_.cancel();
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace heatlink::master
