// A terminal device through termios, for what libserialport will not open: pseudo-terminals
// (libserialport looks every port up in /sys/class/tty, where ptys are not listed; its
// upstream pull request #4 adding them is still open). Same settings: 8E1, raw, no flow
// control.
#include "termios_transport.h"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace heatlink::master {

namespace {

speed_t speed_of(unsigned baud) {
  switch (baud) {
    case 300:
      return B300;
    case 600:
      return B600;
    case 1200:
      return B1200;
    case 4800:
      return B4800;
    case 9600:
      return B9600;
    case 19200:
      return B19200;
    case 38400:
      return B38400;
    default:
      return B2400;
  }
}

class TermiosTransport : public Transport {
 public:
  TermiosTransport(int fd, std::string path, unsigned baud)
      : fd_(fd), path_(std::move(path)), baud_(baud) {}
  ~TermiosTransport() override { ::close(fd_); }
  TermiosTransport(const TermiosTransport&) = delete;
  TermiosTransport& operator=(const TermiosTransport&) = delete;

  IoStatus write(protocol::Bytes bytes) override {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
      if (n > 0) {
        done += static_cast<std::size_t>(n);
      } else if (n < 0 && errno == EAGAIN) {
        pollfd p{fd_, POLLOUT, 0};
        if (::poll(&p, 1, 1000) <= 0) return {path_ + ": write timed out"};
      } else if (n < 0 && errno != EINTR) {
        return {path_ + ": write: " + std::strerror(errno)};
      }
    }
    return {};
  }

  IoStatus read(std::vector<std::uint8_t>& out, Micros deadline, Clock& clock) override {
    for (;;) {
      const Micros left = deadline - clock.now();
      if (left <= 0) return {};
      pollfd p{fd_, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(std::max<Micros>(1, (left + 999) / 1000)));
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0) return {path_ + ": poll: " + std::strerror(errno)};
      if (ready == 0) continue;
      if ((p.revents & (POLLERR | POLLHUP)) != 0 && (p.revents & POLLIN) == 0)
        return {path_ + ": the other end closed the line"};
      std::uint8_t buffer[512];
      const ssize_t n = ::read(fd_, buffer, sizeof buffer);
      if (n > 0) {
        out.insert(out.end(), buffer, buffer + n);
        return {};
      }
      if (n < 0 && errno != EAGAIN && errno != EINTR)
        return {path_ + ": read: " + std::strerror(errno)};
    }
  }

  void discard_input() override { ::tcflush(fd_, TCIFLUSH); }

  std::string describe() const override {
    return path_ + " at " + std::to_string(baud_) + " 8E1 (termios)";
  }

 private:
  int fd_;
  std::string path_;
  unsigned baud_;
};

}  // namespace

std::unique_ptr<Transport> open_termios(const std::string& path, unsigned baud, IoStatus& status) {
  const int fd = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    status = {path + ": cannot open: " + std::strerror(errno)};
    return nullptr;
  }
  termios t{};
  if (::tcgetattr(fd, &t) != 0) {
    status = {path + ": not a serial port: " + std::strerror(errno)};
    ::close(fd);
    return nullptr;
  }
  ::cfmakeraw(&t);
  t.c_cflag |= PARENB | CS8 | CREAD | CLOCAL;
  t.c_cflag &= ~static_cast<tcflag_t>(PARODD | CSTOPB | CRTSCTS);
  ::cfsetispeed(&t, speed_of(baud));
  ::cfsetospeed(&t, speed_of(baud));
  // A pseudo-terminal has no wire and keeps no parity: Linux clears PARENB, and glibc then
  // reports EINVAL although everything else was set. What matters is the rate.
  termios applied{};
  if (::tcsetattr(fd, TCSANOW, &t) != 0 && (errno != EINVAL || ::tcgetattr(fd, &applied) != 0 ||
                                            ::cfgetospeed(&applied) != speed_of(baud))) {
    status = {path + ": cannot set " + std::to_string(baud) + " 8E1: " + std::strerror(errno)};
    ::close(fd);
    return nullptr;
  }
  status = {};
  return std::make_unique<TermiosTransport>(fd, path, baud);
}

}  // namespace heatlink::master
