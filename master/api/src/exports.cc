#include "exports.h"

#include "columns.h"

namespace heatlink::master::api {

Response table_download(const Call& call, const Table& keyed, const std::string& name) {
  const std::string format = call.choice("format", {"csv", "xlsx"}).value_or("csv");
  const Table table = readable(call, keyed);
  Response r;
  if (format == "xlsx") {
    r.body = to_xlsx(table, name.substr(0, 31));
    if (r.body.empty()) refuse(500, "export", "the XLSX file could not be written");
    r.content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  } else {
    r.body = to_csv(table);
    r.content_type = "text/csv; charset=utf-8";
  }
  r.headers.emplace_back("Content-Disposition",
                         "attachment; filename=\"" + name + "." + format + "\"");
  return r;
}

Table uploaded_table(const Call& call) {
  constexpr std::size_t kRowLimit = 100'000;
  // An XLSX workbook is a zip: "PK\3\4"; anything else is read as CSV.
  const std::string& body = call.request.body;
  auto parsed = body.starts_with("PK\x03\x04") ? parse_xlsx(body) : parse_csv(body);
  if (const auto* e = std::get_if<std::string>(&parsed)) refuse(400, "invalid", *e);
  if (std::get<Table>(parsed).rows.size() > kRowLimit)
    refuse(413, "too_large", "at most " + std::to_string(kRowLimit) + " rows per import");
  return std::get<Table>(std::move(parsed));
}

}  // namespace heatlink::master::api
