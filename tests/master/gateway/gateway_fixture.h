// A gateway in the test's process, on real loopback sockets, with its io_context on a thread
// of its own; and a raw TCP client that plays a DTU byte by byte.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "heatlink/master/gateway/gateway.h"

namespace heatlink::test {

class RunningGateway {
 public:
  explicit RunningGateway(master::GatewayConfig config)
      : gateway_(io_, std::move(config), [](const std::string& line) { log_line(line); }) {
    started_ = gateway_.start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~RunningGateway() {
    gateway_.stop();
    work_.reset();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    io_.stop();
    thread_.join();
  }
  RunningGateway(const RunningGateway&) = delete;
  RunningGateway& operator=(const RunningGateway&) = delete;

  master::Gateway& operator*() { return gateway_; }
  master::Gateway* operator->() { return &gateway_; }
  const master::IoStatus& started() const { return started_; }

 private:
  static void log_line(const std::string& line) {
    std::fprintf(stderr, "gateway: %s\n", line.c_str());
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  master::Gateway gateway_;
  master::IoStatus started_;
  std::thread thread_;
};

// True once `condition` holds, checked every 20 ms for up to `timeout`.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < give_up) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

class RawDtu {
 public:
  explicit RawDtu(std::uint16_t port) : fd_(connect_to_loopback(port)) {}
  ~RawDtu() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawDtu(const RawDtu&) = delete;
  RawDtu& operator=(const RawDtu&) = delete;

  bool connected() const { return fd_ >= 0; }
  void send(const std::string& bytes) const {
    send(std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
  }
  void send(const std::vector<std::uint8_t>& bytes) const {
    if (fd_ >= 0) (void)::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }
  // Reads what the server sends for up to `wait`; true when the server closed the connection.
  bool closed_by_server(std::chrono::milliseconds wait,
                        std::vector<std::uint8_t>* received = nullptr) const {
    const auto give_up = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < give_up) {
      timeval tv{0, 50'000};
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      std::uint8_t buffer[1024];
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n == 0) return true;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return true;
      if (n > 0 && received != nullptr) received->insert(received->end(), buffer, buffer + n);
    }
    return false;
  }

 private:
  int fd_;
};

}  // namespace heatlink::test
