// What tests of the master's storage share: a result's value (a failed test otherwise), and an
// empty PostgreSQL schema of the test's own on the cluster `make test` starts.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>

#include "heatlink/master/storage/storage.h"

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

// A fresh, empty database for the running test: a SQLite file in the test's temporary folder,
// or an empty schema of its own on the PostgreSQL test cluster; "" when there is none.
inline std::string fresh_database(const std::string& backend) {
  std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::replace(name.begin(), name.end(), '/', '-');
  if (backend == "sqlite") {
    const std::string path =
        ::testing::TempDir() + "heatlink-" + std::to_string(::getpid()) + "-" + name + ".db";
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    return "sqlite:" + path;
  }
  const char* url = std::getenv("HEATLINK_TEST_POSTGRESQL");
  if (url == nullptr) return "";
  std::string schema = "t" + std::to_string(::getpid()) + "_" + name;
  for (char& c : schema)
    c = std::isalnum(static_cast<unsigned char>(c))
            ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
            : '_';
  return own_schema(url, schema.substr(0, 60));
}

}  // namespace heatlink::test
