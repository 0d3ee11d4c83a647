#include "heatlink/protocol/mbus_encode.h"

#include <algorithm>
#include <cstring>

#include "heatlink/protocol/mbus_frame.h"

namespace heatlink::protocol::mbus {

RecordSpec RecordSpec::make(std::initializer_list<std::uint8_t> vif_bytes, std::uint8_t coding,
                            std::int64_t mantissa, std::uint64_t storage, Function function,
                            std::uint32_t tariff) {
  RecordSpec r;
  r.coding = coding;
  r.mantissa = mantissa;
  r.storage = storage;
  r.function = function;
  r.tariff = tariff;
  r.vif_size = static_cast<std::uint8_t>(std::min(vif_bytes.size(), r.vif.size()));
  std::copy_n(vif_bytes.begin(), r.vif_size, r.vif.begin());
  return r;
}

namespace {

constexpr std::uint8_t kCodingSize[16] = {0, 1, 2, 3, 4, 4, 6, 8, 0, 1, 2, 3, 4, 0, 6, 0};

class Writer {
 public:
  Writer(std::span<std::uint8_t> out, std::size_t pos) : out_(out), pos_(pos) {}
  bool put(std::uint8_t b) noexcept {
    if (pos_ >= out_.size()) return false;
    out_[pos_++] = b;
    return true;
  }
  bool put(Bytes bytes) noexcept {
    if (out_.size() - pos_ < bytes.size()) return false;
    std::copy(bytes.begin(), bytes.end(), out_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ += bytes.size();
    return true;
  }
  // Little-endian, or reversed for MSB-first telegrams.
  bool put_number(const std::uint8_t* lsb_first, std::size_t n, bool msb_first) noexcept {
    if (out_.size() - pos_ < n) return false;
    for (std::size_t i = 0; i < n; ++i) out_[pos_ + i] = lsb_first[msb_first ? n - 1 - i : i];
    pos_ += n;
    return true;
  }
  std::size_t pos() const noexcept { return pos_; }

 private:
  std::span<std::uint8_t> out_;
  std::size_t pos_;
};

Error overflow(std::size_t at) noexcept {
  return Error{Errc::too_long, at, "telegram", "records do not fit 252 data bytes"};
}

bool pack_time(const TimePoint& t, std::size_t n, std::uint8_t* b) noexcept {
  const unsigned y = t.year >= 2000 ? t.year - 2000u : t.year;
  if (y > 127) return false;
  const auto year_low = static_cast<std::uint8_t>((y & 0x07) << 5);
  const auto year_high = static_cast<std::uint8_t>((y & 0x78) << 1);
  switch (n) {
    case 2:
      b[0] = static_cast<std::uint8_t>(year_low | (t.day & 0x1F));
      b[1] = static_cast<std::uint8_t>(year_high | (t.month & 0x0F));
      return true;
    case 3:
      b[0] = t.second & 0x3F;
      b[1] = t.minute & 0x3F;
      b[2] = t.hour & 0x1F;
      return true;
    case 4:
      b[0] = static_cast<std::uint8_t>((t.minute & 0x3F) | (t.invalid ? 0x80 : 0));
      b[1] = static_cast<std::uint8_t>((t.hour & 0x1F) | (t.summer_time ? 0x80 : 0));
      b[2] = static_cast<std::uint8_t>(year_low | (t.day & 0x1F));
      b[3] = static_cast<std::uint8_t>(year_high | (t.month & 0x0F));
      return true;
    case 6:
      b[0] = t.second & 0x3F;
      b[1] = static_cast<std::uint8_t>((t.minute & 0x3F) | (t.invalid ? 0x80 : 0));
      b[2] = static_cast<std::uint8_t>((t.hour & 0x1F) | (t.summer_time ? 0x80 : 0));
      b[3] = static_cast<std::uint8_t>(year_low | (t.day & 0x1F));
      b[4] = static_cast<std::uint8_t>(year_high | (t.month & 0x0F));
      b[5] = 0;
      return true;
    default:
      return false;
  }
}

bool pack_bcd(std::int64_t value, std::size_t n, std::uint8_t* b) noexcept {
  const bool negative = value < 0;
  std::uint64_t v =
      negative ? 0 - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
  const std::size_t digits = 2 * n - (negative ? 1u : 0u);
  for (std::size_t i = 0; i < 2 * n; ++i) {
    std::uint8_t nibble = static_cast<std::uint8_t>(v % 10);
    if (i >= digits) nibble = 0xF;
    v /= 10;
    if (i % 2 == 0)
      b[i / 2] = nibble;
    else
      b[i / 2] = static_cast<std::uint8_t>(b[i / 2] | nibble << 4);
  }
  return v == 0;
}

bool pack_integer(std::int64_t value, std::size_t n, std::uint8_t* b) noexcept {
  if (n < 8) {
    const std::int64_t lo = -(std::int64_t{1} << (8 * n - 1));
    const std::int64_t hi = (std::int64_t{1} << (8 * n)) - 1;  // bit fields may use the sign bit
    if (value < lo || value > hi) return false;
  }
  auto v = static_cast<std::uint64_t>(value);
  for (std::size_t i = 0; i < n; ++i, v >>= 8) b[i] = static_cast<std::uint8_t>(v);
  return true;
}

}  // namespace

Error encode_record(const RecordSpec& spec, bool msb_first, std::span<std::uint8_t> out,
                    std::size_t* size) noexcept {
  const std::size_t start = *size;
  Writer w(out, start);
  if (spec.coding == 0xF || spec.coding > 0xF) {
    return Error{Errc::bad_field, start, "record coding", "0xF is reserved for special DIFs"};
  }
  if (spec.vif_size == 0 || spec.vif_size > spec.vif.size()) {
    return Error{Errc::bad_field, start, "record VIF", "needs at least one VIF byte"};
  }
  // DIF and DIFEs: storage bit 0 in the DIF, then 4 storage, 2 tariff and 1 subunit bit each.
  std::uint64_t storage = spec.storage >> 1;
  std::uint32_t tariff = spec.tariff;
  std::uint16_t subunit = spec.subunit;
  std::uint8_t difes[10];
  std::size_t dife_count = 0;
  while (storage != 0 || tariff != 0 || subunit != 0) {
    if (dife_count == 10) {
      return Error{Errc::bad_field, start, "record DIFE", "storage, tariff or subunit too large"};
    }
    difes[dife_count++] =
        static_cast<std::uint8_t>((storage & 0x0F) | (tariff & 0x03) << 4 | (subunit & 0x01u) << 6);
    storage >>= 4;
    tariff >>= 2;
    subunit = static_cast<std::uint16_t>(subunit >> 1);
  }
  const auto dif =
      static_cast<std::uint8_t>((dife_count ? 0x80 : 0) | (spec.storage & 1) << 6 |
                                static_cast<unsigned>(spec.function) << 4 | spec.coding);
  if (!w.put(dif)) return overflow(start);
  for (std::size_t i = 0; i < dife_count; ++i) {
    if (!w.put(static_cast<std::uint8_t>(difes[i] | (i + 1 < dife_count ? 0x80 : 0)))) {
      return overflow(start);
    }
  }
  if (!w.put(Bytes{spec.vif.data(), spec.vif_size})) return overflow(start);

  std::uint8_t value[8] = {};
  const std::size_t n = kCodingSize[spec.coding];
  bool fits = true;
  switch (spec.coding) {
    case 0x0:
    case 0x8:
      break;
    case 0x5: {
      std::uint32_t bits;
      std::memcpy(&bits, &spec.real, sizeof bits);
      for (std::size_t i = 0; i < 4; ++i) value[i] = static_cast<std::uint8_t>(bits >> (8 * i));
      break;
    }
    case 0x9:
    case 0xA:
    case 0xB:
    case 0xC:
    case 0xE:
      fits = pack_bcd(spec.mantissa, n, value);
      break;
    case 0xD: {
      const std::size_t len = spec.bytes.size();
      if ((spec.bytes_are_text && len > 0xBF) || (!spec.bytes_are_text && len > 15)) {
        return Error{Errc::too_long, start, "variable-length data", "too long for its LVAR"};
      }
      const auto lvar = static_cast<std::uint8_t>(spec.bytes_are_text ? len : 0xE0 + len);
      if (!w.put(lvar) || !w.put(spec.bytes)) return overflow(start);
      *size = w.pos();
      return {};
    }
    default:
      fits = spec.is_time ? pack_time(spec.time, n, value) : pack_integer(spec.mantissa, n, value);
      break;
  }
  if (!fits) {
    return Error{Errc::bad_field, start, "record value", "does not fit its data field"};
  }
  if (!w.put_number(value, n, msb_first)) return overflow(start);
  *size = w.pos();
  return {};
}

Result<FrameBytes> encode_rsp_ud(std::uint8_t address, const TelegramHeader& header,
                                 std::span<const RecordSpec> records, bool more_records_follow,
                                 Bytes manufacturer_data, std::uint8_t c) noexcept {
  std::array<std::uint8_t, kMaxUserData> data{};
  const bool msb_first = header.ci == 0x76;
  Writer w(data, 0);
  const std::uint8_t id[4] = {
      static_cast<std::uint8_t>(header.id), static_cast<std::uint8_t>(header.id >> 8),
      static_cast<std::uint8_t>(header.id >> 16), static_cast<std::uint8_t>(header.id >> 24)};
  const std::uint8_t man[2] = {static_cast<std::uint8_t>(header.manufacturer),
                               static_cast<std::uint8_t>(header.manufacturer >> 8)};
  const std::uint8_t sig[2] = {static_cast<std::uint8_t>(header.signature),
                               static_cast<std::uint8_t>(header.signature >> 8)};
  w.put_number(id, 4, msb_first);
  w.put_number(man, 2, msb_first);
  w.put(header.version);
  w.put(header.medium);
  w.put(header.access_number);
  w.put(header.status);
  w.put_number(sig, 2, msb_first);
  std::size_t size = w.pos();
  for (const RecordSpec& spec : records) {
    if (Error e = encode_record(spec, msb_first, data, &size); !e.ok()) return e;
  }
  if (more_records_follow || !manufacturer_data.empty()) {
    Writer tail(data, size);
    if (!tail.put(more_records_follow ? 0x1F : 0x0F) || !tail.put(manufacturer_data)) {
      return overflow(size);
    }
    size = tail.pos();
  }
  return encode_long(c, address, header.ci, Bytes{data.data(), size});
}

}  // namespace heatlink::protocol::mbus
