#include "frame_json.h"

#include <cstdio>

#include "heatlink/protocol/mbus_request.h"
#include "heatlink/protocol/mbus_vif.h"

namespace heatlink::cli {

namespace mbus = protocol::mbus;
namespace cjt188 = protocol::cjt188;
using protocol::to_hex;

namespace {

std::string hex_byte(std::uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", b);
  return buf;
}

bool is_identity(const mbus::Record& r) {
  return r.exponent == 0 && r.original_unit == protocol::Unit::none;
}

Json record_value(const mbus::Record& r) {
  switch (r.kind) {
    case mbus::ValueKind::none:
      return nullptr;
    case mbus::ValueKind::integer:
    case mbus::ValueKind::bcd:
      if (is_identity(r)) return r.mantissa;
      return r.value;
    case mbus::ValueKind::real:
      return r.value;
    case mbus::ValueKind::bcd_error:
      return nullptr;
    case mbus::ValueKind::time_point:
      return iso_time(r.time);
    case mbus::ValueKind::text:
      return readable_text(r.data);
    case mbus::ValueKind::bytes:
      return to_hex(r.data);
  }
  return nullptr;
}

}  // namespace

std::string iso_time(const mbus::TimePoint& t) {
  char buf[32];
  switch (t.type) {
    case 'G':
      std::snprintf(buf, sizeof buf, "%04u-%02u-%02u", t.year, t.month, t.day);
      break;
    case 'J':
      std::snprintf(buf, sizeof buf, "%02u:%02u:%02u", t.hour, t.minute, t.second);
      break;
    case 'F':
      std::snprintf(buf, sizeof buf, "%04u-%02u-%02uT%02u:%02u", t.year, t.month, t.day, t.hour,
                    t.minute);
      break;
    default:
      std::snprintf(buf, sizeof buf, "%04u-%02u-%02uT%02u:%02u:%02u", t.year, t.month, t.day,
                    t.hour, t.minute, t.second);
      break;
  }
  return buf;
}

std::string readable_text(protocol::Bytes sent) {
  std::string out;
  for (std::size_t i = sent.size(); i-- > 0;) {
    const std::uint8_t c = sent[i];
    if (c >= 0x20 && c <= 0x7E) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    }
  }
  return out;
}

Json record_json(const mbus::Record& r, const protocol::Error& error) {
  Json j;
  if (r.dif_size > 0) j["dif"] = to_hex(r.dif());
  if (r.vif_size > 0) j["vif"] = to_hex(r.vif());
  j["function"] = mbus::function_name(r.function);
  j["storage"] = r.storage;
  j["tariff"] = r.tariff;
  j["subunit"] = r.subunit;
  j["quantity"] = protocol::quantity_name(r.quantity);
  j["value"] = record_value(r);
  j["unit"] = protocol::unit_name(r.unit);
  if (r.kind == mbus::ValueKind::integer || r.kind == mbus::ValueKind::bcd) {
    j["mantissa"] = r.mantissa;
    j["exponent"] = r.exponent;
  } else if (r.kind == mbus::ValueKind::real) {
    j["mantissa"] = r.real;
    j["exponent"] = r.exponent;
  }
  j["original_unit"] = protocol::unit_name(r.original_unit);
  j["data"] = to_hex(r.data);
  if (r.kind == mbus::ValueKind::bcd_error) j["bcd_error"] = true;
  if (r.kind == mbus::ValueKind::time_point) {
    if (r.time.invalid) j["time_invalid"] = true;
    if (r.time.summer_time) j["summer_time"] = true;
  }
  if (r.text_size > 0) j["text_unit"] = readable_text(r.text_unit());
  if (r.vife_count > 0 && !r.manufacturer_vif) {
    Json names = Json::array();
    for (std::size_t i = 0; i < r.vife_count; ++i) {
      names.push_back(mbus::combinable_vife_name(r.vifes[i]));
    }
    j["vife"] = std::move(names);
  }
  if (r.manufacturer_vif) j["manufacturer_specific"] = true;
  if (r.error != protocol::Errc::ok) j["error"] = error.message();
  return j;
}

Json mbus_frame_json(const mbus::Frame& frame, const mbus::Telegram* telegram) {
  Json j;
  j["protocol"] = "mbus";
  j["frame"] = mbus::frame_type_name(frame.type);
  if (frame.type == mbus::FrameType::ack) return j;
  j["c"] = hex_byte(frame.c);
  j["control"] = mbus::control_name(frame.c);
  j["a"] = frame.a;
  if (frame.from_master()) {
    j["fcb"] = (frame.c & mbus::kFcb) != 0;
    j["fcv"] = (frame.c & mbus::kFcv) != 0;
  } else {
    j["acd"] = (frame.c & mbus::kFcb) != 0;
    j["dfc"] = (frame.c & mbus::kFcv) != 0;
  }
  if (frame.type == mbus::FrameType::short_frame) return j;
  j["ci"] = hex_byte(frame.ci);
  if (const auto mask = mbus::selection_of(frame)) {
    j["select"] = mask->to_string();
    return j;
  }
  if (const auto baud = mbus::baud_of_ci(frame.ci)) {
    j["baud"] = *baud;
    return j;
  }
  if (frame.ci == mbus::kCiApplicationReset) {
    j["application_reset"] = frame.data.empty() ? Json(nullptr) : Json(frame.data[0]);
    return j;
  }
  if (telegram == nullptr) {
    j["data"] = to_hex(frame.data);
    return j;
  }
  const mbus::Telegram& t = *telegram;
  j["layout"] = mbus::layout_name(t.layout);
  if (t.has_identity) {
    char id[12];
    std::snprintf(id, sizeof id, "%08X", t.id);
    j["id"] = id;
  }
  if (t.layout == mbus::Layout::variable) {
    j["manufacturer"] = mbus::manufacturer_letters(t.manufacturer).data();
    j["version"] = t.version;
  }
  if (t.layout == mbus::Layout::variable || t.layout == mbus::Layout::fixed) {
    j["medium"] = mbus::medium_name(t.medium);
    j["medium_code"] = t.medium;
  }
  if (t.layout == mbus::Layout::application_error) {
    j["application_error"] = mbus::application_error_name(t.application_error);
    j["application_error_code"] = t.application_error;
    return j;
  }
  if (t.layout != mbus::Layout::no_header && t.layout != mbus::Layout::unsupported) {
    j["access_number"] = t.access_number;
    j["status"] = t.status;
  }
  if (t.layout == mbus::Layout::variable || t.layout == mbus::Layout::short_header) {
    j["signature"] = t.signature;
  }
  j["more_records_follow"] = t.more_records_follow;
  Json records = Json::array();
  for (const mbus::Record& r : t.records) records.push_back(record_json(r, t.error));
  j["records"] = std::move(records);
  if (t.layout == mbus::Layout::unsupported) j["data"] = to_hex(frame.data);
  return j;
}

Json cjt188_frame_json(const cjt188::Frame& frame, const cjt188::Reply& reply) {
  Json j;
  j["protocol"] = "cjt188";
  j["preamble"] = frame.preamble;
  j["meter_type"] = hex_byte(frame.meter_type);
  j["meter_type_name"] = cjt188::meter_type_name(frame.meter_type);
  j["address"] = frame.address.to_string();
  j["control"] = hex_byte(frame.control);
  j["function"] = cjt188::control_name(frame.control);
  j["reply"] = frame.is_reply();
  j["error_reply"] = frame.is_error();
  if (frame.has_di) {
    char di[8];
    std::snprintf(di, sizeof di, "%04X", frame.di);
    j["di"] = di;
    j["di_order"] = frame.di_order == cjt188::DiOrder::high_first ? "high_first" : "low_first";
  }
  j["ser"] = frame.ser;
  if (!reply.records.empty() && frame.di == cjt188::kDiCurrentData) {
    j["unit_placement"] =
        reply.unit_placement == cjt188::UnitPlacement::after_value ? "after_value" : "before_value";
  }
  Json records = Json::array();
  for (const mbus::Record& r : reply.records) records.push_back(record_json(r, reply.error));
  j["records"] = std::move(records);
  if (reply.has_status) {
    j["status"] = Json{{"valve", cjt188::valve_name(reply.status.valve())},
                       {"battery_low", reply.status.battery_low()},
                       {"st1", hex_byte(reply.status.st1)},
                       {"st2", hex_byte(reply.status.st2)}};
  }
  return j;
}

}  // namespace heatlink::cli
