#include "heatlink/protocol/dtu.h"

#include <algorithm>

namespace heatlink::protocol::dtu {

const char* convention_name(Convention convention) noexcept {
  switch (convention) {
    case Convention::id_on_connect:
      return "id_on_connect";
    case Convention::id_prefixed:
      return "id_prefixed";
    case Convention::ddp:
      return "ddp";
  }
  return "id_on_connect";
}

Result<Convention> parse_convention(std::string_view name) {
  for (const Convention c : {Convention::id_on_connect, Convention::id_prefixed, Convention::ddp}) {
    if (name == convention_name(c)) return c;
  }
  return Error{Errc::bad_field, 0, "DTU convention", "expected id_on_connect, id_prefixed or ddp"};
}

const char* event_name(EventKind kind) noexcept {
  switch (kind) {
    case EventKind::registered:
      return "registered";
    case EventKind::heartbeat:
      return "heartbeat";
    case EventKind::data:
      return "data";
    case EventKind::logout:
      return "logout";
    case EventKind::ack:
      return "ack";
    case EventKind::invalid:
      return "invalid";
  }
  return "invalid";
}

std::string Profile::problem() const {
  if (id.empty() || id.size() > kMaxIdLength) return "the ID must have 1 to 40 bytes";
  if (convention == Convention::ddp && id.size() != kDdpIdLength)
    return "a DDP ID has exactly 11 bytes";
  if (!key.empty() && convention == Convention::ddp)
    return "a DDP registration carries no key (pin the DTU to its networks instead)";
  if (key.size() > kMaxKeyLength) return "a registration key has at most 64 bytes";
  if (id.find(kKeySeparator) != std::string::npos || key.find(kKeySeparator) != std::string::npos)
    return "'#' separates the ID from the key: neither may contain it";
  return {};
}

namespace {

std::vector<std::uint8_t> bytes_of(std::string_view text) {
  return {text.begin(), text.end()};
}

std::vector<std::uint8_t> ddp_packet(std::uint8_t type, std::string_view id, Bytes payload) {
  const std::size_t length = 4 + kDdpIdLength + payload.size() + 1;
  std::vector<std::uint8_t> p;
  p.reserve(length);
  p.push_back(kDdpMark);
  p.push_back(type);
  p.push_back(static_cast<std::uint8_t>(length >> 8));
  p.push_back(static_cast<std::uint8_t>(length));
  for (std::size_t i = 0; i < kDdpIdLength; ++i) {
    p.push_back(i < id.size() ? static_cast<std::uint8_t>(id[i]) : std::uint8_t{'0'});
  }
  p.insert(p.end(), payload.begin(), payload.end());
  p.push_back(kDdpMark);
  return p;
}

}  // namespace

std::vector<std::uint8_t> registration(const Profile& profile, std::uint32_t ip,
                                       std::uint16_t port) {
  if (profile.convention != Convention::ddp) return bytes_of(profile.registration_text());
  const std::uint8_t address[6] = {
      static_cast<std::uint8_t>(ip >> 24),  static_cast<std::uint8_t>(ip >> 16),
      static_cast<std::uint8_t>(ip >> 8),   static_cast<std::uint8_t>(ip),
      static_cast<std::uint8_t>(port >> 8), static_cast<std::uint8_t>(port)};
  return ddp_packet(kDdpRegister, profile.id, Bytes{address, 6});
}

std::vector<std::uint8_t> heartbeat(const Profile& profile) {
  switch (profile.convention) {
    case Convention::id_on_connect:
      return bytes_of(profile.heartbeat_bytes());
    case Convention::id_prefixed:
      return bytes_of(profile.registration_text());
    case Convention::ddp:
      return registration(profile);
  }
  return {};
}

std::vector<std::uint8_t> data_packet(const Profile& profile, Bytes serial_bytes) {
  switch (profile.convention) {
    case Convention::id_on_connect:
      return {serial_bytes.begin(), serial_bytes.end()};
    case Convention::id_prefixed: {
      std::vector<std::uint8_t> p = bytes_of(profile.registration_text());
      p.insert(p.end(), serial_bytes.begin(), serial_bytes.end());
      return p;
    }
    case Convention::ddp:
      return ddp_packet(kDdpData, profile.id, serial_bytes);
  }
  return {};
}

std::vector<std::uint8_t> logout(const Profile& profile) {
  return profile.convention == Convention::ddp ? ddp_packet(kDdpLogout, profile.id, {})
                                               : std::vector<std::uint8_t>{};
}

std::vector<std::uint8_t> server_data(const Profile& profile, Bytes serial_bytes) {
  if (profile.convention == Convention::ddp)
    return ddp_packet(kDdpServerData, profile.id, serial_bytes);
  return {serial_bytes.begin(), serial_bytes.end()};
}

std::vector<std::uint8_t> registration_ack(const Profile& profile) {
  return profile.convention == Convention::ddp ? ddp_packet(kDdpRegisterAck, profile.id, {})
                                               : std::vector<std::uint8_t>{};
}

namespace {

enum class DdpScan { complete, need_more, invalid };

// One DDP packet at the start of `b`: its type, ID and payload.
DdpScan scan_ddp(Bytes b, std::size_t& length, Error& error) {
  if (b.empty()) return DdpScan::need_more;
  if (b[0] != kDdpMark) {
    error = Error{Errc::bad_start, 0, "DDP start", "", kDdpMark, b[0]};
    return DdpScan::invalid;
  }
  if (b.size() < 4) return DdpScan::need_more;
  length = static_cast<std::size_t>(b[2] << 8 | b[3]);
  if (length < 4 + kDdpIdLength + 1 || length > kDdpMaxPacket) {
    error = Error{Errc::bad_length, 2, "DDP length", "outside 16-1024 bytes"};
    return DdpScan::invalid;
  }
  if (b.size() < length) return DdpScan::need_more;
  if (b[length - 1] != kDdpMark) {
    error = Error{Errc::bad_stop, length - 1, "DDP end", "", kDdpMark, b[length - 1]};
    return DdpScan::invalid;
  }
  return DdpScan::complete;
}

// Drops bytes up to the next possible packet start; returns how many.
std::size_t resync(const std::vector<std::uint8_t>& buffer) {
  const auto next = std::find(buffer.begin() + 1, buffer.end(), kDdpMark);
  return static_cast<std::size_t>(next - buffer.begin());
}

Event invalid_event(const std::vector<std::uint8_t>& buffer, std::size_t n, const Error& error) {
  Event e;
  e.kind = EventKind::invalid;
  e.bytes.assign(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
  e.error = error;
  return e;
}

}  // namespace

UpstreamDecoder::UpstreamDecoder(Convention convention, std::size_t id_length,
                                 std::string heartbeat)
    : convention_(convention),
      id_length_(convention == Convention::ddp
                     ? kDdpIdLength
                     : std::clamp<std::size_t>(id_length, 1, kMaxIdLength)),
      heartbeat_(std::move(heartbeat)) {}

std::vector<Event> UpstreamDecoder::feed(Bytes chunk) {
  buffer_.insert(buffer_.end(), chunk.begin(), chunk.end());
  std::vector<Event> out;
  decode(out);
  return out;
}

void UpstreamDecoder::flush_data(std::vector<Event>& out, std::size_t n) {
  if (n == 0) return;
  if (!out.empty() && out.back().kind == EventKind::data) {
    out.back().bytes.insert(out.back().bytes.end(), buffer_.begin(),
                            buffer_.begin() + static_cast<std::ptrdiff_t>(n));
  } else {
    Event e;
    e.kind = EventKind::data;
    e.id = id_;
    e.bytes.assign(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(n));
    out.push_back(std::move(e));
  }
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(n));
}

bool UpstreamDecoder::decode_ddp(std::vector<Event>& out) {
  std::size_t length = 0;
  Error error;
  switch (scan_ddp(buffer_, length, error)) {
    case DdpScan::need_more:
      return false;
    case DdpScan::invalid: {
      const std::size_t n = resync(buffer_);
      out.push_back(invalid_event(buffer_, n, error));
      buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(n));
      return true;
    }
    case DdpScan::complete:
      break;
  }
  Event e;
  e.id.assign(buffer_.begin() + 4, buffer_.begin() + 4 + kDdpIdLength);
  const std::uint8_t type = buffer_[1];
  switch (type) {
    case kDdpRegister:
      e.kind =
          id_ == e.id ? EventKind::heartbeat : EventKind::registered;  // DDP re-registers to beat
      id_ = e.id;
      break;
    case kDdpData:
      e.kind = EventKind::data;
      e.bytes.assign(buffer_.begin() + 4 + kDdpIdLength,
                     buffer_.begin() + static_cast<std::ptrdiff_t>(length) - 1);
      break;
    case kDdpLogout:
      e.kind = EventKind::logout;
      break;
    default:
      e = invalid_event(
          buffer_, length,
          Error{Errc::unsupported, 1, "DDP type", "not a packet a DTU sends", -1, type});
  }
  out.push_back(std::move(e));
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(length));
  return true;
}

void UpstreamDecoder::decode(std::vector<Event>& out) {
  if (convention_ == Convention::ddp) {
    while (decode_ddp(out)) {
    }
    return;
  }
  if (id_.empty()) {
    if (buffer_.size() < id_length_) return;
    id_.assign(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(id_length_));
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(id_length_));
    out.push_back(Event{EventKind::registered, id_, {}, {}});
  }
  // The marker that starts a heartbeat (id_on_connect) or every packet (id_prefixed).
  const std::string& marker =
      convention_ == Convention::id_prefixed || heartbeat_.empty() ? id_ : heartbeat_;
  std::size_t i = 0;
  while (i < buffer_.size()) {
    const std::size_t left = buffer_.size() - i;
    const std::size_t n = std::min(left, marker.size());
    if (!std::equal(marker.begin(), marker.begin() + static_cast<std::ptrdiff_t>(n),
                    buffer_.begin() + static_cast<std::ptrdiff_t>(i))) {
      ++i;
      continue;
    }
    if (n < marker.size()) break;  // perhaps a marker, perhaps data: wait for more bytes
    flush_data(out, i);
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(marker.size()));
    // id_prefixed: every packet starts with the ID, and each is a sign of life.
    out.push_back(Event{EventKind::heartbeat, id_, {}, {}});
    i = 0;
  }
  flush_data(out, i);
}

std::vector<Event> DownstreamDecoder::feed(Bytes chunk) {
  std::vector<Event> out;
  if (convention_ != Convention::ddp) {
    if (!chunk.empty()) out.push_back(Event{EventKind::data, {}, {chunk.begin(), chunk.end()}, {}});
    return out;
  }
  buffer_.insert(buffer_.end(), chunk.begin(), chunk.end());
  for (;;) {
    std::size_t length = 0;
    Error error;
    const DdpScan scan = scan_ddp(buffer_, length, error);
    if (scan == DdpScan::need_more) break;
    if (scan == DdpScan::invalid) {
      const std::size_t n = resync(buffer_);
      out.push_back(invalid_event(buffer_, n, error));
      buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(n));
      continue;
    }
    Event e;
    e.id.assign(buffer_.begin() + 4, buffer_.begin() + 4 + kDdpIdLength);
    if (buffer_[1] == kDdpRegisterAck) {
      e.kind = EventKind::ack;
    } else if (buffer_[1] == kDdpServerData) {
      e.kind = EventKind::data;
      e.bytes.assign(buffer_.begin() + 4 + kDdpIdLength,
                     buffer_.begin() + static_cast<std::ptrdiff_t>(length) - 1);
    } else {
      e = invalid_event(
          buffer_, length,
          Error{Errc::unsupported, 1, "DDP type", "not a packet a server sends", -1, buffer_[1]});
    }
    out.push_back(std::move(e));
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(length));
  }
  return out;
}

}  // namespace heatlink::protocol::dtu
