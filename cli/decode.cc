#include "decode.h"

#include <vector>

#include "frame_json.h"
#include "frame_text.h"
#include "heatlink/protocol/bytes.h"
#include "heatlink/protocol/mbus_request.h"

namespace heatlink::cli {

namespace mbus = protocol::mbus;
namespace cjt188 = protocol::cjt188;

namespace {

struct Input {
  std::vector<std::uint8_t> bytes;
  std::vector<std::size_t> line_starts;  // hex text: byte index where each line's bytes begin
};

// Hex text, one line at a time, so that a bad digit is reported by line and column.
bool read_hex(std::string_view text, Input& in, Json& error) {
  std::size_t line = 1;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view row = text.substr(0, end);
    in.line_starts.push_back(in.bytes.size());
    auto bytes = protocol::parse_hex(row);
    if (!bytes) {
      error = Json{
          {"error", "hex text line " + std::to_string(line) + " column " +
                        std::to_string(bytes.error().offset + 1) + ": " + bytes.error().message()},
          {"offset", in.bytes.size()},
          {"line", line}};
      return false;
    }
    in.bytes.insert(in.bytes.end(), bytes->begin(), bytes->end());
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
    ++line;
  }
  return true;
}

class Printer {
 public:
  Printer(const DecodeOptions& options, const Input& in, std::ostream& out)
      : options_(options), in_(in), out_(out) {}

  void frame(Json j, std::size_t offset, const protocol::Error* error) {
    Json framed;
    framed["offset"] = offset;
    add_line(framed, offset);
    for (auto& [key, value] : j.items()) framed[key] = std::move(value);
    if (error != nullptr) {
      framed["error"] = error->message();
      framed["error_offset"] = offset + error->offset;
      ok_ = false;
    }
    emit(framed);
  }

  void error(const protocol::Error& e, std::size_t base) {
    Json j{{"error", e.message()}, {"offset", base + e.offset}};
    add_line(j, base + e.offset);
    ok_ = false;
    emit(j);
  }

  void emit(const Json& j) {
    if (options_.format == OutputFormat::json) {
      out_ << j.dump() << '\n';
    } else {
      print_text(j, out_);
    }
  }

  bool ok() const { return ok_; }

 private:
  void add_line(Json& j, std::size_t offset) const {
    if (in_.line_starts.empty()) return;
    std::size_t line = 0;
    while (line + 1 < in_.line_starts.size() && in_.line_starts[line + 1] <= offset) ++line;
    j["line"] = line + 1;
  }

  const DecodeOptions& options_;
  const Input& in_;
  std::ostream& out_;
  bool ok_ = true;
};

}  // namespace

int decode_input(std::string_view input, const DecodeOptions& options, std::ostream& out) {
  Input in;
  if (options.binary) {
    in.bytes.assign(input.begin(), input.end());
  } else {
    Json error;
    if (!read_hex(input, in, error)) {
      Printer(options, in, out).emit(error);
      return 1;
    }
  }
  Printer printer(options, in, out);
  mbus::Telegram telegram;
  cjt188::Reply reply;
  protocol::Bytes rest{in.bytes};
  std::size_t offset = 0;
  while (!rest.empty()) {
    const protocol::AnyScanResult r = protocol::scan_any(rest, options.protocol);
    if (r.status == mbus::ScanStatus::need_more) {
      printer.error(protocol::Error{protocol::Errc::truncated, rest.size(), "frame",
                                    "input ends inside a frame"},
                    offset);
      break;
    }
    if (r.status == mbus::ScanStatus::invalid) {
      printer.error(r.error, offset);
    } else if (r.protocol == protocol::Protocol::cjt188) {
      const bool ok = cjt188::decode_reply(r.cjt188, reply);
      printer.frame(cjt188_frame_json(r.cjt188, reply), offset, ok ? nullptr : &reply.error);
    } else if (r.mbus.type == mbus::FrameType::long_frame && !mbus::is_command_ci(r.mbus.ci)) {
      const bool ok = mbus::decode_telegram(r.mbus, telegram);
      printer.frame(mbus_frame_json(r.mbus, &telegram), offset, ok ? nullptr : &telegram.error);
    } else {
      printer.frame(mbus_frame_json(r.mbus, nullptr), offset, nullptr);
    }
    offset += r.consumed;
    rest = rest.subspan(r.consumed);
  }
  return printer.ok() ? 0 : 1;
}

}  // namespace heatlink::cli
