// Numbered schema migrations, one list per backend. A migration is never edited once it has
// shipped: a change to the schema is a new, higher number.
#pragma once

#include <span>

namespace heatlink::master::storage {

struct Migration {
  int version;
  const char* name;
  const char* sql;  // one or more statements
};

std::span<const Migration> sqlite_migrations();
std::span<const Migration> postgresql_migrations();

}  // namespace heatlink::master::storage
