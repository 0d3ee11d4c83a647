// Tables to and from the browser: a download as ?format=csv (default) or xlsx, an upload of
// either.
#pragma once

#include "call.h"
#include "table_file.h"

namespace heatlink::master::api {

// `table` (its columns by key, times in epoch seconds) as ?format and ?lang ask (columns.h).
Response table_download(const Call& call, const Table& table, const std::string& name);

// The table an import's body holds: an XLSX workbook (a zip), else CSV. 400 naming where the
// file is broken, 413 beyond 100,000 rows.
Table uploaded_table(const Call& call);

}  // namespace heatlink::master::api
