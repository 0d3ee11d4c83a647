#include "exports.h"

namespace heatlink::master::api {

Response table_download(const Call& call, const Table& table, const std::string& name) {
  const std::string format = call.choice("format", {"csv", "xlsx"}).value_or("csv");
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

}  // namespace heatlink::master::api
