// What tests of the master's storage share: a result's value (a failed test otherwise), and an
// empty PostgreSQL schema of the test's own on the cluster `make test` starts.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <utility>

#include "heatlink/master/storage.h"

namespace heatlink::test {

template <class T>
T ok(master::StorageResult<T> result) {
  if (auto* e = std::get_if<master::StorageError>(&result)) {
    ADD_FAILURE() << e->message;
    return T{};
  }
  return std::move(std::get<T>(result));
}

// Drops and creates `schema` on the server at `url`, and returns `url` with that schema first
// in the search path: the test starts from nothing, also when ctest runs two at once.
inline std::string own_schema(const std::string& url, const std::string& schema) {
  const std::string sql = "SET client_min_messages = warning; DROP SCHEMA IF EXISTS " + schema +
                          " CASCADE; CREATE SCHEMA " + schema;
  EXPECT_EQ(std::system(("psql -q '" + url + "' -c '" + sql + "' >/dev/null").c_str()), 0);
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
         schema;
}

}  // namespace heatlink::test
