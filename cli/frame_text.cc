#include "frame_text.h"

#include <iomanip>

namespace heatlink::cli {

namespace {

std::string text_of(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "-";
  return v.dump();
}

void field(std::ostream& out, const Json& j, const char* key, const char* label) {
  if (j.contains(key)) out << ' ' << label << text_of(j[key]);
}

}  // namespace

void print_text(const Json& j, std::ostream& out) {
  if (!j.contains("protocol")) {
    out << "error at byte " << text_of(j.value("offset", Json(0)));
    if (j.contains("line")) out << " (line " << text_of(j["line"]) << ')';
    out << ": " << text_of(j["error"]) << '\n';
    return;
  }
  out << "frame at byte " << text_of(j["offset"]) << ": " << text_of(j["protocol"]);
  field(out, j, "frame", "");
  field(out, j, "control", "");
  field(out, j, "function", "");
  field(out, j, "a", "a=");
  field(out, j, "ci", "ci=");
  field(out, j, "meter_type_name", "type=");
  field(out, j, "address", "address=");
  field(out, j, "di", "di=");
  field(out, j, "id", "id=");
  field(out, j, "manufacturer", "");
  field(out, j, "version", "v");
  field(out, j, "medium", "");
  field(out, j, "access_number", "access=");
  field(out, j, "status", "status=");
  field(out, j, "select", "select=");
  field(out, j, "baud", "baud=");
  out << '\n';
  if (j.contains("records")) {
    out << "  " << std::left << std::setw(14) << "function" << std::setw(5) << "stor"
        << std::setw(5) << "tar" << std::setw(5) << "sub" << std::setw(26) << "quantity"
        << std::setw(22) << "value" << std::setw(8) << "unit"
        << "raw\n";
    for (const Json& r : j["records"]) {
      out << "  " << std::setw(14) << text_of(r["function"]) << std::setw(5)
          << text_of(r["storage"]) << std::setw(5) << text_of(r["tariff"]) << std::setw(5)
          << text_of(r["subunit"]) << std::setw(26) << text_of(r["quantity"]) << std::setw(22)
          << text_of(r["value"]) << std::setw(8) << text_of(r["unit"])
          << text_of(r.value("dif", Json(""))) << ' ' << text_of(r.value("vif", Json(""))) << ' '
          << text_of(r["data"]);
      if (r.contains("error")) out << "  ! " << text_of(r["error"]);
      out << '\n';
    }
  }
  if (j.contains("status") && j["status"].is_object()) {
    out << "  valve " << text_of(j["status"]["valve"]) << ", battery "
        << (j["status"]["battery_low"].get<bool>() ? "low" : "ok") << '\n';
  }
  if (j.contains("error")) out << "  error: " << text_of(j["error"]) << '\n';
}

}  // namespace heatlink::cli
