// `heatlink mbus decode`: frames from hex text or raw bytes to JSON Lines or a table.
#pragma once

#include <ostream>
#include <string_view>

#include "heatlink/protocol/frame_scan.h"

namespace heatlink::cli {

enum class OutputFormat { json, text };

struct DecodeOptions {
  OutputFormat format = OutputFormat::json;
  protocol::Protocol protocol = protocol::Protocol::any;
  bool binary = false;  // input is raw bytes, not hex text
};

// Decodes every frame in `input` and writes one JSON object per frame or error (or a
// table). Returns 0 when every frame decoded, 1 otherwise.
int decode_input(std::string_view input, const DecodeOptions& options, std::ostream& out);

}  // namespace heatlink::cli
