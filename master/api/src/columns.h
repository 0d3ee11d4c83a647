// The columns of downloads and uploads as the operator reads them: an export names its
// columns in the language asked for (?lang=en, else Simplified Chinese, as the UI speaks by
// default), writes times in the heat company's local time and numbers without binary noise;
// an import takes a column by its key or by either name, so an export imports back.
#pragma once

#include <string>

#include "call.h"
#include "table_file.h"

namespace heatlink::master::api {

// The name of column `key` in Chinese or English; the key itself when it has none.
std::string column_title(const std::string& key, bool english);
// The key of a column named `title` in either language, or `title` itself.
std::string column_key(const std::string& title);

// `table` (keys in its header, epoch seconds in its *_at and period_start columns) as the
// person downloading it reads it.
Table readable(const Call& call, Table table);

}  // namespace heatlink::master::api
