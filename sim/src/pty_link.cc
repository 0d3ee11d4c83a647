#include "heatlink/sim/pty_link.h"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace heatlink::sim {

std::optional<PtyLink> PtyLink::open(const std::string& path, std::string& error) {
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
  if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) {
    error = std::string("cannot create a pseudo-terminal: ") + std::strerror(errno);
    if (master >= 0) ::close(master);
    return std::nullopt;
  }
  const char* name = ::ptsname(master);
  const std::string device = name != nullptr ? name : "";
  const int slave = ::open(device.c_str(), O_RDWR | O_NOCTTY);
  if (slave < 0) {
    error = "cannot open " + device + ": " + std::strerror(errno);
    ::close(master);
    return std::nullopt;
  }
  termios raw{};
  ::tcgetattr(slave, &raw);
  ::cfmakeraw(&raw);  // no echo, no line editing, no CR/LF translation: bytes as they are
  ::tcsetattr(slave, TCSANOW, &raw);
  ::unlink(path.c_str());
  if (::symlink(device.c_str(), path.c_str()) != 0) {
    error = "cannot link " + path + " to " + device + ": " + std::strerror(errno);
    ::close(slave);
    ::close(master);
    return std::nullopt;
  }
  return PtyLink(master, slave, device, path);
}

PtyLink::PtyLink(PtyLink&& other) noexcept
    : master_(other.master_),
      slave_(other.slave_),
      device_(std::move(other.device_)),
      link_(std::move(other.link_)) {
  other.master_ = other.slave_ = -1;
  other.link_.clear();
}

PtyLink::~PtyLink() {
  if (!link_.empty()) ::unlink(link_.c_str());
  if (slave_ >= 0) ::close(slave_);
  if (master_ >= 0) ::close(master_);
}

std::vector<std::uint8_t> PtyLink::read_available() {
  std::vector<std::uint8_t> out;
  std::uint8_t buf[4096];
  for (;;) {
    const ssize_t n = ::read(master_, buf, sizeof buf);
    if (n <= 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  return out;
}

bool PtyLink::write(protocol::Bytes bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(master_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      // A client that does not read fills the pty: wait a little, then drop, as a UART would.
      pollfd p{master_, POLLOUT, 0};
      if (errno == EAGAIN && ::poll(&p, 1, 100) > 0) continue;
      return false;
    }
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

unsigned PtyLink::client_baud() const {
  termios t{};
  if (::tcgetattr(slave_, &t) != 0) return 0;
  switch (::cfgetospeed(&t)) {
    case B300:
      return 300;
    case B600:
      return 600;
    case B1200:
      return 1200;
    case B2400:
      return 2400;
    case B4800:
      return 4800;
    case B9600:
      return 9600;
    case B19200:
      return 19200;
    case B38400:
      return 38400;
    case B57600:
      return 57600;
    case B115200:
      return 115200;
    default:
      return 0;
  }
}

}  // namespace heatlink::sim
