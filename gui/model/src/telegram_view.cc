#include "heatlink/gui/telegram_view.h"

#include <cstdio>

#include "heatlink/protocol/bytes.h"
#include "heatlink/protocol/cjt188.h"
#include "heatlink/protocol/mbus_frame.h"
#include "heatlink/protocol/mbus_telegram.h"
#include "heatlink/protocol/units.h"

namespace heatlink::gui {

namespace {

namespace mbus = protocol::mbus;

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

std::string hex_of(std::uint64_t value, int digits) {
  char text[24];
  std::snprintf(text, sizeof text, "%0*llX", digits, static_cast<unsigned long long>(value));
  return text;
}

// A record's name and value, the same for M-Bus and CJ/T 188.
TelegramField record_field(const mbus::Record& r, std::size_t offset, std::size_t size) {
  TelegramField f;
  f.offset = offset;
  f.size = size;
  f.name = std::string(protocol::quantity_name(r.quantity)) + " (" +
           mbus::function_name(r.function) +
           (r.storage != 0 ? ", storage " + std::to_string(r.storage) : "") + ")";
  if (r.kind == mbus::ValueKind::time_point) {
    char when[32];
    std::snprintf(when, sizeof when, "%04d-%02d-%02d %02d:%02d", r.time.year, r.time.month,
                  r.time.day, r.time.hour, r.time.minute);
    f.value = when;
  } else {
    f.value = number(r.value) + " " + protocol::unit_name(r.unit);
  }
  return f;
}

void decode_mbus(TelegramView& view) {
  const auto frame = mbus::decode_frame(view.bytes);
  if (!frame.ok()) {
    view.error = frame.error().message();
    return;
  }
  const mbus::Frame& f = frame.value();
  const std::uint8_t* begin = view.bytes.data();
  if (f.type != mbus::FrameType::long_frame) {
    view.fields.push_back({0, f.size, "frame", mbus::control_name(f.c)});
    return;
  }
  view.fields.push_back({0, 4, "start, L, L, start", "L=" + std::to_string(view.bytes[1])});
  view.fields.push_back({4, 1, "C field", mbus::control_name(f.c)});
  view.fields.push_back({5, 1, "address", std::to_string(f.a)});
  view.fields.push_back({6, 1, "CI field", "0x" + hex_of(f.ci, 2)});
  mbus::Telegram t;
  const bool decoded = mbus::decode_telegram(f, t);
  if (t.has_identity) {
    const auto letters = mbus::manufacturer_letters(t.manufacturer);
    view.fields.push_back({7, 4, "ID", hex_of(t.id, 8)});
    view.fields.push_back({11, 2, "manufacturer", letters.data()});
    view.fields.push_back({13, 1, "version", std::to_string(t.version)});
    view.fields.push_back({14, 1, "medium", mbus::medium_name(t.medium)});
    view.fields.push_back({15, 1, "access number", std::to_string(t.access_number)});
    view.fields.push_back({16, 1, "status", "0x" + hex_of(t.status, 2)});
    view.fields.push_back({17, 2, "signature", "0x" + hex_of(t.signature, 4)});
  }
  for (const mbus::Record& r : t.records) {
    if (r.head == nullptr) continue;
    const auto offset = static_cast<std::size_t>(r.head - begin);
    const auto end = static_cast<std::size_t>(r.data.data() + r.data.size() - begin);
    view.fields.push_back(record_field(r, offset, end - offset));
  }
  view.fields.push_back(
      {view.bytes.size() - 2, 1, "checksum", "0x" + hex_of(view.bytes[view.bytes.size() - 2], 2)});
  view.fields.push_back({view.bytes.size() - 1, 1, "stop", "16"});
  if (!decoded) view.error = t.error.message();
}

void decode_cjt188(TelegramView& view) {
  const auto frame = protocol::cjt188::decode_frame(view.bytes);
  if (!frame.ok()) {
    view.error = frame.error().message();
    return;
  }
  protocol::cjt188::Reply reply;
  const bool decoded = protocol::cjt188::decode_reply(frame.value(), reply);
  const std::uint8_t* begin = view.bytes.data();
  for (const mbus::Record& r : reply.records) {
    if (r.data.empty()) continue;
    const auto offset = static_cast<std::size_t>(r.data.data() - begin);
    view.fields.push_back(record_field(r, offset, r.data.size()));
  }
  if (!decoded) view.error = reply.error.message();
}

}  // namespace

TelegramView decode_telegram(const std::string& protocol_name, const std::string& hex) {
  TelegramView view;
  view.protocol = protocol_name;
  auto bytes = protocol::parse_hex(hex);
  if (!bytes.ok()) {
    view.error = "hex: " + bytes.error().message();
    return view;
  }
  view.bytes = std::move(bytes.value());
  if (view.bytes.empty()) {
    view.error = "no telegram";
    return view;
  }
  if (protocol_name == "cjt188")
    decode_cjt188(view);
  else
    decode_mbus(view);
  return view;
}

}  // namespace heatlink::gui
