// The API without sockets (Api::handle) on a real database of either backend, with a small
// district: a station, a community, a building, a concentrator, M-Bus and CJ/T 188 meters,
// readings and a fault. The clock is the test's.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "heatlink/master/api/api.h"
#include "heatlink/master/storage/sql_database.h"
#include "storage_support.h"

namespace heatlink::test {

using Json = nlohmann::json;

// How a request proves who sends it.
struct Credentials {
  std::string token;    // Authorization: Bearer
  std::string session;  // the session cookie ...
  std::string csrf;     // ... and the CSRF header (when not empty)
};

struct Answer {
  int status = 0;
  Json body;
  master::api::Response raw;
  std::string header(const std::string& name) const {
    for (const auto& [n, v] : raw.headers)
      if (n == name) return v;
    return "";
  }
};

// Runs Debian's python3 (with python3-openpyxl) on `script`; its standard output.
std::string python(const std::string& script, const std::string& argument);

class ApiTest : public ::testing::TestWithParam<std::string> {
 protected:
  static constexpr master::EpochSeconds kNow = 1'796'083'200;  // 2026-12-01T00:00:00Z

  void SetUp() override;

  Answer call(const std::string& method, const std::string& target, const Json& body = nullptr,
              const std::optional<Credentials>& who = std::nullopt,
              const std::string& raw_body = "", const std::string& peer = "192.0.2.1");
  // As the administrator (a token).
  Answer admin(const std::string& method, const std::string& target, const Json& body = nullptr) {
    return call(method, target, body, admin_);
  }
  // Signs in with a password; the session's credentials.
  Credentials sign_in(const std::string& name, const std::string& password);
  // A user holding exactly `permissions`, signed in with a token of theirs.
  Credentials user_with(const std::string& name, const std::vector<std::string>& permissions);

  std::string url_;
  std::unique_ptr<master::Storage> storage_;
  std::unique_ptr<master::api::Api> api_;
  master::EpochSeconds now_ = kNow;
  master::api::MasterCounters counters_;  // what the running master would count
  std::vector<master::DtuState> dtus_;    // what the gateway would know
  std::string admin_password_;
  Credentials admin_;
  std::int64_t station_ = 0, community_ = 0, building_ = 0, concentrator_ = 0;
  std::int64_t mbus_meter_ = 0, cjt188_meter_ = 0, silent_meter_ = 0;
};

}  // namespace heatlink::test
