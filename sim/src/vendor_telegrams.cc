#include "heatlink/sim/vendor_telegrams.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "heatlink/protocol/mbus_encode.h"
#include "heatlink/sim/water.h"

namespace heatlink::sim {

namespace mbus = protocol::mbus;
using mbus::Function;
using mbus::RecordSpec;

const char* meter_kind_name(MeterKind kind) noexcept {
  switch (kind) {
    case MeterKind::multical403:
      return "multical403";
    case MeterKind::multical603:
      return "multical603";
    case MeterKind::sharky775:
      return "sharky775";
    case MeterKind::sonometer30:
      return "sonometer30";
    case MeterKind::cjt188_heat:
      return "cjt188_heat";
  }
  return "unknown";
}

bool speaks_mbus(MeterKind kind) noexcept {
  return kind != MeterKind::cjt188_heat;
}

std::uint16_t MeterIdentity::manufacturer(MeterKind kind) const noexcept {
  switch (kind) {
    case MeterKind::multical403:
    case MeterKind::multical603:
      return mbus::manufacturer_code("KAM");
    case MeterKind::sharky775:
      return mbus::manufacturer_code("HYD");
    case MeterKind::sonometer30:
      return mbus::manufacturer_code("DFS");
    case MeterKind::cjt188_heat:
      return 0;
  }
  return 0;
}

std::uint8_t MeterIdentity::version(MeterKind kind) const noexcept {
  switch (kind) {
    case MeterKind::multical403:
      return 0x34;
    case MeterKind::multical603:
      return 0x35;
    case MeterKind::sharky775:
      return 0x2F;
    case MeterKind::sonometer30:
      return 0x0B;  // SonoMeter 40's; the 30's is not published
    case MeterKind::cjt188_heat:
      return 0;
  }
  return 0;
}

std::uint8_t MeterIdentity::medium(MeterKind kind) const noexcept {
  return kind == MeterKind::sonometer30 ? 0x0D : 0x04;
}

protocol::cjt188::Address MeterIdentity::cjt188_address() const noexcept {
  protocol::cjt188::Address a;
  a.bytes = {static_cast<std::uint8_t>(id),
             static_cast<std::uint8_t>(id >> 8),
             static_cast<std::uint8_t>(id >> 16),
             static_cast<std::uint8_t>(id >> 24),
             0,
             0,
             0};
  return a;
}

namespace {

// Registers truncate, as meters' do; instantaneous values round.
std::int64_t register_of(double value, double resolution) noexcept {
  return static_cast<std::int64_t>(std::floor(value / resolution + 1e-9));
}
std::int64_t rounded(double value, double resolution) noexcept {
  return std::llround(value / resolution);
}

bool alarm_pending(const HeatMeterModel& model) noexcept {
  return model.faults().flags != 0 || model.faults().leak_m3_per_h > 0;
}

// The temperatures a meter reports, with Kamstrup-style sentinels for a broken sensor:
// an open circuit reads as 185.00 degC, a short as 0.00 degC.
double reported_supply(const HeatMeterModel& m) noexcept {
  if (m.faults().has(MeterFaults::supply_sensor_open)) return 185.0;
  if (m.faults().has(MeterFaults::supply_sensor_short)) return 0.0;
  return m.state().supply_c;
}
double reported_return(const HeatMeterModel& m) noexcept {
  if (m.faults().has(MeterFaults::return_sensor_open)) return 185.0;
  if (m.faults().has(MeterFaults::return_sensor_short)) return 0.0;
  return m.state().return_c;
}

// 0x12345678 -> 12345678: the ID's BCD digits as a number.
std::int64_t decimal_of_bcd(std::uint32_t bcd) noexcept {
  std::int64_t value = 0;
  for (int shift = 28; shift >= 0; shift -= 4) value = value * 10 + ((bcd >> shift) & 0xF);
  return value;
}

mbus::TimePoint time_point(const CivilTime& c, char type) noexcept {
  mbus::TimePoint t;
  t.type = type;
  t.year = static_cast<std::uint16_t>(c.year);
  t.month = static_cast<std::uint8_t>(c.month);
  t.day = static_cast<std::uint8_t>(c.day);
  if (type != 'G') {
    t.hour = static_cast<std::uint8_t>(c.hour);
    t.minute = static_cast<std::uint8_t>(c.minute);
    t.second = type == 'F' ? 0 : static_cast<std::uint8_t>(c.second);
  }
  return t;
}

RecordSpec time_record(std::uint8_t vif, std::uint8_t coding, const CivilTime& c, char type,
                       std::uint64_t storage = 0) {
  RecordSpec r = RecordSpec::make({vif}, coding, 0, storage);
  r.is_time = true;
  r.time = time_point(c, type);
  return r;
}

using Records = std::vector<RecordSpec>;

void kamstrup_energy(const TelegramContext& c, Records& out, std::uint64_t storage, double kwh) {
  switch (c.identity.energy_unit) {
    case EnergyUnit::kwh:
      out.push_back(RecordSpec::make({0x06}, 0x4, register_of(kwh, 1), storage));
      break;
    case EnergyUnit::mwh:
      out.push_back(RecordSpec::make({0xFB, 0x00}, 0x4, register_of(kwh, 100), storage));
      break;
    case EnergyUnit::gj:  // 1 kWh = 0.0036 GJ; the register counts 0.1 GJ
      out.push_back(RecordSpec::make({0xFB, 0x08}, 0x4, register_of(kwh * 0.0036, 0.1), storage));
      break;
  }
}

Records multical403(const TelegramContext& c) {
  const MeterState& s = c.model.state();
  return {
      RecordSpec::make({0x06}, 0x4, register_of(s.energy_kwh, 1)),
      RecordSpec::make({0xFF, 0x07}, 0x4, register_of(s.flow_temperature_integral, 1)),
      RecordSpec::make({0xFF, 0x08}, 0x4, register_of(s.return_temperature_integral, 1)),
      RecordSpec::make({0x14}, 0x4, register_of(s.volume_m3, 0.01)),
      RecordSpec::make({0x3B}, 0x4, rounded(s.flow_m3_per_h, 0.001)),
      RecordSpec::make({0x59}, 0x2, rounded(reported_supply(c.model), 0.01)),
      RecordSpec::make({0x5D}, 0x2, rounded(reported_return(c.model), 0.01)),
      RecordSpec::make({0xFF, 0x22}, 0x4, kamstrup_info_code(c.model)),
      RecordSpec::make({0xA5, 0xFF, 0x21}, 0x4, s.on_seconds / 60),
  };
}

Records multical603(const TelegramContext& c) {
  const MeterState& s = c.model.state();
  const double supply = reported_supply(c.model);
  const double return_ = reported_return(c.model);
  Records r;
  kamstrup_energy(c, r, 0, s.energy_kwh);
  r.push_back(RecordSpec::make({0x22}, 0x4, s.error_seconds / 3600, 0, Function::error));
  r.push_back(RecordSpec::make({0x59}, 0x2, rounded(supply, 0.01)));
  r.push_back(RecordSpec::make({0x5D}, 0x2, rounded(return_, 0.01)));
  r.push_back(RecordSpec::make({0x61}, 0x2, rounded(supply - return_, 0.01)));
  r.push_back(RecordSpec::make({0x2E}, 0x4, rounded(s.power_kw, 1)));
  r.push_back(RecordSpec::make({0x2E}, 0x4, rounded(s.max_power_kw, 1), 0, Function::maximum));
  r.push_back(RecordSpec::make({0x3C}, 0x4, rounded(s.flow_m3_per_h, 0.01)));
  r.push_back(
      RecordSpec::make({0x3C}, 0x4, rounded(s.max_flow_m3_per_h, 0.01), 0, Function::maximum));
  r.push_back(RecordSpec::make({0xFF, 0x22}, 0x4, kamstrup_info_code(c.model)));
  r.push_back(time_record(0x6D, 0x4, c.meter_clock, 'F'));
  kamstrup_energy(c, r, 1, s.billing_energy_kwh);
  r.push_back(time_record(0x6C, 0x2, c.billing_date, 'G', 1));
  r.push_back(RecordSpec::make({0x78}, 0xC, decimal_of_bcd(c.identity.id)));  // fabrication no.
  return r;
}

// The Sharky signs its power: water flowing backwards through it counts as negative.
double sharky_power_kw(const HeatMeterModel& m) noexcept {
  const MeterState& s = m.state();
  if (s.flow_m3_per_h >= 0 || m.faults().sensor_error()) return s.power_kw;
  return -water::power_kw(-s.flow_m3_per_h, s.supply_c, s.return_c, s.return_c);
}

Records sharky775(const TelegramContext& c) {
  const MeterState& s = c.model.state();
  const double supply = reported_supply(c.model);
  const double return_ = reported_return(c.model);
  return {
      RecordSpec::make({0x06}, 0xC, register_of(s.energy_kwh, 1)),
      RecordSpec::make({0x06}, 0xC, 0, 0, Function::instantaneous, 1),  // tariff 1: cooling
      RecordSpec::make({0x13}, 0xC, 0, 0, Function::instantaneous, 2),  // tariff 2 volume
      RecordSpec::make({0x13}, 0xC, register_of(s.volume_m3, 0.001)),
      RecordSpec::make({0x2B}, 0xC, rounded(sharky_power_kw(c.model), 0.001)),
      RecordSpec::make({0x3B}, 0xB, rounded(std::max(0.0F, s.flow_m3_per_h), 0.001)),
      RecordSpec::make({0x5A}, 0xA, rounded(supply, 0.1)),
      RecordSpec::make({0x5E}, 0xA, rounded(return_, 0.1)),
      RecordSpec::make({0x62}, 0xA, rounded(std::fabs(supply - return_), 0.1)),
      RecordSpec::make({0x27}, 0xA, s.on_seconds / 86400),
      time_record(0x6D, 0x4, c.meter_clock, 'F'),
      RecordSpec::make({0x06}, 0xC, register_of(s.billing_energy_kwh, 1), 1),
      time_record(0x6C, 0x2, c.billing_date, 'G', 1),
      RecordSpec::make({0xFD, 0x17}, 0x1, sharky_error_flags(c.model)),
  };
}

// Flow, power, temperatures and the meter's clock: the instantaneous data set, and the middle
// of the standard one.
void sonometer_instant(const TelegramContext& c, Records& out) {
  const MeterState& s = c.model.state();
  out.push_back(RecordSpec::make({0x2B}, 0x4, rounded(s.power_kw, 0.001)));
  out.push_back(RecordSpec::make({0x3B}, 0x4, rounded(s.flow_m3_per_h, 0.001)));
  out.push_back(RecordSpec::make({0x59}, 0x2, rounded(reported_supply(c.model), 0.01)));
  out.push_back(RecordSpec::make({0x5D}, 0x2, rounded(reported_return(c.model), 0.01)));
  out.push_back(time_record(0x6D, 0x4, c.meter_clock, 'F'));
}

Records sonometer_standard(const TelegramContext& c) {
  const MeterState& s = c.model.state();
  Records r = {RecordSpec::make({0x06}, 0x4, register_of(s.energy_kwh, 1)),
               RecordSpec::make({0x14}, 0x4, register_of(s.volume_m3, 0.01))};
  sonometer_instant(c, r);
  r.push_back(RecordSpec::make({0xFD, 0x17}, 0x4, sonometer_error_code(c.model)));
  return r;
}

Records sonometer_instantaneous(const TelegramContext& c) {
  Records r;
  sonometer_instant(c, r);
  return r;
}

Records sonometer_billing(const TelegramContext& c) {
  const MeterState& s = c.model.state();
  Records r = {
      RecordSpec::make({0x06}, 0x4, register_of(s.billing_energy_kwh, 1), 1),
      RecordSpec::make({0x14}, 0x4, register_of(s.billing_volume_m3, 0.01), 1),
      time_record(0x6C, 0x2, c.billing_date, 'G', 1),
  };
  for (std::size_t month = 1; month < s.month_end_kwh.size(); ++month) {  // storage 2-12
    r.push_back(RecordSpec::make({0x06}, 0x4, register_of(s.month_end_kwh[month], 1), month + 1));
  }
  return r;
}

mbus::TelegramHeader header_of(const TelegramContext& c) noexcept {
  mbus::TelegramHeader h;
  h.id = c.identity.id;
  h.manufacturer = c.identity.manufacturer(c.kind);
  h.version = c.identity.version(c.kind);
  h.medium = c.identity.medium(c.kind);
  h.access_number = c.access_number;
  h.status = alarm_pending(c.model) ? 0x10 : 0x00;  // "permanent error" while faulty
  return h;
}

}  // namespace

std::uint32_t kamstrup_info_code(const HeatMeterModel& model) noexcept {
  const MeterFaults& f = model.faults();
  std::uint32_t code = 0;
  if (f.has(MeterFaults::low_battery)) code |= 0x2;
  if (f.sensor_error()) code |= 0x4;
  if (f.has(MeterFaults::supply_sensor_open)) code |= 0x8;
  if (f.has(MeterFaults::return_sensor_open)) code |= 0x10;
  if (f.has(MeterFaults::supply_sensor_short)) code |= 0x20;
  if (f.has(MeterFaults::return_sensor_short)) code |= 0x40;
  if (f.has(MeterFaults::air_in_flow_sensor)) code |= 0x100;
  if (f.has(MeterFaults::reverse_flow)) code |= 0x200;
  if (f.leak_m3_per_h > 0) code |= f.leak_m3_per_h > 1.0F ? 0x8000 : 0x4000;  // burst / leak
  return code;
}

std::uint8_t sharky_error_flags(const HeatMeterModel& model) noexcept {
  const MeterFaults& f = model.faults();
  std::uint8_t flags = 0;
  if (f.has(MeterFaults::supply_sensor_open) || f.has(MeterFaults::supply_sensor_short))
    flags |= 0x01;
  if (f.has(MeterFaults::return_sensor_open) || f.has(MeterFaults::return_sensor_short))
    flags |= 0x02;
  if (f.has(MeterFaults::air_in_flow_sensor)) flags |= 0x04;  // E-4: ultrasonic fault
  if (f.has(MeterFaults::low_battery)) flags |= 0x08;
  if (f.has(MeterFaults::reverse_flow)) flags |= 0x10;
  if (f.leak_m3_per_h > 0) flags |= 0x20;
  return flags;
}

std::uint16_t sonometer_error_code(const HeatMeterModel& model) noexcept {
  const MeterFaults& f = model.faults();
  // Four hex digits: [calculator][T2][T1][flow].
  unsigned calculator = f.has(MeterFaults::low_battery) ? 0x1 : 0;
  const unsigned t1 = f.has(MeterFaults::supply_sensor_short)  ? 0x4
                      : f.has(MeterFaults::supply_sensor_open) ? 0x8
                                                               : 0;
  const unsigned t2 = f.has(MeterFaults::return_sensor_short)  ? 0x4
                      : f.has(MeterFaults::return_sensor_open) ? 0x8
                                                               : 0;
  unsigned flow = 0;
  if (f.has(MeterFaults::air_in_flow_sensor)) flow |= 0x1;
  if (f.has(MeterFaults::reverse_flow)) flow |= 0x2;
  const MeterState& s = model.state();
  if (!f.sensor_error() && s.flow_m3_per_h > 0 && s.supply_c - s.return_c < 0) calculator |= 0x4;
  return static_cast<std::uint16_t>(calculator << 12 | t2 << 8 | t1 << 4 | flow);
}

protocol::cjt188::Status cjt188_status(const HeatMeterModel& model, Micros now) noexcept {
  const MeterFaults& f = model.faults();
  std::uint8_t st1 = model.valve_open(now) ? 0x00 : 0x01;
  if (f.has(MeterFaults::valve_stuck)) st1 = 0x03;
  if (f.has(MeterFaults::low_battery)) st1 |= 0x04;
  std::uint8_t st2 = 0;  // vendor defined; ours: calculator, supply, return, flow sensor
  if (f.has(MeterFaults::supply_sensor_open) || f.has(MeterFaults::supply_sensor_short))
    st2 |= 0x02;
  if (f.has(MeterFaults::return_sensor_open) || f.has(MeterFaults::return_sensor_short))
    st2 |= 0x04;
  if (f.has(MeterFaults::air_in_flow_sensor) || f.has(MeterFaults::reverse_flow)) st2 |= 0x08;
  return protocol::cjt188::Status{st1, st2};
}

protocol::cjt188::HeatData cjt188_heat_data(const TelegramContext& c, Micros now) {
  const MeterState& s = c.model.state();
  protocol::cjt188::HeatData h;
  h.settlement_heat = static_cast<std::uint64_t>(register_of(s.billing_energy_kwh, 0.01));
  h.current_heat = static_cast<std::uint64_t>(register_of(s.energy_kwh, 0.01));
  h.power = static_cast<std::uint64_t>(rounded(s.power_kw, 0.01));
  h.flow = static_cast<std::uint64_t>(rounded(std::max(0.0F, s.flow_m3_per_h), 0.01));
  h.volume = static_cast<std::uint64_t>(register_of(s.volume_m3, 0.01));
  h.supply_temperature = static_cast<std::uint32_t>(rounded(reported_supply(c.model), 0.01));
  h.return_temperature = static_cast<std::uint32_t>(rounded(reported_return(c.model), 0.01));
  h.operating_hours = static_cast<std::uint32_t>(s.on_seconds / 3600);
  h.time = time_point(c.meter_clock, 'I');
  h.status = cjt188_status(c.model, now);
  return h;
}

std::optional<protocol::FrameBytes> mbus_alarm(const TelegramContext& c, std::uint8_t address) {
  if (!alarm_pending(c.model)) return std::nullopt;
  Records records;
  switch (c.kind) {
    case MeterKind::multical403:
    case MeterKind::multical603:
      records.push_back(RecordSpec::make({0xFF, 0x22}, 0x4, kamstrup_info_code(c.model)));
      break;
    case MeterKind::sharky775:
      records.push_back(RecordSpec::make({0xFD, 0x17}, 0x1, sharky_error_flags(c.model)));
      break;
    case MeterKind::sonometer30:
      records.push_back(RecordSpec::make({0xFD, 0x17}, 0x4, sonometer_error_code(c.model)));
      break;
    case MeterKind::cjt188_heat:
      return std::nullopt;
  }
  records.push_back(time_record(0x6D, 0x4, c.meter_clock, 'F'));
  return *mbus::encode_rsp_ud(address, header_of(c), records, false, {}, mbus::kRspUd | mbus::kFcb);
}

protocol::FrameBytes mbus_telegram(const TelegramContext& c, std::uint8_t address, std::size_t part,
                                   bool* more) {
  Records records;
  *more = false;
  switch (c.kind) {
    case MeterKind::multical403:
      records = multical403(c);
      break;
    case MeterKind::multical603:
      records = multical603(c);
      break;
    case MeterKind::sharky775:
      records = sharky775(c);
      break;
    case MeterKind::sonometer30:
      switch (c.data_set) {
        case DataSet::standard:
          records = sonometer_standard(c);
          break;
        case DataSet::instantaneous:
          records = sonometer_instantaneous(c);
          break;
        case DataSet::billing:
          records = sonometer_billing(c);
          break;
        case DataSet::all:
          *more = part == 0;
          records = part == 0 ? sonometer_standard(c) : sonometer_billing(c);
          break;
      }
      break;
    case MeterKind::cjt188_heat:
      break;
  }
  // ACD: class 1 data (an alarm) is waiting for REQ_UD1.
  const auto c_field =
      static_cast<std::uint8_t>(mbus::kRspUd | (alarm_pending(c.model) ? mbus::kFcb : 0));
  const auto frame = mbus::encode_rsp_ud(address, header_of(c), records, *more, {}, c_field);
  if (frame.ok()) return *frame;
  // Our layouts fit 252 bytes; should one not, answer as a meter does: application error 3.
  const std::uint8_t too_many_records[1] = {0x03};
  return *mbus::encode_long(mbus::kRspUd, address, 0x70, too_many_records);
}

}  // namespace heatlink::sim
