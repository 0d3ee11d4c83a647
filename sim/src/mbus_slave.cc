#include "heatlink/sim/mbus_slave.h"

#include <vector>

#include "heatlink/protocol/mbus_telegram.h"

namespace heatlink::sim {

namespace mbus = protocol::mbus;

bool MbusSlave::addressed(std::uint8_t a) const noexcept {
  if (a == mbus::kAddressSelected) return selected_;
  return a == primary_ || a == mbus::kAddressBroadcastReply || a == mbus::kAddressBroadcast;
}

std::optional<protocol::FrameBytes> MbusSlave::receive(const mbus::Frame& request) {
  if (request.type == mbus::FrameType::ack || !request.from_master()) return std::nullopt;
  const std::uint8_t function = request.c & 0x0F;
  // A selection is addressed to FD but concerns every slave: match it before addressing.
  if (function == (mbus::kSndUd & 0x0F) && request.a == mbus::kAddressSelected) {
    if (const auto mask = mbus::selection_of(request)) {
      selected_ = mask->matches(secondary_);
      if (!selected_) return std::nullopt;
      // A selection starts a conversation: the first REQ_UD2 gets the first telegram.
      last_fcb_.reset();
      part_ = 0;
      more_ = false;
      return mbus::encode_ack();
    }
  }
  if (!addressed(request.a)) return std::nullopt;
  const bool silent = request.a == mbus::kAddressBroadcast;
  std::optional<protocol::FrameBytes> reply;
  switch (function) {
    case mbus::kSndNke & 0x0F:
      last_fcb_.reset();
      part_ = 0;
      more_ = false;
      if (request.a == mbus::kAddressSelected) selected_ = false;  // after the reply below
      reply = mbus::encode_ack();
      break;
    case mbus::kReqUd2 & 0x0F:
      reply = on_req_ud2(request.c);
      break;
    case mbus::kReqUd1 & 0x0F:
      reply = device_->alarm(primary_);
      if (!reply) reply = mbus::encode_ack();
      break;
    case mbus::kSndUd & 0x0F:
      reply = on_snd_ud(request);
      break;
    default:
      return std::nullopt;
  }
  if (silent) return std::nullopt;
  return reply;
}

protocol::FrameBytes MbusSlave::on_req_ud2(std::uint8_t c) {
  const bool fcv = (c & mbus::kFcv) != 0;
  const bool fcb = (c & mbus::kFcb) != 0;
  if (!fcv || !last_fcb_) {
    part_ = 0;  // a fresh conversation
  } else if (fcb != *last_fcb_) {
    part_ = more_ ? part_ + 1 : 0;  // toggled: the next telegram
  }  // untoggled: the master missed our reply; send the same part again, with current values
  last_fcb_ = fcv ? std::optional<bool>(fcb) : std::nullopt;
  return device_->telegram(primary_, part_, &more_);
}

std::optional<protocol::FrameBytes> MbusSlave::on_snd_ud(const mbus::Frame& request) {
  if (const auto baud = mbus::baud_of_ci(request.ci)) {
    device_->baud_changed(*baud);
    return mbus::encode_ack();
  }
  switch (request.ci) {
    case mbus::kCiApplicationReset:
      device_->application_reset(
          request.data.empty() ? std::nullopt : std::optional<std::uint8_t>(request.data[0]));
      part_ = 0;
      more_ = false;
      return mbus::encode_ack();
    case mbus::kCiDataSend: {
      std::vector<mbus::Record> records;
      mbus::decode_records(request.data, false, 0, records, nullptr, nullptr);
      for (const mbus::Record& r : records) {
        if (r.error == protocol::Errc::ok && r.quantity == protocol::Quantity::bus_address &&
            r.kind == mbus::ValueKind::integer && r.mantissa >= 0 && r.mantissa <= 250) {
          primary_ = static_cast<std::uint8_t>(r.mantissa);
        }
        if (r.error == protocol::Errc::ok && r.quantity == protocol::Quantity::datetime &&
            r.kind == mbus::ValueKind::time_point) {
          device_->set_clock(r.time);
        }
      }
      return mbus::encode_ack();
    }
    default:
      return mbus::encode_ack();
  }
}

}  // namespace heatlink::sim
