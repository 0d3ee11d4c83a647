// Decoding of EN 13757-3 variable data records.
#include <array>
#include <bit>
#include <charconv>
#include <cstring>

#include "heatlink/protocol/mbus_telegram.h"
#include "heatlink/protocol/mbus_vif.h"
#include "record_storage.h"
#include "vif_tables.h"

namespace heatlink::protocol::mbus {

const char* function_name(Function function) noexcept {
  switch (function) {
    case Function::instantaneous:
      return "instantaneous";
    case Function::maximum:
      return "maximum";
    case Function::minimum:
      return "minimum";
    case Function::error:
      return "error";
  }
  return "instantaneous";
}

namespace {

constexpr std::uint8_t kDifExtension = 0x80;
constexpr std::uint8_t kDifStorageBit = 0x40;
constexpr std::uint8_t kDifFunctionMask = 0x30;
constexpr std::uint8_t kFiller = 0x2F;
constexpr std::uint8_t kManufacturerData = 0x0F;
constexpr std::uint8_t kMoreRecordsFollow = 0x1F;
constexpr std::uint8_t kGlobalReadout = 0x7F;

// Data field length by DIF coding; 0xD (variable) and 0xF (special) are handled apart.
constexpr std::uint8_t kCodingSize[16] = {0, 1, 2, 3, 4, 4, 6, 8, 0, 1, 2, 3, 4, 0, 6, 0};

struct Cursor {
  Bytes data;
  std::size_t base;  // added to positions for error offsets
  std::size_t pos = 0;

  bool at_end() const noexcept { return pos >= data.size(); }
  std::size_t left() const noexcept { return data.size() - pos; }
};

Error truncated(const Cursor& c, const char* field) noexcept {
  return Error{Errc::truncated, c.base + c.data.size(), field, "telegram ends inside the record"};
}

bool is_printable(Bytes text) noexcept {
  for (const std::uint8_t ch : text) {
    if (ch < 0x20 || ch > 0x7E) return false;
  }
  return true;
}

// Reads `bytes` as an unsigned little-endian number (the caller reversed MSB-first data).
std::uint64_t read_le(const std::uint8_t* bytes, std::size_t n) noexcept {
  // Fixed-size loads the compiler inlines; a memcpy of variable size would be a call.
  const auto load = [bytes](auto zero) {
    decltype(zero) v;
    std::memcpy(&v, bytes, sizeof v);
    return static_cast<std::uint64_t>(v);
  };
  if constexpr (std::endian::native == std::endian::little) {
    switch (n) {
      case 1:
        return bytes[0];
      case 2:
        return load(std::uint16_t{});
      case 3:
        return load(std::uint16_t{}) | std::uint64_t{bytes[2]} << 16;
      case 4:
        return load(std::uint32_t{});
      case 6:
        return load(std::uint32_t{}) | std::uint64_t{bytes[4]} << 32 |
               std::uint64_t{bytes[5]} << 40;
      case 8:
        return load(std::uint64_t{});
      default:
        break;
    }
  }
  std::uint64_t v = 0;
  for (std::size_t i = n; i-- > 0;) v = v << 8 | bytes[i];
  return v;
}

std::int64_t sign_extend(std::uint64_t v, std::size_t bytes) noexcept {
  if (bytes == 0 || bytes >= 8) return static_cast<std::int64_t>(v);
  const unsigned bits = static_cast<unsigned>(bytes * 8);
  const std::uint64_t sign = std::uint64_t{1} << (bits - 1);
  return static_cast<std::int64_t>((v ^ sign) - sign);
}

// Two BCD digits per byte: 0-99, or 0xFF for a byte with a nibble above 9.
constexpr auto kBcdByte = [] {
  std::array<std::uint8_t, 256> t{};
  for (unsigned b = 0; b < 256; ++b) {
    t[b] = (b >> 4) <= 9 && (b & 0x0F) <= 9 ? static_cast<std::uint8_t>((b >> 4) * 10 + (b & 0x0F))
                                            : std::uint8_t{0xFF};
  }
  return t;
}();

// BCD, least significant byte first. A leading F nibble means negative; any other nibble
// above 9 marks an error value.
bool read_bcd(const std::uint8_t* bytes, std::size_t n, std::int64_t& out) noexcept {
  if (n == 0) {
    out = 0;
    return true;
  }
  std::uint8_t top = bytes[n - 1];
  const bool negative = (top >> 4) == 0xF;
  if (negative) top &= 0x0F;
  std::int64_t v = kBcdByte[top];
  if (v == 0xFF) return false;
  for (std::size_t i = n - 1; i-- > 0;) {
    const std::uint8_t pair = kBcdByte[bytes[i]];
    if (pair == 0xFF) return false;
    v = v * 100 + pair;
  }
  out = negative ? -v : v;
  return true;
}

bool read_time_point(const std::uint8_t* b, std::size_t n, TimePoint& t) noexcept {
  auto year_of = [](std::uint8_t day_byte, std::uint8_t month_byte) {
    return static_cast<std::uint16_t>(2000 +
                                      (((day_byte & 0xE0) >> 5) | ((month_byte & 0xF0) >> 1)));
  };
  switch (n) {
    case 2:  // type G
      t.type = 'G';
      t.day = b[0] & 0x1F;
      t.month = b[1] & 0x0F;
      t.year = year_of(b[0], b[1]);
      return true;
    case 3:  // type J
      t.type = 'J';
      t.second = b[0] & 0x3F;
      t.minute = b[1] & 0x3F;
      t.hour = b[2] & 0x1F;
      return true;
    case 4:  // type F
      t.type = 'F';
      t.minute = b[0] & 0x3F;
      t.invalid = (b[0] & 0x80) != 0;
      t.hour = b[1] & 0x1F;
      t.summer_time = (b[1] & 0x80) != 0;
      t.day = b[2] & 0x1F;
      t.month = b[3] & 0x0F;
      t.year = year_of(b[2], b[3]);
      return true;
    case 6:  // type I
      t.type = 'I';
      t.second = b[0] & 0x3F;
      t.minute = b[1] & 0x3F;
      t.invalid = (b[1] & 0x80) != 0;
      t.hour = b[2] & 0x1F;
      t.summer_time = (b[2] & 0x80) != 0;
      t.day = b[3] & 0x1F;
      t.month = b[4] & 0x0F;
      t.year = year_of(b[3], b[4]);
      return true;
    default:
      return false;
  }
}

// A real32 shown as its shortest decimal form: 53.3983078 rather than 53.39830780029297.
double float_as_decimal(float f) noexcept {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f);
  double d = f;
  if (ec == std::errc{}) std::from_chars(buf, end, d);
  return d;
}

struct VifState {
  VifInfo info;
  int exponent = 0;
  bool time_point = false;
};

// Reads VIF and VIFEs (and a plain-text unit) at the cursor into `r` and `s`.
// `data_size` is the DIF's fixed data size, used to tell the two text placements apart.
Error read_vif(Cursor& c, Record& r, VifState& s, std::size_t data_size) noexcept {
  const std::size_t start = c.pos;
  if (c.at_end()) return truncated(c, "VIF");
  const std::uint8_t vif = c.data[c.pos++];
  std::uint8_t last = vif;
  bool manufacturer_vifes = false;
  s.info = tables::kPrimary[vif & 0x7F];

  if (s.info.kind == VifKind::extension_fb || s.info.kind == VifKind::extension_fd) {
    if ((vif & 0x80) == 0) {
      s.info = VifInfo{};  // 0x7B / 0x7D without the extension bit are reserved
    } else {
      if (c.at_end()) return truncated(c, "VIF extension");
      last = c.data[c.pos++];
      s.info = s.info.kind == VifKind::extension_fb ? tables::kFb[last & 0x7F]
                                                    : tables::kFd[last & 0x7F];
      manufacturer_vifes = s.info.kind == VifKind::manufacturer;
    }
  } else if (s.info.kind == VifKind::manufacturer) {
    manufacturer_vifes = true;
  } else if (s.info.kind == VifKind::text_unit) {
    auto text_at = [&](std::size_t at) {
      if (at >= c.data.size()) return false;
      const std::size_t len = c.data[at];
      return at + 1 + len + data_size <= c.data.size() && is_printable(c.data.subspan(at + 1, len));
    };
    std::size_t vife_end = c.pos;
    if (vif & 0x80) {  // standard placement: the VIFE chain comes before the text
      while (vife_end < c.data.size() && (c.data[vife_end] & 0x80)) ++vife_end;
      ++vife_end;
    }
    const bool standard = (vif & 0x80) == 0 || text_at(vife_end);
    const std::size_t text_at_pos = standard ? vife_end : c.pos;
    if (!text_at(text_at_pos)) {
      if (text_at_pos >= c.data.size()) return truncated(c, "plain-text VIF");
      return Error{Errc::bad_length,
                   c.base + text_at_pos,
                   "plain-text VIF length",
                   "text does not fit the record or is not printable",
                   -1,
                   c.data[text_at_pos]};
    }
    const std::size_t len = c.data[text_at_pos];
    r.text_offset = static_cast<std::uint8_t>(text_at_pos + 1 - start);
    r.text_size = static_cast<std::uint8_t>(len);
    if (!standard) {  // length and text follow the VIF directly; VIFEs come after them
      c.pos = text_at_pos + 1 + len;
    }
    // In the standard placement the VIFE loop below reads the chain and the text is skipped
    // after it.
    while (last & 0x80) {
      if (c.at_end()) return truncated(c, "VIFE");
      last = c.data[c.pos++];
      if (r.vife_count < kMaxVife) r.vifes[r.vife_count++] = last;
      s.exponent += vife_exponent(last);
    }
    if (standard) c.pos = text_at_pos + 1 + len;
    r.vif_size = static_cast<std::uint8_t>(c.pos - start);
    return {};
  }

  std::size_t vife_seen = 0;
  while (last & 0x80) {
    if (c.at_end()) return truncated(c, "VIFE");
    last = c.data[c.pos++];
    if (++vife_seen > kMaxVife) {
      return Error{Errc::bad_field, c.base + c.pos - 1, "VIFE", "more than 10 VIFEs"};
    }
    r.vifes[r.vife_count++] = last;
    if (manufacturer_vifes) continue;
    if ((last & 0x7F) == kVifeManufacturer) {
      manufacturer_vifes = true;
      r.manufacturer_vif = true;
      continue;
    }
    s.exponent += vife_exponent(last);
    s.time_point = s.time_point || vife_makes_time_point(last);
  }
  r.manufacturer_vif = r.manufacturer_vif || s.info.kind == VifKind::manufacturer;
  r.vif_size = static_cast<std::uint8_t>(c.pos - start);
  return {};
}

void read_value(Record& r, const VifState& s, bool msb_first) noexcept {
  std::uint8_t buf[8];
  const std::size_t n = r.data.size();
  const std::uint8_t* bytes = r.data.data();
  if (msb_first && n > 1 && n <= sizeof buf) {
    for (std::size_t i = 0; i < n; ++i) buf[i] = bytes[n - 1 - i];
    bytes = buf;
  }
  r.quantity = s.info.quantity;
  r.original_unit = s.info.unit;
  r.exponent = static_cast<std::int8_t>(s.info.exponent + s.exponent);
  const bool time_point = s.info.kind == VifKind::time_point || s.time_point;

  switch (r.coding) {
    case 0x0:
    case 0x8:
      r.kind = ValueKind::none;
      return;
    case 0x5: {
      std::uint32_t bits = static_cast<std::uint32_t>(read_le(bytes, 4));
      float f;
      std::memcpy(&f, &bits, sizeof f);
      r.kind = ValueKind::real;
      r.real = float_as_decimal(f);
      break;
    }
    case 0x9:
    case 0xA:
    case 0xB:
    case 0xC:
    case 0xE:
      r.kind = read_bcd(bytes, n, r.mantissa) ? ValueKind::bcd : ValueKind::bcd_error;
      break;
    default: {  // binary integers, and variable-length data already sized by the caller
      if (r.kind == ValueKind::text || r.kind == ValueKind::bytes || r.kind == ValueKind::bcd ||
          r.kind == ValueKind::bcd_error) {
        break;  // set up by the variable-length reader
      }
      if (time_point && read_time_point(bytes, n, r.time)) {
        r.kind = ValueKind::time_point;
        r.exponent = 0;
        return;
      }
      const std::uint64_t raw = read_le(bytes, n);
      r.kind = ValueKind::integer;
      r.mantissa = s.info.bitfield ? static_cast<std::int64_t>(raw) : sign_extend(raw, n);
      break;
    }
  }
  if (r.kind == ValueKind::integer || r.kind == ValueKind::bcd) {
    r.value = normalise(static_cast<double>(r.mantissa), r.exponent, r.original_unit, &r.unit);
  } else if (r.kind == ValueKind::real) {
    r.value = normalise(r.real, r.exponent, r.original_unit, &r.unit);
  } else {
    r.unit = normalisation(r.original_unit).to;
  }
}

// Variable-length data (DIF coding 0xD): the LVAR byte says what follows.
Error read_lvar(Cursor& c, Record& r, bool msb_first) noexcept {
  if (c.at_end()) return truncated(c, "LVAR");
  const std::uint8_t lvar = c.data[c.pos++];
  std::size_t len;
  if (lvar <= 0xBF) {  // ASCII text
    len = lvar;
    r.kind = ValueKind::text;
  } else if ((lvar & 0x0F) <= 9 && (lvar >> 4) <= 0xD) {  // C0-C9 positive, D0-D9 negative BCD
    len = lvar & 0x0Fu;
    r.kind = ValueKind::bcd;
  } else if (lvar >= 0xE0 && lvar <= 0xEF) {  // binary, 0-15 bytes
    len = lvar - 0xE0u;
    r.kind = len <= 8 ? ValueKind::integer : ValueKind::bytes;
  } else if (lvar >= 0xF0 && lvar <= 0xF6) {  // binary, 16-32 bytes, then 48 and 64
    len = lvar <= 0xF4 ? 4u * (lvar - 0xECu) : lvar == 0xF5 ? 48u : 64u;
    r.kind = ValueKind::bytes;
  } else {
    return Error{Errc::unsupported, c.base + c.pos - 1, "LVAR", "reserved length code", -1, lvar};
  }
  if (c.left() < len) return truncated(c, "variable-length data");
  r.data = c.data.subspan(c.pos, len);
  c.pos += len;
  if (r.kind == ValueKind::bcd) {
    std::uint8_t buf[16];
    const std::uint8_t* bytes = r.data.data();
    if (msb_first && len <= sizeof buf) {
      for (std::size_t i = 0; i < len; ++i) buf[i] = r.data[len - 1 - i];
      bytes = buf;
    }
    if (!read_bcd(bytes, len, r.mantissa)) r.kind = ValueKind::bcd_error;
    if (lvar >= 0xD0) r.mantissa = -r.mantissa;
  }
  return {};  // binary numbers up to 8 bytes are read by read_value, like fixed-size ones
}

// Reads the data field of a record whose VIF is already known. False: truncated.
bool read_data(Cursor& c, Record& r, bool msb_first, Error& error) noexcept {
  if (r.coding == 0xD) {
    error = read_lvar(c, r, msb_first);
    return error.ok();
  }
  const std::size_t size = kCodingSize[r.coding];
  if (c.left() < size) {
    error = truncated(c, "data field");
    return false;
  }
  r.data = c.data.subspan(c.pos, size);
  c.pos += size;
  return true;
}

// The common case in heat-meter telegrams: a primary VIF without extension bit holding a
// binary or BCD number of fixed size, in an LSB-first telegram.
constexpr std::uint16_t kPlainCodings = 0b0101'1110'1101'1110;  // 1-4, 6, 7, 9-C, E

// Decodes a plain record's VIF and value at the cursor. False: the data is truncated.
bool read_plain(Cursor& c, Record& r, const tables::PlainVif& v) noexcept {
  const std::size_t size = kCodingSize[r.coding];
  if (c.left() < 1 + size) return false;
  const std::uint8_t* at = c.data.data() + c.pos;
  r.vif_size = 1;
  r.data = Bytes{at + 1, size};
  c.pos += 1 + size;
  r.quantity = v.info.quantity;
  r.original_unit = v.info.unit;
  r.unit = v.normalised;
  r.exponent = v.info.exponent;
  if (r.coding >= 0x9) {
    if (!read_bcd(at + 1, size, r.mantissa)) {
      r.kind = ValueKind::bcd_error;
      return true;
    }
    r.kind = ValueKind::bcd;
  } else {
    const std::uint64_t raw = read_le(at + 1, size);
    r.mantissa = v.info.bitfield ? static_cast<std::int64_t>(raw) : sign_extend(raw, size);
    r.kind = ValueKind::integer;
  }
  const double scaled = scale_decimal(static_cast<double>(r.mantissa), v.shift);
  r.value = v.exact ? scaled : scaled * v.factor + v.offset;
  return true;
}

// Decoding stops at a record it cannot delimit: that record keeps every byte from its start
// to the end of the telegram, so nothing is lost.
Error keep_rest(Record& r, Bytes data, std::size_t start, Error error) noexcept {
  r.error = error.code;
  r.kind = ValueKind::bytes;
  r.data = data.subspan(start);
  return error;
}

}  // namespace

Error decode_records(Bytes data, bool msb_first, std::size_t base, std::vector<Record>& out,
                     bool* more_records_follow, Bytes* manufacturer_data) {
  Cursor c{data, base};
  while (!c.at_end()) {
    const std::size_t start = c.pos;
    const std::uint8_t dif = c.data[c.pos];
    if (dif == kFiller) {
      ++c.pos;
      continue;
    }
    Record& r = append_record(out);
    r.head = c.data.data() + start;
    if ((dif & 0x0F) == 0x0F && dif != kGlobalReadout) {
      r.dif_size = 1;
      r.data = c.data.subspan(start + 1);
      r.kind = ValueKind::bytes;
      r.coding = 0xF;
      if (dif == kManufacturerData || dif == kMoreRecordsFollow) {
        r.quantity = Quantity::manufacturer_specific;
        r.manufacturer_vif = true;
        if (more_records_follow != nullptr && dif == kMoreRecordsFollow)
          *more_records_follow = true;
        if (manufacturer_data != nullptr) *manufacturer_data = r.data;
        return {};
      }
      r.quantity = Quantity::reserved;
      return keep_rest(
          r, c.data, start,
          Error{Errc::unsupported, base + start, "DIF", "reserved special function", -1, dif});
    }
    ++c.pos;
    r.coding = dif & 0x0F;
    r.function = static_cast<Function>((dif & kDifFunctionMask) >> 4);
    r.storage = (dif & kDifStorageBit) ? 1 : 0;
    Error error;
    if (dif & kDifExtension) {
      std::uint8_t last = dif;
      for (unsigned n = 0; last & kDifExtension; ++n) {
        if (c.at_end()) {
          error = truncated(c, "DIFE");
          break;
        }
        if (n == kMaxDife) {
          error = Error{Errc::bad_field, base + c.pos, "DIFE", "more than 10 DIFEs"};
          break;
        }
        last = c.data[c.pos++];
        r.storage |= std::uint64_t{last & 0x0Fu} << (1 + 4 * n);
        r.tariff |= static_cast<std::uint32_t>((last >> 4) & 0x03u) << (2 * n);
        r.subunit = static_cast<std::uint16_t>(r.subunit | ((last >> 6) & 0x01u) << n);
      }
      if (!error.ok()) return keep_rest(r, c.data, start, error);
    }
    r.dif_size = static_cast<std::uint8_t>(c.pos - start);
    if (dif == kGlobalReadout) {
      r.quantity = Quantity::any_vif;
      r.coding = 0;
      continue;
    }

    if (c.at_end()) return keep_rest(r, c.data, start, truncated(c, "VIF"));
    const std::uint8_t vif = c.data[c.pos];
    if (const tables::PlainVif& v = tables::kPlainVifs[vif & 0x7F];
        (vif & 0x80) == 0 && v.plain && !msb_first && ((kPlainCodings >> r.coding) & 1) != 0) {
      if (read_plain(c, r, v)) continue;
      r.vif_size = 1;  // the VIF was there; the data is short
      return keep_rest(r, c.data, start, truncated(c, "data field"));
    }
    VifState s;
    error = read_vif(c, r, s, r.coding == 0xD ? 0 : kCodingSize[r.coding]);
    if (!error.ok() || !read_data(c, r, msb_first, error)) {
      return keep_rest(r, c.data, start, error);
    }
    read_value(r, s, msb_first);
  }
  return {};
}

}  // namespace heatlink::protocol::mbus
