// The base information a master imports on its first start: stations, concentrators, meters
// and their buildings (docs/master.md "The base information").
#pragma once

#include <cstddef>
#include <string>
#include <variant>

#include "heatlink/master/storage/storage.h"

namespace heatlink::master {

// Imports stations, concentrators and meters from a base-information file into an empty
// database (one with no concentrators). Returns the number of meters imported, or what is
// wrong with the file.
std::variant<std::size_t, std::string> import_base_information(const std::string& path,
                                                               Storage& storage);

}  // namespace heatlink::master
