// A table as a download: ?format=csv (default) or xlsx.
#pragma once

#include "call.h"
#include "table_file.h"

namespace heatlink::master::api {

Response table_download(const Call& call, const Table& table, const std::string& name);

}  // namespace heatlink::master::api
