// A meter's telegram as the inspector shows it: the bytes, and which span of them is which
// field (frame header, identity, each record), decoded with the protocol library - the
// hex view colours the spans and the table beside it names them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace heatlink::gui {

struct TelegramField {
  std::size_t offset = 0;  // from the frame's first byte
  std::size_t size = 0;
  std::string name;   // "C field", "ID", "energy (instantaneous)", ...
  std::string value;  // "RSP_UD", "10000001", "5321 kWh", ...
};

struct TelegramView {
  std::string protocol;  // "mbus" or "cjt188"
  std::vector<std::uint8_t> bytes;
  std::vector<TelegramField> fields;  // in byte order
  std::string error;                  // what could not be decoded (the fields before it stay)
};

// `protocol` as the simulator's GET /meters/{i}/telegram names it; `hex` its bytes.
TelegramView decode_telegram(const std::string& protocol, const std::string& hex);

}  // namespace heatlink::gui
