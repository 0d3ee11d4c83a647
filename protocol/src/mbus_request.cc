#include "heatlink/protocol/mbus_request.h"

#include <cstdio>

namespace heatlink::protocol::mbus {

Result<SecondaryAddress> SecondaryAddress::parse(std::string_view text) {
  if (text.size() != 16) {
    return Error{Errc::bad_length, text.size(), "secondary address",
                 "needs 16 hex digits: 8 ID digits, manufacturer, version, medium"};
  }
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 16; ++i) {
    const char c = text[i];
    unsigned nibble;
    if (c >= '0' && c <= '9')
      nibble = static_cast<unsigned>(c - '0');
    else if (c >= 'A' && c <= 'F')
      nibble = static_cast<unsigned>(c - 'A' + 10);
    else if (c >= 'a' && c <= 'f')
      nibble = static_cast<unsigned>(c - 'a' + 10);
    else
      return Error{Errc::bad_field,   i,  "secondary address",
                   "not a hex digit", -1, static_cast<unsigned char>(c)};
    if (i < 8 && nibble > 9 && nibble != 0xF) {
      return Error{Errc::bad_field, i, "secondary address", "ID digits are 0-9 or the wildcard F"};
    }
    v = v << 4 | nibble;
  }
  SecondaryAddress a;
  a.id = static_cast<std::uint32_t>(v >> 32);
  a.manufacturer = static_cast<std::uint16_t>(v >> 16);
  a.version = static_cast<std::uint8_t>(v >> 8);
  a.medium = static_cast<std::uint8_t>(v);
  return a;
}

std::string SecondaryAddress::to_string() const {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%08X%04X%02X%02X", id, manufacturer, version, medium);
  return buf;
}

bool SecondaryAddress::matches(const SecondaryAddress& device) const noexcept {
  const std::uint64_t mask = std::uint64_t{id} << 32 | std::uint64_t{manufacturer} << 16 |
                             std::uint64_t{version} << 8 | medium;
  const std::uint64_t dev = std::uint64_t{device.id} << 32 |
                            std::uint64_t{device.manufacturer} << 16 |
                            std::uint64_t{device.version} << 8 | device.medium;
  for (int shift = 0; shift < 64; shift += 4) {
    const auto m = (mask >> shift) & 0xF;
    if (m != 0xF && m != ((dev >> shift) & 0xF)) return false;
  }
  return true;
}

SecondaryAddress address_of_header(std::uint32_t id, std::uint16_t manufacturer,
                                   std::uint8_t version, std::uint8_t medium) noexcept {
  return SecondaryAddress{id, manufacturer, version, medium};
}

FrameBytes snd_nke(std::uint8_t address) noexcept {
  return encode_short(kSndNke, address);
}

FrameBytes req_ud2(std::uint8_t address, bool fcb) noexcept {
  return encode_short(static_cast<std::uint8_t>(kReqUd2 | (fcb ? kFcb : 0)), address);
}

FrameBytes req_ud1(std::uint8_t address, bool fcb) noexcept {
  return encode_short(static_cast<std::uint8_t>(kReqUd1 | (fcb ? kFcb : 0)), address);
}

FrameBytes select_secondary(const SecondaryAddress& mask, bool high_byte_first) noexcept {
  std::uint8_t d[8] = {static_cast<std::uint8_t>(mask.id),
                       static_cast<std::uint8_t>(mask.id >> 8),
                       static_cast<std::uint8_t>(mask.id >> 16),
                       static_cast<std::uint8_t>(mask.id >> 24),
                       static_cast<std::uint8_t>(mask.manufacturer),
                       static_cast<std::uint8_t>(mask.manufacturer >> 8),
                       mask.version,
                       mask.medium};
  if (high_byte_first) {
    std::swap(d[0], d[3]);
    std::swap(d[1], d[2]);
    std::swap(d[4], d[5]);
  }
  return *encode_long(kSndUd, kAddressSelected, high_byte_first ? kCiSelectHighFirst : kCiSelect,
                      Bytes{d, 8});
}

FrameBytes set_primary_address(std::uint8_t address, std::uint8_t new_address) noexcept {
  const std::uint8_t d[3] = {0x01, 0x7A, new_address};
  return *encode_long(kSndUd, address, kCiDataSend, Bytes{d, 3});
}

FrameBytes set_clock(std::uint8_t address, const TimePoint& time) noexcept {
  const unsigned year = time.year % 100u;
  const std::uint8_t d[6] = {
      0x04,
      0x6D,
      static_cast<std::uint8_t>(time.minute & 0x3F),
      static_cast<std::uint8_t>((time.hour & 0x1F) | (time.summer_time ? 0x80 : 0)),
      static_cast<std::uint8_t>((time.day & 0x1F) | (year & 0x07) << 5),
      static_cast<std::uint8_t>((time.month & 0x0F) | (year >> 3) << 4)};
  return *encode_long(kSndUd, address, kCiDataSend, Bytes{d, 6});
}

FrameBytes application_reset(std::uint8_t address, std::optional<std::uint8_t> subcode) noexcept {
  if (!subcode) return encode_control(kSndUd, address, kCiApplicationReset);
  const std::uint8_t d[1] = {*subcode};
  return *encode_long(kSndUd, address, kCiApplicationReset, Bytes{d, 1});
}

Result<FrameBytes> switch_baud(std::uint8_t address, unsigned baud) noexcept {
  for (unsigned code = 0, rate = 300; code < 8; ++code, rate *= 2) {
    if (rate == baud) {
      return encode_control(kSndUd, address, static_cast<std::uint8_t>(kCiBaudFirst + code));
    }
  }
  return Error{Errc::bad_field, 0, "baud rate", "M-Bus rates are 300, 600, ... 38400"};
}

Result<FrameBytes> snd_ud(std::uint8_t address, std::uint8_t ci, Bytes data, bool fcb) noexcept {
  return encode_long(static_cast<std::uint8_t>(kSndUd | (fcb ? kFcb : 0)), address, ci, data);
}

bool is_command_ci(std::uint8_t ci) noexcept {
  return ci == kCiSelect || ci == kCiSelectHighFirst || ci == kCiApplicationReset ||
         baud_of_ci(ci).has_value();
}

std::optional<unsigned> baud_of_ci(std::uint8_t ci) noexcept {
  if (ci < kCiBaudFirst || ci > kCiBaudLast) return std::nullopt;
  return 300u << (ci - kCiBaudFirst);
}

std::optional<SecondaryAddress> selection_of(const Frame& frame) noexcept {
  if (frame.type != FrameType::long_frame || frame.data.size() != 8 ||
      (frame.ci != kCiSelect && frame.ci != kCiSelectHighFirst)) {
    return std::nullopt;
  }
  std::uint8_t d[8];
  for (std::size_t i = 0; i < 8; ++i) d[i] = frame.data[i];
  if (frame.ci == kCiSelectHighFirst) {
    std::swap(d[0], d[3]);
    std::swap(d[1], d[2]);
    std::swap(d[4], d[5]);
  }
  SecondaryAddress a;
  a.id = std::uint32_t{d[3]} << 24 | std::uint32_t{d[2]} << 16 | std::uint32_t{d[1]} << 8 | d[0];
  a.manufacturer = static_cast<std::uint16_t>(d[5] << 8 | d[4]);
  a.version = d[6];
  a.medium = d[7];
  return a;
}

}  // namespace heatlink::protocol::mbus
