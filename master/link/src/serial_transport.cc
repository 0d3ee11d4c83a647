// A serial port through libserialport.
#include <libserialport.h>

#include <algorithm>

#include "heatlink/master/link/link_driver.h"
#include "termios_transport.h"

namespace heatlink::master {

namespace {

std::string last_error(const std::string& path, const char* what) {
  char* message = sp_last_error_message();
  std::string text = path + ": " + what + ": " + (message != nullptr ? message : "unknown error");
  sp_free_error_message(message);
  return text;
}

class SerialTransport : public Transport {
 public:
  SerialTransport(sp_port* port, std::string path, unsigned baud)
      : port_(port), path_(std::move(path)), baud_(baud) {}
  ~SerialTransport() override {
    sp_close(port_);
    sp_free_port(port_);
  }
  SerialTransport(const SerialTransport&) = delete;
  SerialTransport& operator=(const SerialTransport&) = delete;

  IoStatus write(protocol::Bytes bytes) override {
    // Generous: the wire time of the bytes plus a second.
    const auto timeout_ms = static_cast<unsigned>(1000 + bytes.size() * 11 * 1000 / baud_);
    const sp_return r = sp_blocking_write(port_, bytes.data(), bytes.size(), timeout_ms);
    if (r < 0) return {last_error(path_, "write")};
    if (static_cast<std::size_t>(r) != bytes.size()) return {path_ + ": write timed out"};
    return {};
  }

  IoStatus read(std::vector<std::uint8_t>& out, Micros deadline, Clock& clock) override {
    const Micros left = deadline - clock.now();
    if (left <= 0) return {};
    // libserialport treats 0 as "wait for ever": wait at least a millisecond.
    const auto timeout_ms = static_cast<unsigned>(std::max<Micros>(1, (left + 999) / 1000));
    std::uint8_t buffer[512];
    const sp_return r = sp_blocking_read_next(port_, buffer, sizeof buffer, timeout_ms);
    if (r < 0) return {last_error(path_, "read")};
    out.insert(out.end(), buffer, buffer + r);
    return {};
  }

  void discard_input() override { sp_flush(port_, SP_BUF_INPUT); }

  std::string describe() const override { return path_ + " at " + std::to_string(baud_) + " 8E1"; }

 private:
  sp_port* port_;
  std::string path_;
  unsigned baud_;
};

}  // namespace

std::unique_ptr<Transport> open_serial(const std::string& path, unsigned baud, IoStatus& status) {
  sp_port* port = nullptr;
  if (sp_get_port_by_name(path.c_str(), &port) != SP_OK) {
    // Not a port libserialport knows: a pseudo-terminal, or nothing at all.
    return open_termios(path, baud, status);
  }
  if (sp_open(port, SP_MODE_READ_WRITE) != SP_OK) {
    status = {last_error(path, "cannot open")};
    sp_free_port(port);
    return nullptr;
  }
  auto transport = std::make_unique<SerialTransport>(port, path, baud);
  const bool configured =
      sp_set_baudrate(port, static_cast<int>(baud)) == SP_OK && sp_set_bits(port, 8) == SP_OK &&
      sp_set_parity(port, SP_PARITY_EVEN) == SP_OK && sp_set_stopbits(port, 1) == SP_OK &&
      sp_set_flowcontrol(port, SP_FLOWCONTROL_NONE) == SP_OK;
  if (!configured) {
    status = {last_error(path, ("cannot set " + std::to_string(baud) + " 8E1").c_str())};
    return nullptr;
  }
  status = {};
  return transport;
}

}  // namespace heatlink::master
