// The slave side of the EN 13757-2 link layer, sans-I/O: a request frame in, the reply bytes
// (if the slave answers) out. Addressing (primary, broadcast, secondary selection with
// wildcards), the FCB rule and multi-telegram answers live here; what a telegram says is the
// device's business (MbusDevice). Timing is the bus segment's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "heatlink/protocol/bytes.h"
#include "heatlink/protocol/mbus_frame.h"
#include "heatlink/protocol/mbus_request.h"

namespace heatlink::sim {

// What a simulated meter contributes to the link layer.
class MbusDevice {
 public:
  virtual ~MbusDevice() = default;
  // The RSP_UD for `part` (0 = first) of the current data set, sent from `address`. Sets
  // `*more` when another part follows (the telegram then ends with DIF 0x1F).
  virtual protocol::FrameBytes telegram(std::uint8_t address, std::size_t part, bool* more) = 0;
  // REQ_UD1: class 1 data (alarms), or nothing (the slave answers E5).
  virtual std::optional<protocol::FrameBytes> alarm(std::uint8_t /*address*/) {
    return std::nullopt;
  }
  // CI 0x50, with or without a sub-code (Danfoss SonoMeter selects its data set with it).
  virtual void application_reset(std::optional<std::uint8_t> /*subcode*/) {}
  // CI 0xB8-0xBF: the slave has acknowledged at the old rate and now listens at `baud`.
  virtual void baud_changed(unsigned /*baud*/) {}
  // SND_UD with a date-time record (04 6D): the meter's clock is set to it.
  virtual void set_clock(const protocol::mbus::TimePoint& /*time*/) {}
};

class MbusSlave {
 public:
  MbusSlave(MbusDevice& device, std::uint8_t primary, protocol::mbus::SecondaryAddress secondary)
      : device_(&device), primary_(primary), secondary_(secondary) {}

  // Handles one request; returns the bytes to send back, or nothing when the slave stays
  // silent (not addressed, a broadcast, a non-matching selection, a slave's own frame).
  std::optional<protocol::FrameBytes> receive(const protocol::mbus::Frame& request);

  std::uint8_t primary() const noexcept { return primary_; }
  // A technician's hand-held tool re-addressing the meter (or a meter swapped in with the
  // address of another): from now on it answers at `address`.
  void set_primary(std::uint8_t address) noexcept { primary_ = address; }
  const protocol::mbus::SecondaryAddress& secondary() const noexcept { return secondary_; }
  bool selected() const noexcept { return selected_; }

 private:
  bool addressed(std::uint8_t a) const noexcept;
  std::optional<protocol::FrameBytes> on_snd_ud(const protocol::mbus::Frame& request);
  protocol::FrameBytes on_req_ud2(std::uint8_t c);

  MbusDevice* device_;
  std::uint8_t primary_;
  protocol::mbus::SecondaryAddress secondary_;
  bool selected_ = false;
  std::optional<bool> last_fcb_;  // unknown after SND_NKE
  std::size_t part_ = 0;
  bool more_ = false;  // the last telegram said another part follows
};

}  // namespace heatlink::sim
