// CJ/T 188 framing and addresses.
#include <algorithm>

#include "heatlink/protocol/cjt188.h"

namespace heatlink::protocol::cjt188 {

const char* meter_type_name(std::uint8_t type) noexcept {
  switch (type) {
    case 0x10:
      return "cold_water";
    case 0x11:
      return "hot_water";
    case 0x12:
      return "drinking_water";
    case 0x13:
      return "reclaimed_water";
    case 0x20:
      return "heat";
    case 0x21:
      return "cooling";
    case 0x22:
      return "heat_and_cooling";
    case 0x30:
      return "gas";
    case 0x40:
      return "electricity";
    default:
      return "unknown";
  }
}

const char* control_name(std::uint8_t control) noexcept {
  switch (control & 0x1F) {
    case kReadData:
      return "read_data";
    case kReadAddress:
      return "read_address";
    case kWriteData:
      return "write_data";
    case kWriteAddress:
      return "write_address";
    case kSync:
      return "sync";
    default:
      return "unknown";
  }
}

bool is_known_di(std::uint16_t di) noexcept {
  if (di >= kDiSettlementFirst && di <= kDiSettlementLast) return true;
  switch (di) {
    case kDiCurrentData:
    case kDiClock:
    case kDiSettlementDay:
    case kDiReadingDay:
    case kDiReadAddress:
    case kDiSetTime:
    case kDiValve:
    case kDiWriteAddress:
    case 0x8102:  // price table (water and gas meters)
    case 0xA010:
    case 0xA011:
    case 0xA012:
    case 0xA013:
    case 0xA014:
    case 0xA016:
    case 0xA019:
      return true;
    default:
      return false;
  }
}

Address Address::wildcard() noexcept {
  Address a;
  a.bytes.fill(0xAA);
  return a;
}

bool Address::is_wildcard() const noexcept {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0xAA; });
}

Result<Address> Address::parse(std::string_view digits) {
  if (digits.size() != 14) {
    return Error{Errc::bad_length, digits.size(), "CJ/T 188 address", "needs 14 digits"};
  }
  if (digits == "AAAAAAAAAAAAAA" || digits == "aaaaaaaaaaaaaa") return wildcard();
  Address a;
  for (std::size_t i = 0; i < 14; ++i) {
    if (digits[i] < '0' || digits[i] > '9') {
      return Error{Errc::bad_field,  i,  "CJ/T 188 address",
                   "digits are 0-9", -1, static_cast<unsigned char>(digits[i])};
    }
  }
  for (std::size_t k = 0; k < 7; ++k) {  // A6 is the first pair of digits
    const std::size_t i = 2 * (6 - k);
    a.bytes[k] = static_cast<std::uint8_t>((digits[i] - '0') << 4 | (digits[i + 1] - '0'));
  }
  return a;
}

std::string Address::to_string() const {
  std::string out;
  out.reserve(14);
  static constexpr char kDigits[] = "0123456789ABCDEF";
  for (std::size_t k = 7; k-- > 0;) {
    out += kDigits[bytes[k] >> 4];
    out += kDigits[bytes[k] & 0x0F];
  }
  return out;
}

namespace {

constexpr std::size_t kMaxPreamble = 8;

ScanResult invalid(std::size_t consumed, Error e) noexcept {
  ScanResult r;
  r.status = mbus::ScanStatus::invalid;
  r.consumed = consumed;
  r.error = e;
  return r;
}

ScanResult need(std::size_t have, std::size_t total) noexcept {
  ScanResult r;
  r.status = mbus::ScanStatus::need_more;
  r.missing = total - have;
  return r;
}

}  // namespace

ScanResult scan_frame(Bytes buffer) noexcept {
  std::size_t p = 0;
  while (p < buffer.size() && buffer[p] == kPreamble) ++p;
  if (p > kMaxPreamble) {
    return invalid(p - kMaxPreamble, Error{Errc::bad_start, 0, "preamble", "more than 8 FE bytes"});
  }
  if (p == buffer.size()) return need(p, p + 13);
  if (buffer[p] != kStart) {
    const auto next =
        std::find_if(buffer.begin() + static_cast<std::ptrdiff_t>(p) + 1, buffer.end(),
                     [](std::uint8_t b) { return b == kPreamble || b == kStart; });
    return invalid(
        static_cast<std::size_t>(next - buffer.begin()),
        Error{Errc::bad_start, p, "frame start", "expected 0xFE or 0x68", -1, buffer[p]});
  }
  const Bytes f = buffer.subspan(p);
  if (f.size() < 11) return need(f.size(), 13);
  const std::size_t len = f[10];
  const std::size_t total = 13 + len;
  if (f.size() < total) return need(f.size(), total);
  const std::uint8_t cs = mbus::checksum(f.subspan(0, 11 + len));
  // A frame start in line noise is common: drop just the start byte on a failed check.
  if (f[11 + len] != cs) {
    return invalid(p + 1, Error{Errc::bad_checksum, p + 11 + len, "checksum", "", cs, f[11 + len]});
  }
  if (f[12 + len] != kStop) {
    return invalid(p + 1, Error{Errc::bad_stop, p + 12 + len, "stop byte", "", kStop, f[12 + len]});
  }
  ScanResult r;
  r.status = mbus::ScanStatus::complete;
  r.consumed = p + total;
  Frame& fr = r.frame;
  fr.preamble = p;
  fr.meter_type = f[1];
  std::copy_n(f.begin() + 2, 7, fr.address.bytes.begin());
  fr.control = f[9];
  fr.body = f.subspan(11, len);
  fr.size = p + total;
  const Bytes body = fr.body;
  if (fr.is_error()) {
    // Error replies carry SER and ST, sometimes after a DI: take them from the end.
    if (len >= 5) {
      fr.has_di = true;
      fr.di = static_cast<std::uint16_t>(body[0] << 8 | body[1]);
    }
    if (len >= 3) {
      fr.ser = body[len - 3];
      fr.data = body.subspan(len - 2);
    } else {
      fr.data = body;
    }
    return r;
  }
  if (len < 3) {
    return invalid(p + 1,
                   Error{Errc::bad_length, p + 10, "L field", "below DI and SER (3)", -1, f[10]});
  }
  const auto high = static_cast<std::uint16_t>(body[0] << 8 | body[1]);
  const auto low = static_cast<std::uint16_t>(body[1] << 8 | body[0]);
  fr.has_di = true;
  if (!is_known_di(high) && is_known_di(low)) {
    fr.di = low;
    fr.di_order = DiOrder::low_first;
  } else {
    fr.di = high;
    fr.di_order = DiOrder::high_first;
  }
  fr.ser = body[2];
  fr.data = body.subspan(3);
  return r;
}

Result<Frame> decode_frame(Bytes bytes) noexcept {
  const ScanResult r = scan_frame(bytes);
  switch (r.status) {
    case mbus::ScanStatus::complete:
      if (r.consumed != bytes.size()) {
        return Error{Errc::bad_length, r.consumed, "frame end", "bytes follow the stop byte"};
      }
      return r.frame;
    case mbus::ScanStatus::need_more:
      return Error{Errc::truncated, bytes.size(), "frame", "input ends inside the frame"};
    case mbus::ScanStatus::invalid:
      break;
  }
  return r.error;
}

Result<FrameBytes> encode_frame(const FrameSpec& spec, const VendorProfile& profile) noexcept {
  const std::size_t len = (spec.has_di ? 3 : 1) + spec.data.size();
  if (len > 0xFF || profile.preamble + 13 + len > kMaxFrameSize) {
    return Error{Errc::too_long, len, "CJ/T 188 frame", "data does not fit the L field"};
  }
  FrameBytes out;
  auto& b = out.bytes;
  std::size_t i = 0;
  for (; i < profile.preamble; ++i) b[i] = kPreamble;
  const std::size_t start = i;
  b[i++] = kStart;
  b[i++] = spec.meter_type;
  for (const std::uint8_t a : spec.address.bytes) b[i++] = a;
  b[i++] = spec.control;
  b[i++] = static_cast<std::uint8_t>(len);
  if (spec.has_di) {
    const auto hi = static_cast<std::uint8_t>(spec.di >> 8);
    const auto lo = static_cast<std::uint8_t>(spec.di);
    b[i++] = profile.di_order == DiOrder::high_first ? hi : lo;
    b[i++] = profile.di_order == DiOrder::high_first ? lo : hi;
  }
  b[i++] = spec.ser;
  for (const std::uint8_t d : spec.data) b[i++] = d;
  b[i] = mbus::checksum(Bytes{b.data() + start, i - start});
  ++i;
  b[i++] = kStop;
  out.size = i;
  return out;
}

FrameBytes read_data(std::uint8_t meter_type, const Address& address, std::uint16_t di,
                     std::uint8_t ser, const VendorProfile& profile) noexcept {
  return *encode_frame(FrameSpec{meter_type, address, kReadData, true, di, ser, {}}, profile);
}

FrameBytes read_address(std::uint8_t meter_type, std::uint8_t ser,
                        const VendorProfile& profile) noexcept {
  return *encode_frame(
      FrameSpec{meter_type, Address::wildcard(), kReadAddress, true, kDiReadAddress, ser, {}},
      profile);
}

FrameBytes set_time(std::uint8_t meter_type, const Address& address, const mbus::TimePoint& time,
                    std::uint8_t ser, const VendorProfile& profile) noexcept {
  const auto bytes = encode_time(time);
  return *encode_frame(
      FrameSpec{meter_type, address, kWriteData, true, kDiSetTime, ser, Bytes{bytes.data(), 7}},
      profile);
}

FrameBytes valve_control(std::uint8_t meter_type, const Address& address, std::uint8_t command,
                         std::uint8_t ser, const VendorProfile& profile) noexcept {
  const std::uint8_t data[1] = {command};
  return *encode_frame(
      FrameSpec{meter_type, address, kWriteData, true, kDiValve, ser, Bytes{data, 1}}, profile);
}

}  // namespace heatlink::protocol::cjt188
