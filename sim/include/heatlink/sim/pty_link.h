// A pseudo-terminal standing in for a concentrator's RS-232 port: the simulator holds the
// master side, a serial client opens the slave side through a symlink at a path of the
// user's choice (as it would open /dev/ttyUSB0).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "heatlink/protocol/bytes.h"

namespace heatlink::sim {

class PtyLink {
 public:
  // Creates the pty in raw mode and links `path` to its slave device (replacing an old link).
  // On failure returns nothing and sets `error`.
  static std::optional<PtyLink> open(const std::string& path, std::string& error);
  PtyLink(PtyLink&& other) noexcept;
  PtyLink& operator=(PtyLink&&) = delete;
  PtyLink(const PtyLink&) = delete;
  ~PtyLink();  // closes both sides and removes the link

  int fd() const noexcept { return master_; }
  const std::string& device() const noexcept { return device_; }
  // Reads what the client wrote (non-blocking; empty when nothing is there).
  std::vector<std::uint8_t> read_available();
  // Writes `bytes` for the client; false when the pty is gone.
  bool write(protocol::Bytes bytes);
  // The baud rate the client set on its side (0 when it cannot be read).
  unsigned client_baud() const;

 private:
  PtyLink(int master, int slave, std::string device, std::string link)
      : master_(master), slave_(slave), device_(std::move(device)), link_(std::move(link)) {}

  int master_ = -1;
  int slave_ = -1;  // kept open so the pty survives clients that come and go
  std::string device_;
  std::string link_;
};

}  // namespace heatlink::sim
