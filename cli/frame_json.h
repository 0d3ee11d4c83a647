// JSON rendering of decoded frames: the contract documented in docs/decode-json.md.
#pragma once

#include <nlohmann/json.hpp>

#include "heatlink/protocol/cjt188.h"
#include "heatlink/protocol/mbus_frame.h"
#include "heatlink/protocol/mbus_telegram.h"

namespace heatlink::cli {

using Json = nlohmann::ordered_json;

// `error` is the message for a record whose error is set (the telegram's or reply's).
Json record_json(const protocol::mbus::Record& record, const protocol::Error& error);
// `telegram` is null for frames without an application layer (ACK, short frames).
Json mbus_frame_json(const protocol::mbus::Frame& frame, const protocol::mbus::Telegram* telegram);
Json cjt188_frame_json(const protocol::cjt188::Frame& frame, const protocol::cjt188::Reply& reply);

// "2024-05-01", "2024-05-01T12:30", "2024-05-01T12:30:15" or "12:30:15" by type.
std::string iso_time(const protocol::mbus::TimePoint& time);
// ASCII text sent last character first, in reading order; other bytes as \xNN.
std::string readable_text(protocol::Bytes sent);

}  // namespace heatlink::cli
