// The backends behind open_storage().
#pragma once

#include "heatlink/master/storage/storage.h"

namespace heatlink::master::storage {

StorageResult<std::unique_ptr<Storage>> open_sqlite(const std::string& path);
// `connection`: a libpq connection string (URI or key=value).
StorageResult<std::unique_ptr<Storage>> open_postgresql(const std::string& connection);

}  // namespace heatlink::master::storage
