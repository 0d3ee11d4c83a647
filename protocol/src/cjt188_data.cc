// CJ/T 188 payloads: heat-meter data, settlement values, clock, status.
#include <algorithm>

#include "heatlink/protocol/cjt188.h"
#include "heatlink/protocol/units.h"
#include "record_storage.h"

namespace heatlink::protocol::cjt188 {

const char* valve_name(Valve valve) noexcept {
  switch (valve) {
    case Valve::open:
      return "open";
    case Valve::closed:
      return "closed";
    case Valve::fault:
      return "fault";
    case Valve::unknown:
      return "unknown";
  }
  return "unknown";
}

Valve Status::valve() const noexcept {
  switch (st1 & 0x03) {
    case 0x00:
      return Valve::open;
    case 0x01:
      return Valve::closed;
    case 0x03:
      return Valve::fault;
    default:
      return Valve::unknown;
  }
}

std::array<std::uint8_t, 7> encode_time(const mbus::TimePoint& t) noexcept {
  auto bcd = [](unsigned v) { return static_cast<std::uint8_t>((v / 10 % 10) << 4 | v % 10); };
  return {bcd(t.second), bcd(t.minute),      bcd(t.hour),       bcd(t.day),
          bcd(t.month),  bcd(t.year % 100u), bcd(t.year / 100u)};
}

namespace {

using mbus::Record;
using mbus::ValueKind;

constexpr std::size_t kValueSize = 4;
constexpr std::size_t kHeatDataSize = 43;

// The five value+unit slots of 901F and what each must measure.
constexpr Quantity kSlotQuantity[5] = {Quantity::energy, Quantity::energy, Quantity::power,
                                       Quantity::flow, Quantity::volume};

struct Context {
  const Frame& frame;
  std::size_t data_base;  // offset of frame.data from the frame's first byte
  Reply& out;
  const VendorProfile* profile;
};

Error fail(Context& c, Errc code, std::size_t at, const char* field, const char* detail,
           int found = -1) {
  c.out.error = Error{code, c.data_base + at, field, detail, -1, found};
  return c.out.error;
}

bool bcd_value(Bytes bytes, std::int64_t& out) noexcept {
  std::uint64_t v = 0;
  if (!bcd_to_uint(bytes, v)) return false;
  out = static_cast<std::int64_t>(v);
  return true;
}

Record& add_number(Context& c, Bytes bytes, Quantity q, Unit unit, int exponent,
                   std::uint64_t storage = 0) {
  Record& r = mbus::append_record(c.out.records);
  r.data = bytes;
  r.quantity = q;
  r.original_unit = unit;
  r.exponent = static_cast<std::int8_t>(exponent);
  r.storage = storage;
  r.coding = static_cast<std::uint8_t>(0x8 + bytes.size());  // BCD 2/4/6/8 digits
  if (bcd_value(bytes, r.mantissa)) {
    r.kind = ValueKind::bcd;
    r.value = normalise(static_cast<double>(r.mantissa), exponent, unit, &r.unit);
  } else {
    r.kind = ValueKind::bcd_error;
    r.unit = normalisation(unit).to;
  }
  return r;
}

bool read_time(Bytes b, mbus::TimePoint& t) noexcept {
  std::uint64_t f[7];
  for (std::size_t i = 0; i < 7; ++i) {
    if (!bcd_to_uint(b.subspan(i, 1), f[i])) return false;
  }
  t.type = 'I';
  t.second = static_cast<std::uint8_t>(f[0]);
  t.minute = static_cast<std::uint8_t>(f[1]);
  t.hour = static_cast<std::uint8_t>(f[2]);
  t.day = static_cast<std::uint8_t>(f[3]);
  t.month = static_cast<std::uint8_t>(f[4]);
  t.year = static_cast<std::uint16_t>(f[6] * 100 + f[5]);
  return true;
}

void add_time(Context& c, Bytes bytes, Quantity q) {
  Record& r = mbus::append_record(c.out.records);
  r.data = bytes;
  r.quantity = q;
  r.coding = 0xD;
  r.kind = read_time(bytes, r.time) ? ValueKind::time_point : ValueKind::bcd_error;
}

// Does `placement` put a unit of the expected quantity in every slot? With `bcd`, must
// every value also be valid BCD?
bool layout_fits(Bytes d, UnitPlacement placement, bool bcd) noexcept {
  const bool after = placement == UnitPlacement::after_value;
  for (std::size_t i = 0; i < 5; ++i) {
    const mbus::UnitCode u = mbus::en1434_unit(d[5 * i + (after ? kValueSize : 0)]);
    if (!u.known || u.quantity != kSlotQuantity[i]) return false;
    std::uint64_t value;
    if (bcd && !bcd_to_uint(d.subspan(5 * i + (after ? 0 : 1), kValueSize), value)) return false;
  }
  return true;
}

// The vendor's placement if known; else the one whose units fit, preferring BCD values.
bool choose_placement(Bytes d, const VendorProfile* profile, UnitPlacement& out) noexcept {
  if (profile != nullptr) {
    out = profile->unit_placement;
    return layout_fits(d, out, false);
  }
  for (const bool bcd : {true, false}) {
    for (const UnitPlacement p : {UnitPlacement::after_value, UnitPlacement::before_value}) {
      if (layout_fits(d, p, bcd)) {
        out = p;
        return true;
      }
    }
  }
  return false;
}

Error decode_heat_data(Context& c) {
  const Bytes d = c.frame.data;
  if (d.size() < kHeatDataSize) {
    return fail(c, Errc::truncated, d.size(), "901F data", "needs 43 bytes");
  }
  UnitPlacement placement = UnitPlacement::after_value;
  if (!choose_placement(d, c.profile, placement)) {
    return fail(c, Errc::bad_field, kValueSize, "901F unit byte",
                "no unit layout fits: expected energy, energy, power, flow, volume", d[kValueSize]);
  }
  c.out.unit_placement = placement;
  for (std::size_t i = 0; i < 5; ++i) {
    const std::size_t slot = 5 * i;
    const std::size_t value_at = placement == UnitPlacement::after_value ? slot : slot + 1;
    const std::size_t unit_at = placement == UnitPlacement::after_value ? slot + kValueSize : slot;
    const mbus::UnitCode u = mbus::en1434_unit(d[unit_at]);
    add_number(c, d.subspan(value_at, kValueSize), u.quantity, u.unit, u.exponent - 2,
               i == 0 ? 1 : 0);
  }
  add_number(c, d.subspan(25, 3), Quantity::flow_temperature, Unit::deg_c, -2);
  add_number(c, d.subspan(28, 3), Quantity::return_temperature, Unit::deg_c, -2);
  add_number(c, d.subspan(31, 3), Quantity::operating_time, Unit::h, 0);
  add_time(c, d.subspan(34, 7), Quantity::datetime);
  c.out.has_status = true;
  c.out.status = Status{d[41], d[42]};
  return {};
}

Error decode_settlement(Context& c, std::uint16_t di) {
  const Bytes d = c.frame.data;
  if (d.size() < kValueSize + 1) {
    return fail(c, Errc::truncated, d.size(), "settlement value", "needs 5 bytes");
  }
  const bool unit_first = mbus::en1434_unit(d[0]).known && !mbus::en1434_unit(d[kValueSize]).known;
  const mbus::UnitCode u = mbus::en1434_unit(unit_first ? d[0] : d[kValueSize]);
  if (!u.known) {
    return fail(c, Errc::bad_field, kValueSize, "settlement unit byte", "unknown unit code",
                d[kValueSize]);
  }
  c.out.unit_placement = unit_first ? UnitPlacement::before_value : UnitPlacement::after_value;
  add_number(c, d.subspan(unit_first ? 1 : 0, kValueSize), u.quantity, u.unit, u.exponent - 2,
             1u + (di - kDiSettlementFirst));
  return {};
}

}  // namespace

bool decode_reply(const Frame& frame, Reply& out, const VendorProfile* profile) {
  out.records.clear();
  out.has_status = false;
  out.status = {};
  out.unit_placement = UnitPlacement::after_value;
  out.error = {};
  Context c{frame,
            static_cast<std::size_t>(frame.data.data() - frame.body.data()) + frame.preamble + 11,
            out, profile};
  const Bytes d = frame.data;
  if (frame.is_error()) {
    if (d.size() == 2) {
      out.has_status = true;
      out.status = Status{d[0], d[1]};
    }
    return true;
  }
  if (!frame.is_reply()) {  // requests: only writes carry data worth showing
    if (frame.di == kDiSetTime && d.size() >= 7) add_time(c, d.subspan(0, 7), Quantity::datetime);
    if (frame.di == kDiValve && d.size() >= 1) {
      add_number(c, d.subspan(0, 1), Quantity::valve_position, Unit::none, 0);
      out.records.back().kind = ValueKind::integer;
      out.records.back().mantissa = d[0];
      out.records.back().value = d[0];
    }
    return true;
  }
  const std::uint16_t di = frame.di;
  Error e;
  if (di == kDiCurrentData) {
    e = decode_heat_data(c);
  } else if (di >= kDiSettlementFirst && di <= kDiSettlementLast) {
    e = decode_settlement(c, di);
  } else if (di == kDiClock) {
    if (d.size() < 7)
      e = fail(c, Errc::truncated, d.size(), "clock", "needs 7 bytes");
    else
      add_time(c, d.subspan(0, 7), Quantity::datetime);
  } else if (di == kDiSettlementDay || di == kDiReadingDay) {
    if (d.empty())
      e = fail(c, Errc::truncated, 0, "day", "needs 1 byte");
    else
      add_number(c, d.subspan(0, 1),
                 di == kDiSettlementDay ? Quantity::settlement_day : Quantity::reading_day,
                 Unit::none, 0);
  } else if (d.size() == 2) {  // write acknowledgements carry the status
    out.has_status = true;
    out.status = Status{d[0], d[1]};
  } else if (!is_known_di(di)) {
    e = fail(c, Errc::unsupported, 0, "DI", "unknown data identifier");
    e.offset = c.data_base - 3;
  }
  out.error = e;
  return e.ok();
}

Result<std::vector<std::uint8_t>> encode_heat_data(const HeatData& h,
                                                   const VendorProfile& profile) {
  std::vector<std::uint8_t> out;
  out.reserve(kHeatDataSize);
  auto put_bcd = [&out](std::uint64_t v, std::size_t n) {
    std::uint8_t b[4];
    uint_to_bcd(v, std::span<std::uint8_t>{b, n});
    out.insert(out.end(), b, b + n);
  };
  const std::pair<std::uint64_t, std::uint8_t> slots[5] = {
      {h.settlement_heat, h.settlement_heat_unit},
      {h.current_heat, h.current_heat_unit},
      {h.power, h.power_unit},
      {h.flow, h.flow_unit},
      {h.volume, h.volume_unit}};
  for (std::size_t i = 0; i < 5; ++i) {
    const auto [value, unit] = slots[i];
    const mbus::UnitCode u = mbus::en1434_unit(unit);
    if (!u.known || u.quantity != kSlotQuantity[i]) {
      return Error{
          Errc::bad_field, i, "901F unit code", "does not measure this slot's quantity", -1, unit};
    }
    if (value > 99'999'999) {
      return Error{Errc::bad_field, i, "901F value", "more than 8 BCD digits"};
    }
    if (profile.unit_placement == UnitPlacement::before_value) out.push_back(unit);
    put_bcd(value, kValueSize);
    if (profile.unit_placement == UnitPlacement::after_value) out.push_back(unit);
  }
  for (const std::uint32_t v : {h.supply_temperature, h.return_temperature, h.operating_hours}) {
    if (v > 999'999)
      return Error{Errc::bad_field, out.size(), "901F value", "more than 6 BCD digits"};
    put_bcd(v, 3);
  }
  const auto time = encode_time(h.time);
  out.insert(out.end(), time.begin(), time.end());
  out.push_back(h.status.st1);
  out.push_back(h.status.st2);
  return out;
}

}  // namespace heatlink::protocol::cjt188
