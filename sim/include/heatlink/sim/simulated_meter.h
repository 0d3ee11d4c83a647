// One simulated heat meter: its physics (HeatMeterModel), the telegrams of its vendor, and
// its side of the link layer (M-Bus through MbusSlave, or CJ/T 188). Talks bytes only.
//
// Not copyable or movable (its slave refers to it): keep meters in a std::deque. Reads use
// the shared clock and heat station, which must outlive the meter.
#pragma once

#include <deque>
#include <memory>
#include <optional>

#include "heatlink/protocol/cjt188.h"
#include "heatlink/sim/heat_meter_model.h"
#include "heatlink/sim/mbus_slave.h"
#include "heatlink/sim/vendor_telegrams.h"

namespace heatlink::sim {

class SimulatedMeter final : public MbusDevice {
 public:
  SimulatedMeter(MeterKind kind, const MeterIdentity& identity, const HeatMeterModel& model,
                 const HeatStation& station, const EventQueue& clock);
  SimulatedMeter(const SimulatedMeter&) = delete;
  SimulatedMeter& operator=(const SimulatedMeter&) = delete;

  MeterKind kind() const noexcept { return kind_; }
  const MeterIdentity& identity() const noexcept { return identity_; }
  MbusSlave& mbus() noexcept { return slave_; }
  // A CJ/T 188 request in, the reply out (nothing when not addressed or not a CJ/T 188 meter).
  std::optional<protocol::FrameBytes> receive_cjt188(const protocol::cjt188::Frame& request);

  // The telegram the meter would send now (its RSP_UD, or a CJ/T 188 meter's 901F reply),
  // without counting as a read: the next real read sends the same access number.
  protocol::FrameBytes preview();

  // Ground truth: the model brought up to the clock's now.
  const HeatMeterModel& model_now();
  HeatMeterModel& model() noexcept { return model_; }

  // The fitter swaps the meter for a new one of the same kind at the same primary address (换表):
  // the new device has identification number `id` (8 BCD digits; for CJ/T 188 its address),
  // its registers start at `energy_kwh` and 0 m3, and its clock and faults are the old one's
  // (the flow through the household goes on). The household's history belongs to the old ID.
  void replace(std::uint32_t id, double energy_kwh);

  // The registers it sent, for a bench in another process (the control API): the newest
  // `count` answers, when each left and the energy register the meter held then. Off (0) by
  // default: a district of millions keeps nothing.
  struct Answer {
    Micros at = 0;
    double energy_kwh = 0;
  };
  void keep_answers(std::size_t count);
  const std::deque<Answer>& answers() const noexcept;

  unsigned baud() const noexcept { return baud_; }
  DataSet data_set() const noexcept { return data_set_; }
  void set_data_set(DataSet data_set) noexcept { data_set_ = data_set; }
  // How long the motorised valve takes to move (CJ/T 188 meters).
  Micros valve_travel = seconds(15);

  // MbusDevice
  protocol::FrameBytes telegram(std::uint8_t address, std::size_t part, bool* more) override;
  // REQ_UD1: with a fault present, a short telegram with the vendor's error code.
  std::optional<protocol::FrameBytes> alarm(std::uint8_t address) override;
  void application_reset(std::optional<std::uint8_t> subcode) override;
  void baud_changed(unsigned baud) override { baud_ = baud; }
  void set_clock(const protocol::mbus::TimePoint& time) override;

 private:
  TelegramContext context(Micros now);
  void record_answer(Micros now);

  MeterKind kind_;
  DataSet data_set_ = DataSet::standard;
  std::uint8_t access_number_ = 0;
  unsigned baud_ = 2400;
  MeterIdentity identity_;
  HeatMeterModel model_;
  MbusSlave slave_;
  const HeatStation* station_;
  const EventQueue* clock_;
  struct AnswerLog {
    std::size_t keep = 0;
    std::deque<Answer> answers;
  };
  std::unique_ptr<AnswerLog> answers_;  // only when kept: a pointer costs a district of
                                        // millions 8 bytes a meter
};

}  // namespace heatlink::sim
