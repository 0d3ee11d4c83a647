// Where a meter is, for filters: its building's community, or - a meter without a building -
// its concentrator's. Written so that both databases answer from indexes (a community's
// buildings, then their meters) rather than scanning every meter; `m` is the meter table.
#pragma once

#include <string>
#include <utility>

#include "heatlink/master/storage/sql_database.h"

namespace heatlink::master::api {

// Takes the community's id twice.
inline constexpr const char* kMeterInCommunity =
    "(m.building_id IN (SELECT id FROM building WHERE community_id = ?) OR "
    "(m.building_id IS NULL AND m.concentrator_id IN "
    "(SELECT id FROM concentrator WHERE community_id = ?)))";

// Takes the station's id once.
inline constexpr const char* kMeterInStation =
    "m.concentrator_id IN (SELECT id FROM concentrator WHERE station_id = ?)";

// `column` starts with a prefix: a range of the address index (in byte order: PostgreSQL's
// index on it is COLLATE "C") rather than a LIKE, which scans. Takes prefix_range()'s values.
inline std::string address_prefix(const SqlDatabase& db, const std::string& column) {
  const std::string c =
      std::string(db.dialect()) == "postgresql" ? column + " COLLATE \"C\"" : column;
  return c + " >= ? AND " + c + " < ?";
}

// [prefix, prefix~): addresses are hex digits and letters, all below '~'. Upper-cased as the
// base information writes them.
inline std::pair<std::string, std::string> prefix_range(std::string prefix) {
  for (char& c : prefix)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return {prefix, prefix + "~"};
}

}  // namespace heatlink::master::api
