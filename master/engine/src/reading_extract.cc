#include "heatlink/master/engine/reading_extract.h"

#include <cmath>
#include <ctime>

#include "heatlink/master/analysis/fault_rules.h"
#include "heatlink/protocol/cjt188.h"
#include "heatlink/protocol/mbus_request.h"
#include "heatlink/protocol/mbus_telegram.h"

namespace heatlink::master {

namespace {

namespace mbus = protocol::mbus;
namespace cjt188 = protocol::cjt188;
using protocol::Quantity;

constexpr std::uint16_t kKamstrup = 0x2C2D;
constexpr std::uint16_t kHydrometer = 0x2324;
constexpr std::uint16_t kDanfoss = 0x10D3;

bool current(const mbus::Record& r) {
  return r.error == protocol::Errc::ok && r.storage == 0 && r.tariff == 0 && r.subunit == 0 &&
         r.function == mbus::Function::instantaneous;
}

// Takes the current values a record carries into `out`; first one wins.
void take(const mbus::Record& r, Reading& out, int utc_offset_s) {
  if (!current(r)) return;
  auto set = [&r](std::optional<double>& field) {
    if (!field && (r.kind == mbus::ValueKind::integer || r.kind == mbus::ValueKind::bcd ||
                   r.kind == mbus::ValueKind::real)) {
      field = r.value;
    }
  };
  switch (r.quantity) {
    case Quantity::energy:
      if (!out.energy_kwh && r.mantissa != 0 &&
          (r.kind == mbus::ValueKind::integer || r.kind == mbus::ValueKind::bcd)) {
        out.energy_step_kwh = std::abs(r.value / static_cast<double>(r.mantissa));
      }
      set(out.energy_kwh);
      break;
    case Quantity::volume:
      set(out.volume_m3);
      break;
    case Quantity::power:
      set(out.power_kw);
      break;
    case Quantity::flow:
      set(out.flow_m3h);
      break;
    case Quantity::flow_temperature:
      set(out.supply_c);
      break;
    case Quantity::return_temperature:
      set(out.return_c);
      break;
    case Quantity::temperature_difference:
      set(out.delta_t_k);
      break;
    case Quantity::operating_time:
      if (!out.operating_hours && r.kind != mbus::ValueKind::none)
        out.operating_hours = r.value / 3600.0;
      break;
    case Quantity::datetime:
      if (!out.meter_time && r.kind == mbus::ValueKind::time_point)
        out.meter_time = epoch_of(r.time, utc_offset_s);
      break;
    default:
      break;
  }
}

// A current value the meter marks as an error (BCD digits A-E, EN 13757-3; a CJ/T 188 field
// that is no BCD): no value is taken from it, and it reports the fault of the sensor or the
// calculator behind it. Quantities without a sensor of their own (time, dates) report none.
std::uint32_t error_value_bits(const mbus::Record& r) {
  if (!current(r) || r.kind != mbus::ValueKind::bcd_error) return 0;
  switch (r.quantity) {
    case Quantity::flow_temperature:
      return fault_bit::supply_sensor;
    case Quantity::return_temperature:
      return fault_bit::return_sensor;
    case Quantity::flow:
    case Quantity::volume:
      return fault_bit::flow_sensor;
    case Quantity::energy:
    case Quantity::power:
    case Quantity::temperature_difference:
      return fault_bit::calculator;
    default:
      return 0;
  }
}

bool is_energy_error(const mbus::Record& r) {
  return r.quantity == Quantity::energy && (error_value_bits(r) & fault_bit::calculator) != 0;
}

// Values the meter itself marks invalid through its fault bits: a failed temperature sensor
// reads a sentinel (Kamstrup's 0.00 or 185.00 degC, whatever another vendor sends), and a
// temperature difference or power computed from it is no value either; a failed flow sensor
// likewise. They are stored empty, so that no rule reasons about physics with them, no curve
// draws them and no total sums them; the fault bits raise the fault the meter reports.
void drop_invalid(Reading& r) {
  const bool supply = (r.error_bits & fault_bit::supply_sensor) != 0;
  const bool return_ = (r.error_bits & fault_bit::return_sensor) != 0;
  const bool flow = (r.error_bits & fault_bit::flow_sensor) != 0;
  if (supply) r.supply_c.reset();
  if (return_) r.return_c.reset();
  if (supply || return_) r.delta_t_k.reset();
  if (flow) r.flow_m3h.reset();
  if (supply || return_ || flow) r.power_kw.reset();
}

void finish(Reading& r, const ExtractOptions& o) {
  r.meter_id = o.meter_id;
  r.received_at = o.received_at;
  r.read_at = r.meter_time.value_or(o.received_at);
  drop_invalid(r);
  if (!r.delta_t_k && r.supply_c && r.return_c) r.delta_t_k = *r.supply_c - *r.return_c;
}

// The vendor's status record, as fault bits.
std::uint32_t vendor_bits(std::uint16_t manufacturer, const mbus::Record& r) {
  if (!current(r)) return 0;
  const auto code = static_cast<std::uint32_t>(r.mantissa);
  const protocol::Bytes vif = r.vif();
  if (manufacturer == kKamstrup && vif.size() == 2 && vif[0] == 0xFF && vif[1] == 0x22)
    return kamstrup_fault_bits(code);
  if (r.quantity == Quantity::error_flags) {
    if (manufacturer == kHydrometer) return sharky_fault_bits(code);
    if (manufacturer == kDanfoss) return sonometer_fault_bits(code);
  }
  return 0;
}

}  // namespace

std::optional<EpochSeconds> epoch_of(const protocol::mbus::TimePoint& t, int utc_offset_s) {
  if (t.invalid || t.year < 2000 || t.month < 1 || t.month > 12 || t.day < 1) return std::nullopt;
  std::tm tm{};
  tm.tm_year = t.year - 1900;
  tm.tm_mon = t.month - 1;
  tm.tm_mday = t.day;
  tm.tm_hour = t.hour;
  tm.tm_min = t.minute;
  tm.tm_sec = t.second;
  return timegm(&tm) - utc_offset_s;
}

protocol::mbus::TimePoint meter_clock_at(EpochSeconds t, int utc_offset_s) {
  const std::time_t local = t + utc_offset_s;
  std::tm tm{};
  gmtime_r(&local, &tm);
  protocol::mbus::TimePoint p;
  p.year = static_cast<std::uint16_t>(tm.tm_year + 1900);
  p.month = static_cast<std::uint8_t>(tm.tm_mon + 1);
  p.day = static_cast<std::uint8_t>(tm.tm_mday);
  p.hour = static_cast<std::uint8_t>(tm.tm_hour);
  p.minute = static_cast<std::uint8_t>(tm.tm_min);
  p.second = static_cast<std::uint8_t>(tm.tm_sec);
  p.type = 'I';
  return p;
}

std::variant<Reading, std::string> reading_from_mbus(
    std::span<const std::vector<std::uint8_t>> telegrams, const ExtractOptions& options) {
  Reading out;
  bool energy_marked_invalid = false;  // a register the meter sent as an error value
  for (std::size_t i = 0; i < telegrams.size(); ++i) {
    const std::string which = "telegram " + std::to_string(i + 1);
    const auto frame = mbus::decode_frame(telegrams[i]);
    if (!frame) return which + ": " + frame.error().message();
    mbus::Telegram t;
    mbus::decode_telegram(*frame, t);  // the records before an error still count
    if (t.layout == mbus::Layout::application_error)
      return which + ": the meter reports an application error";
    out.status_bits |= t.status;
    for (const mbus::Record& r : t.records) {
      take(r, out, options.meter_utc_offset_s);
      out.error_bits |= vendor_bits(t.manufacturer, r) | error_value_bits(r);
      energy_marked_invalid = energy_marked_invalid || is_energy_error(r);
    }
    if (options.keep_raw) out.raw.insert(out.raw.end(), telegrams[i].begin(), telegrams[i].end());
  }
  if (!out.energy_kwh && !energy_marked_invalid)
    return std::string("no energy register in ") + std::to_string(telegrams.size()) +
           " telegram(s)";
  finish(out, options);
  return out;
}

std::variant<Reading, std::string> reading_from_cjt188(std::span<const std::uint8_t> reply,
                                                       const ExtractOptions& options) {
  const auto frame = cjt188::decode_frame(reply);
  if (!frame) return "CJ/T 188 reply: " + frame.error().message();
  if (frame->is_error()) return "CJ/T 188 reply: the meter answered with an error";
  cjt188::Reply decoded;
  if (!cjt188::decode_reply(*frame, decoded)) return "CJ/T 188 reply: " + decoded.error.message();
  Reading out;
  bool energy_marked_invalid = false;
  for (const mbus::Record& r : decoded.records) {
    take(r, out, options.meter_utc_offset_s);
    out.error_bits |= error_value_bits(r);
    energy_marked_invalid = energy_marked_invalid || is_energy_error(r);
  }
  if (decoded.has_status) {
    out.status_bits = static_cast<std::uint32_t>(decoded.status.st1 | decoded.status.st2 << 8);
    out.error_bits |= cjt188_fault_bits(decoded.status.st1, decoded.status.st2);
  }
  if (!out.energy_kwh && !energy_marked_invalid)
    return std::string("CJ/T 188 reply: no current heat value");
  if (options.keep_raw) out.raw.assign(reply.begin(), reply.end());
  finish(out, options);
  return out;
}

std::vector<std::string> identities_of_mbus(std::span<const std::vector<std::uint8_t>> telegrams) {
  std::vector<std::string> out;
  for (const auto& bytes : telegrams) {
    const auto frame = mbus::decode_frame(bytes);
    mbus::Telegram t;
    if (frame) mbus::decode_telegram(*frame, t);
    if (!frame || !t.has_identity) {
      out.emplace_back();
      continue;
    }
    mbus::SecondaryAddress a;
    a.id = t.id;
    a.manufacturer = t.manufacturer;
    a.version = t.version;
    a.medium = t.medium;
    out.push_back(a.to_string());
  }
  return out;
}

std::string identity_of_cjt188(std::span<const std::uint8_t> reply) {
  const auto frame = cjt188::decode_frame(reply);
  return frame ? frame->address.to_string() : "";
}

bool identity_matches(const MeterRecord& meter, const std::string& answered) {
  if (meter.secondary_address.empty()) return true;
  if (meter.protocol == MeterProtocol::cjt188) {
    const auto expected = cjt188::Address::parse(meter.secondary_address);
    const auto got = cjt188::Address::parse(answered);
    return expected && got && *expected == *got;
  }
  const auto mask = mbus::SecondaryAddress::parse(meter.secondary_address);
  const auto got = mbus::SecondaryAddress::parse(answered);
  return mask && got && mask->matches(*got);
}

}  // namespace heatlink::master
