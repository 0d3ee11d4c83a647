// How GPRS DTUs (MD-109G and its kind) wrap serial bytes on their TCP connection, in the three
// conventions the field uses (REFERENCE.md section 5):
//   id_on_connect - the DTU sends its ID once after connecting, then serial bytes unchanged,
//                   and its heartbeat packet every N seconds;
//   id_prefixed   - every packet (data or heartbeat) starts with the ID;
//   ddp           - DDP framing: 7B type len(2, big-endian, whole packet) ID(11) payload 7B,
//                   types 01 register (payload: IP(4) port(2)), 09 data, 81 register ack,
//                   89 data from the server, 82 logout. DDP DTUs re-register as heartbeat.
// Sans-I/O: the encoders make packets, UpstreamDecoder reads what a DTU sent (on the server
// side) and DownstreamDecoder what the server sent (on the DTU side), from chunks of any size.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "heatlink/protocol/bytes.h"
#include "heatlink/protocol/error.h"

namespace heatlink::protocol::dtu {

enum class Convention : std::uint8_t { id_on_connect, id_prefixed, ddp };
const char* convention_name(Convention convention) noexcept;
Result<Convention> parse_convention(std::string_view name);

inline constexpr std::size_t kMaxIdLength = 40;
inline constexpr std::size_t kDdpIdLength = 11;
inline constexpr std::uint8_t kDdpMark = 0x7B;
inline constexpr std::uint8_t kDdpRegister = 0x01;
inline constexpr std::uint8_t kDdpData = 0x09;
inline constexpr std::uint8_t kDdpRegisterAck = 0x81;
inline constexpr std::uint8_t kDdpServerData = 0x89;
inline constexpr std::uint8_t kDdpLogout = 0x82;
inline constexpr std::size_t kDdpMaxPacket = 1024;

// The MD-109G's custom registration packet carries a key after its ID: "13800000001#k3Y9..."
// (id_on_connect: the registration and its heartbeat; id_prefixed: the prefix of every
// packet). The server checks it, so knowing a DTU's ID is not enough to speak for it. DDP's
// registration has no room for one.
inline constexpr char kKeySeparator = '#';
inline constexpr std::size_t kMaxKeyLength = 64;

struct Profile {
  Convention convention = Convention::id_on_connect;
  std::string id;         // 1-40 bytes (DDP: exactly 11, e.g. an 11-digit number)
  std::string heartbeat;  // id_on_connect: the heartbeat packet (empty: the registration)
  std::string key;        // sent after the ID, not by DDP DTUs (empty: none)

  // Empty when usable; otherwise what is wrong.
  std::string problem() const;
  // What the DTU sends for its ID: the ID, or "ID#key".
  std::string registration_text() const { return key.empty() ? id : id + kKeySeparator + key; }
  // The heartbeat packet: its own, or the registration packet again.
  std::string heartbeat_bytes() const {
    return heartbeat.empty() ? registration_text() : heartbeat;
  }
};

// DTU -> server.
// The registration packet: the ID (and #key, when the profile has one), or DDP's.
std::vector<std::uint8_t> registration(const Profile& profile, std::uint32_t ip = 0,
                                       std::uint16_t port = 0);
std::vector<std::uint8_t> heartbeat(const Profile& profile);
std::vector<std::uint8_t> data_packet(const Profile& profile, Bytes serial_bytes);
std::vector<std::uint8_t> logout(const Profile& profile);  // DDP only; empty otherwise
// Server -> DTU.
std::vector<std::uint8_t> server_data(const Profile& profile, Bytes serial_bytes);
std::vector<std::uint8_t> registration_ack(const Profile& profile);  // DDP only

enum class EventKind : std::uint8_t { registered, heartbeat, data, logout, ack, invalid };
const char* event_name(EventKind kind) noexcept;

struct Event {
  EventKind kind = EventKind::invalid;
  std::string id;                   // registered (and every DDP packet)
  std::vector<std::uint8_t> bytes;  // data: serial bytes; invalid: the bytes dropped
  Error error;                      // invalid
};

// What a DTU sent, as the server sees it. Knows the DTU model's convention; learns the ID.
// `id_length` is the registration length for id_on_connect and id_prefixed (their ID carries
// no delimiter); `heartbeat` is the model's heartbeat packet (empty: the ID).
class UpstreamDecoder {
 public:
  UpstreamDecoder(Convention convention, std::size_t id_length, std::string heartbeat = {});

  // Appends bytes and returns every event they complete. Chunking does not change the events
  // (data may be split differently; its concatenation is the same).
  std::vector<Event> feed(Bytes chunk);
  bool registered() const noexcept { return !id_.empty(); }
  const std::string& id() const noexcept { return id_; }
  std::size_t buffered() const noexcept { return buffer_.size(); }

 private:
  void decode(std::vector<Event>& out);
  bool decode_ddp(std::vector<Event>& out);
  void flush_data(std::vector<Event>& out, std::size_t n);

  Convention convention_;
  std::size_t id_length_;
  std::string heartbeat_;
  std::string id_;
  std::vector<std::uint8_t> buffer_;
};

// What the server sent, as a DDP DTU sees it (the other conventions pass bytes unchanged).
class DownstreamDecoder {
 public:
  explicit DownstreamDecoder(Convention convention) : convention_(convention) {}
  std::vector<Event> feed(Bytes chunk);

 private:
  Convention convention_;
  std::vector<std::uint8_t> buffer_;
};

}  // namespace heatlink::protocol::dtu
