// EN 13757-3 telegram headers and layouts.
#include "heatlink/protocol/mbus_telegram.h"

#include "record_storage.h"

namespace heatlink::protocol::mbus {

const char* layout_name(Layout layout) noexcept {
  switch (layout) {
    case Layout::variable:
      return "variable";
    case Layout::fixed:
      return "fixed";
    case Layout::application_error:
      return "application_error";
    case Layout::no_header:
      return "no_header";
    case Layout::short_header:
      return "short_header";
    case Layout::unsupported:
      return "unsupported";
  }
  return "unsupported";
}

std::array<char, 4> manufacturer_letters(std::uint16_t code) noexcept {
  std::array<char, 4> out{};
  const unsigned letters[3] = {(code >> 10) & 0x1Fu, (code >> 5) & 0x1Fu, code & 0x1Fu};
  for (int i = 0; i < 3; ++i) {
    out[static_cast<std::size_t>(i)] =
        letters[i] >= 1 && letters[i] <= 26 ? static_cast<char>('@' + letters[i]) : '?';
  }
  return out;
}

std::uint16_t manufacturer_code(const char letters[3]) noexcept {
  return static_cast<std::uint16_t>(((letters[0] - 64) & 0x1F) << 10 |
                                    ((letters[1] - 64) & 0x1F) << 5 | ((letters[2] - 64) & 0x1F));
}

const char* medium_name(std::uint8_t medium) noexcept {
  static constexpr const char* kNames[] = {"other",
                                           "oil",
                                           "electricity",
                                           "gas",
                                           "heat_outlet",
                                           "steam",
                                           "warm_water",
                                           "water",
                                           "heat_cost_allocator",
                                           "compressed_air",
                                           "cooling_outlet",
                                           "cooling_inlet",
                                           "heat_inlet",
                                           "heat_cooling",
                                           "bus_system",
                                           "unknown",
                                           "reserved",
                                           "reserved",
                                           "reserved",
                                           "reserved",
                                           "calorific_value",
                                           "hot_water",
                                           "cold_water",
                                           "dual_water",
                                           "pressure",
                                           "ad_converter",
                                           "smoke_detector",
                                           "room_sensor",
                                           "gas_detector"};
  return medium < std::size(kNames) ? kNames[medium] : "reserved";
}

const char* application_error_name(std::uint8_t code) noexcept {
  static constexpr const char* kNames[] = {"unspecified",
                                           "unimplemented_ci",
                                           "buffer_too_long",
                                           "too_many_records",
                                           "premature_end_of_record",
                                           "more_than_10_difes",
                                           "more_than_10_vifes",
                                           "reserved",
                                           "application_busy",
                                           "too_many_readouts"};
  return code < std::size(kNames) ? kNames[code] : "reserved";
}

UnitCode en1434_unit(std::uint8_t code) noexcept {
  using Q = Quantity;
  using U = Unit;
  // Codes 0x02-0x37 come in threes: unit, unit*10, unit*100.
  struct Triple {
    Q quantity;
    U unit;
  };
  static constexpr Triple kTriples[] = {
      {Q::energy, U::wh},      {Q::energy, U::kwh},     {Q::energy, U::mwh},
      {Q::energy, U::kj},      {Q::energy, U::mj},      {Q::energy, U::gj},
      {Q::power, U::w},        {Q::power, U::kw},       {Q::power, U::mw},
      {Q::power, U::kj_per_h}, {Q::power, U::mj_per_h}, {Q::power, U::gj_per_h},
      {Q::volume, U::ml},      {Q::volume, U::l},       {Q::volume, U::m3},
      {Q::flow, U::ml_per_h},  {Q::flow, U::l_per_h},   {Q::flow, U::m3_per_h}};
  if (code >= 0x02 && code <= 0x37) {
    const Triple& t = kTriples[(code - 0x02) / 3];
    return UnitCode{t.quantity, t.unit, static_cast<std::int8_t>((code - 0x02) % 3), true};
  }
  switch (code) {
    case 0x00:
      return UnitCode{Q::time, U::none, 0, true};
    case 0x01:
      return UnitCode{Q::date, U::none, 0, true};
    case 0x38:
      return UnitCode{Q::temperature_difference, U::kelvin, -3, true};
    case 0x39:
      return UnitCode{Q::hca_units, U::hca, 0, true};
    case 0x3E:
    case 0x3F:
      return UnitCode{Q::dimensionless, U::none, 0, true};
    default:
      return UnitCode{};
  }
}

namespace {

constexpr std::size_t kDataOffset = 7;  // 68 L L 68 C A CI

std::uint32_t read_u32(Bytes b, bool msb_first) noexcept {
  return msb_first ? (std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 |
                      std::uint32_t{b[2]} << 8 | b[3])
                   : (std::uint32_t{b[3]} << 24 | std::uint32_t{b[2]} << 16 |
                      std::uint32_t{b[1]} << 8 | b[0]);
}

std::uint16_t read_u16(Bytes b, bool msb_first) noexcept {
  return static_cast<std::uint16_t>(msb_first ? (b[0] << 8 | b[1]) : (b[1] << 8 | b[0]));
}

Error need_header(const Frame& frame, std::size_t size) noexcept {
  if (frame.data.size() >= size) return {};
  return Error{Errc::truncated, kDataOffset + frame.data.size(), "data header",
               size == 12   ? "needs 12 bytes"
               : size == 16 ? "needs 16 bytes"
                            : "needs 4 bytes"};
}

void decode_fixed(const Frame& frame, Telegram& out) {
  const Bytes d = frame.data;
  out.has_identity = true;
  out.id = read_u32(d.subspan(0, 4), out.msb_first);
  out.access_number = d[4];
  out.status = d[5];
  const std::uint8_t types[2] = {d[6], d[7]};
  out.medium = static_cast<std::uint8_t>(((types[0] & 0xC0) >> 6) | ((types[1] & 0xC0) >> 4));
  const bool binary = (out.status & 0x80) != 0;
  for (std::size_t i = 0; i < 2; ++i) {
    Record& r = append_record(out.records);
    r.data = d.subspan(8 + 4 * i, 4);
    r.storage = (out.status & 0x40) ? 1 : 0;
    const UnitCode u = en1434_unit(types[i] & 0x3F);
    r.quantity = u.known ? u.quantity : Quantity::unknown;
    r.original_unit = u.unit;
    r.exponent = u.exponent;
    const std::uint32_t raw = read_u32(r.data, out.msb_first);
    if (binary) {
      r.coding = 0x4;
      r.kind = ValueKind::integer;
      r.mantissa = raw;
    } else {
      r.coding = 0xC;
      std::uint64_t v = 0;
      const std::uint8_t lsb[4] = {
          static_cast<std::uint8_t>(raw), static_cast<std::uint8_t>(raw >> 8),
          static_cast<std::uint8_t>(raw >> 16), static_cast<std::uint8_t>(raw >> 24)};
      r.kind = bcd_to_uint(Bytes{lsb, 4}, v) ? ValueKind::bcd : ValueKind::bcd_error;
      r.mantissa = static_cast<std::int64_t>(v);
    }
    if (r.kind != ValueKind::bcd_error) {
      r.value = normalise(static_cast<double>(r.mantissa), r.exponent, r.original_unit, &r.unit);
    }
  }
}

}  // namespace

bool decode_telegram(const Frame& frame, Telegram& out) {
  out.records.clear();
  out.ci = frame.ci;
  out.msb_first = frame.ci == 0x76 || frame.ci == 0x77;
  out.has_identity = false;
  out.id = 0;
  out.manufacturer = 0;
  out.version = out.medium = out.access_number = out.status = 0;
  out.signature = 0;
  out.application_error = 0;
  out.more_records_follow = false;
  out.manufacturer_data = {};
  out.error = {};

  const Bytes d = frame.data;
  std::size_t header = 0;
  switch (frame.ci) {
    case 0x72:
    case 0x76:
      out.layout = Layout::variable;
      if (out.error = need_header(frame, 12); !out.error.ok()) return false;
      out.has_identity = true;
      out.id = read_u32(d.subspan(0, 4), out.msb_first);
      out.manufacturer = read_u16(d.subspan(4, 2), out.msb_first);
      out.version = d[6];
      out.medium = d[7];
      out.access_number = d[8];
      out.status = d[9];
      out.signature = read_u16(d.subspan(10, 2), out.msb_first);
      header = 12;
      break;
    case 0x7A:
      out.layout = Layout::short_header;
      if (out.error = need_header(frame, 4); !out.error.ok()) return false;
      out.access_number = d[0];
      out.status = d[1];
      out.signature = read_u16(d.subspan(2, 2), false);
      header = 4;
      break;
    case 0x78:
    case 0x51:
      out.layout = Layout::no_header;
      break;
    case 0x73:
    case 0x77:
      out.layout = Layout::fixed;
      if (out.error = need_header(frame, 16); !out.error.ok()) return false;
      decode_fixed(frame, out);
      return true;
    case 0x70:
      out.layout = Layout::application_error;
      out.application_error = d.empty() ? 0 : d[0];
      return true;
    default:
      out.layout = Layout::unsupported;
      out.error = Error{Errc::unsupported, 6, "CI field", "not an application layer we decode", -1,
                        frame.ci};
      return false;
  }
  out.error = decode_records(d.subspan(header), out.msb_first, kDataOffset + header, out.records,
                             &out.more_records_follow, &out.manufacturer_data);
  return out.error.ok();
}

}  // namespace heatlink::protocol::mbus
