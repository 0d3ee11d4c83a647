// The telegrams of the heat meters the simulator impersonates (REFERENCE.md sections 3-4),
// built from a HeatMeterModel's state with the protocol library's encoders.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "heatlink/protocol/bytes.h"
#include "heatlink/protocol/cjt188.h"
#include "heatlink/sim/calendar.h"
#include "heatlink/sim/heat_meter_model.h"

namespace heatlink::sim {

enum class MeterKind : std::uint8_t {
  multical403,  // Kamstrup, energy in kWh
  multical603,  // Kamstrup, energy in kWh, 0.1 MWh or 0.1 GJ (MeterIdentity::energy_unit)
  sharky775,    // Hydrometer/Diehl, every value BCD
  sonometer30,  // Danfoss, data sets chosen by CI 0x50 sub-code
  cjt188_heat,  // a CJ/T 188 heat meter with a motorised valve
};
const char* meter_kind_name(MeterKind kind) noexcept;
bool speaks_mbus(MeterKind kind) noexcept;

enum class EnergyUnit : std::uint8_t { kwh, mwh, gj };

struct MeterIdentity {
  std::uint32_t id = 0;  // 8 BCD digits, as in the telegram header
  std::uint8_t primary = 0;
  EnergyUnit energy_unit = EnergyUnit::kwh;
  protocol::cjt188::VendorProfile cjt188;  // DI order and unit placement (CJ/T 188 only)

  std::uint16_t manufacturer(MeterKind kind) const noexcept;
  std::uint8_t version(MeterKind kind) const noexcept;
  std::uint8_t medium(MeterKind kind) const noexcept;
  protocol::cjt188::Address cjt188_address() const noexcept;  // the ID, zero-padded
};

// SonoMeter data sets, selected by CI 0x50 sub-code (Danfoss does not publish its order;
// this is ours, documented in docs/topology.md).
enum class DataSet : std::uint8_t {
  standard = 0x00,       // registers and instantaneous values
  all = 0x10,            // two telegrams: the standard set, then 12 month-end values
  billing = 0x20,        // billing-date and month-end values
  instantaneous = 0x30,  // flow, power, temperatures
};

struct TelegramContext {
  MeterKind kind;
  const MeterIdentity& identity;
  const HeatMeterModel& model;
  CivilTime meter_clock;  // the meter's own (drifting) clock
  CivilTime billing_date;
  std::uint8_t access_number;
  DataSet data_set = DataSet::standard;
};

// The RSP_UD for `part` of the answer, from primary `address`; `*more` says another follows.
protocol::FrameBytes mbus_telegram(const TelegramContext& context, std::uint8_t address,
                                   std::size_t part, bool* more);

// The class 1 (alarm) telegram a meter answers REQ_UD1 with while a fault is present.
std::optional<protocol::FrameBytes> mbus_alarm(const TelegramContext& context,
                                               std::uint8_t address);

// Status and error codes as each vendor reports the model's faults.
std::uint32_t kamstrup_info_code(const HeatMeterModel& model) noexcept;
std::uint8_t sharky_error_flags(const HeatMeterModel& model) noexcept;
std::uint16_t sonometer_error_code(const HeatMeterModel& model) noexcept;
protocol::cjt188::Status cjt188_status(const HeatMeterModel& model, Micros now) noexcept;

// The data of a CJ/T 188 901F reply.
protocol::cjt188::HeatData cjt188_heat_data(const TelegramContext& context, Micros now);

}  // namespace heatlink::sim
