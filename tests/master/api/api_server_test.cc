// The API on real TCP: what the wire adds to Api::handle() - size and time limits, malformed
// requests, headers, and the server-sent event stream of monitoring changes.
#include "heatlink/master/api/api_server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "child_process.h"
#include "heatlink/master/storage/sql_database.h"
#include "http_client.h"
#include "storage_support.h"

namespace heatlink::test {
namespace {

using Json = nlohmann::json;

class ApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = fresh_database("sqlite");
    storage_ = ok(master::open_storage(url_));
    ok(storage_->migrate());
    password_ = *ok(master::api::ensure_administrator(*storage_, 1));
    api_ = std::make_unique<master::api::Api>(master::api::Environment{});
    master::api::ApiServerOptions options;
    options.port = 0;
    options.request_timeout = std::chrono::milliseconds(500);
    options.stream_interval = std::chrono::milliseconds(100);
    server_ = std::make_unique<master::api::ApiServer>(
        *api_, [this] { return master::open_storage(url_); }, options);
    ASSERT_EQ(server_->start(), "");
    port_ = server_->port();
  }

  // An API token of the administrator's, by signing in over HTTP.
  std::string token() {
    const HttpReply login = http(port_, "POST", "/api/v1/auth/login",
                                 Json{{"name", "admin"}, {"password", password_}}.dump());
    EXPECT_EQ(login.status, 200) << login.body;
    std::string cookie = login.header("Set-Cookie");
    cookie = cookie.substr(0, cookie.find(';'));
    const HttpReply created =
        http(port_, "POST", "/api/v1/auth/tokens", R"({"name":"t"})",
             {{"Cookie", cookie}, {"X-CSRF-Token", Json::parse(login.body)["csrf_token"]}});
    EXPECT_EQ(created.status, 201) << created.body;
    return Json::parse(created.body)["token"];
  }

  // Bytes read from `fd` until `wanted` appears or `wait` passes.
  static std::string read_until(int fd, const std::string& wanted, std::chrono::milliseconds wait) {
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + wait;
    timeval tv{0, 100'000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while (std::chrono::steady_clock::now() < deadline && got.find(wanted) == std::string::npos) {
      char buffer[4096];
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n == 0) break;
      if (n > 0) got.append(buffer, static_cast<std::size_t>(n));
    }
    return got;
  }

  std::string url_, password_;
  std::unique_ptr<master::Storage> storage_;
  std::unique_ptr<master::api::Api> api_;
  std::unique_ptr<master::api::ApiServer> server_;
  std::uint16_t port_ = 0;
};

TEST_F(ApiServerTest, AnswersOverTcpWithTheSecurityHeaders) {
  const HttpReply health = http(port_, "GET", "/api/v1/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(Json::parse(health.body)["status"], "ok");
  EXPECT_EQ(health.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(health.header("X-Frame-Options"), "DENY");
  EXPECT_EQ(http(port_, "GET", "/api/v1/stations").status, 401);
  const std::string t = token();
  EXPECT_EQ(http(port_, "GET", "/api/v1/stations", "", {{"Authorization", "Bearer " + t}}).status,
            200);
}

// The browser UI's files beside the API: pages of the application get index.html, hashed
// assets are cached, nothing outside the loaded files is reachable, the API is still the API.
TEST(WebFiles, ServeTheApplicationBesideTheApi) {
  const std::string root = ::testing::TempDir() + "heatlink-web-" + std::to_string(::getpid());
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root + "/assets");
  std::ofstream(root + "/index.html") << "<!doctype html><div id=app></div>";
  std::ofstream(root + "/assets/index-3f2a.js") << "console.log(1)";
  std::string big;
  for (int i = 0; i < 2000; ++i) big += "export const value" + std::to_string(i) + " = " + "1;\n";
  std::ofstream(root + "/assets/vendor-9c1d.js") << big;
  std::ofstream(::testing::TempDir() + "secret.txt") << "not served";
  master::api::WebFiles files;
  EXPECT_NE(files.load(root + "/missing"), "") << "no index.html: an error";
  ASSERT_EQ(files.load(root), "");
  EXPECT_EQ(files.file_count(), 3u);

  auto get = [&](const std::string& target, const std::string& method = "GET") {
    master::api::Request r;
    r.method = method;
    r.target = target;
    return files.answer(r);
  };
  auto header = [](const master::api::Response& r, const std::string& name) {
    for (const auto& [n, v] : r.headers)
      if (n == name) return v;
    return std::string();
  };
  const auto index = get("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(header(index, "Cache-Control"), "no-cache");
  EXPECT_NE(header(index, "Content-Security-Policy").find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(get("/base/meters?page=2").body, index.body) << "a page of the application";
  const auto script = get("/assets/index-3f2a.js");
  EXPECT_EQ(script.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(header(script, "Cache-Control"), "public, max-age=31536000, immutable");
  // Text files go gzipped to a browser that accepts it, and as they are to anyone else.
  master::api::Request zipped;
  zipped.method = "GET";
  zipped.target = "/assets/vendor-9c1d.js";
  zipped.headers["accept-encoding"] = "gzip, deflate, br";
  const auto compressed = files.answer(zipped);
  EXPECT_EQ(header(compressed, "Content-Encoding"), "gzip");
  EXPECT_EQ(header(compressed, "Vary"), "Accept-Encoding");
  EXPECT_TRUE(compressed.body.starts_with("\x1f\x8b"));
  EXPECT_LT(compressed.body.size(), big.size() / 4);
  EXPECT_EQ(get("/assets/vendor-9c1d.js").body, big);
  EXPECT_EQ(header(get("/assets/vendor-9c1d.js"), "Content-Encoding"), "");
  EXPECT_EQ(get("/assets/gone.js").status, 404);
  EXPECT_EQ(get("/assets/missing").status, 404) << "no fallback under /assets/";
  EXPECT_EQ(get("/../secret.txt").status, 404);
  EXPECT_EQ(get("/%2e%2e/secret.txt").status, 404);
  EXPECT_EQ(get("/", "POST").status, 405);
  EXPECT_FALSE(master::api::WebFiles::serves("/api/v1/health"));
  EXPECT_FALSE(master::api::WebFiles::serves("/metrics"));
  EXPECT_TRUE(master::api::WebFiles::serves("/monitoring"));
  EXPECT_TRUE(master::api::WebFiles::serves("/apiary"));
}

TEST_F(ApiServerTest, ServesTheBrowserUiAndTheApiOnOnePort) {
  const std::string root = ::testing::TempDir() + "heatlink-ui-" + std::to_string(::getpid());
  std::filesystem::create_directories(root);
  std::ofstream(root + "/index.html") << "<!doctype html><title>HeatLink</title>";
  auto files = std::make_shared<master::api::WebFiles>();
  ASSERT_EQ(files->load(root), "");
  master::api::ApiServerOptions options;
  options.port = 0;
  options.web = files;
  master::api::ApiServer server(
      *api_, [this] { return master::open_storage(url_); }, options);
  ASSERT_EQ(server.start(), "");
  const HttpReply page = http(server.port(), "GET", "/monitoring");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<title>HeatLink</title>"), std::string::npos);
  EXPECT_NE(page.header("Content-Security-Policy"), "");
  const HttpReply head = http(server.port(), "HEAD", "/monitoring");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("Content-Length"), std::to_string(page.body.size()));
  EXPECT_EQ(head.body, "");
  const HttpReply health = http(server.port(), "GET", "/api/v1/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(Json::parse(health.body)["status"], "ok");
  EXPECT_EQ(http(server.port(), "GET", "/api/v1/nowhere").status, 404);
  server.stop();
}

TEST_F(ApiServerTest, AnOversizedBodyIsRefusedWith413) {
  const HttpReply r = http(port_, "POST", "/api/v1/auth/login", std::string(2 << 20, 'x'));
  EXPECT_EQ(r.status, 413);
  // Imports may be larger.
  const HttpReply import =
      http(port_, "POST", "/api/v1/stations/import", "name\n" + std::string(2 << 20, 'x'),
           {{"Authorization", "Bearer " + token()}});
  EXPECT_NE(import.status, 413) << import.body;
}

TEST_F(ApiServerTest, OversizedHeadersAreRefusedWith431) {
  const HttpReply r =
      http(port_, "GET", "/api/v1/health", "", {{"X-Padding", std::string(16 * 1024, 'a')}});
  EXPECT_EQ(r.status, 431);
}

TEST_F(ApiServerTest, ASlowClientIsCutOff) {
  const int fd = connect_to_loopback(port_);
  ASSERT_GE(fd, 0);
  const std::string partial = "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n";
  ASSERT_EQ(::send(fd, partial.data(), partial.size(), 0), static_cast<ssize_t>(partial.size()));
  const auto began = std::chrono::steady_clock::now();
  char byte = 0;
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  EXPECT_LE(::recv(fd, &byte, 1, 0), 0) << "the server closes the connection";
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(4));
  ::close(fd);
  // The server goes on serving others.
  EXPECT_EQ(http(port_, "GET", "/api/v1/health").status, 200);
}

// Sockets opened and left silent fill the connection limit: someone's real request still gets
// in - the connection that has waited longest for a request gives way - and every such request
// is answered.
TEST_F(ApiServerTest, IdleSocketsHeldOpenDoNotKeepRequestsOut) {
  master::api::ApiServerOptions options;
  options.port = 0;
  options.max_connections = 40;
  options.request_timeout = std::chrono::seconds(60);
  master::api::ApiServer server(
      *api_, [this] { return master::open_storage(url_); }, options);
  ASSERT_EQ(server.start(), "");
  std::vector<int> idle;
  for (int i = 0; i < 40; ++i) idle.push_back(connect_to_loopback(server.port()));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // all accepted
  int answered = 0;
  for (int i = 0; i < 20; ++i)
    answered += http(server.port(), "GET", "/api/v1/health").status == 200;
  EXPECT_EQ(answered, 20) << "requests refused while idle sockets held every place";
  // The oldest idle sockets were closed, the newest are still open.
  EXPECT_EQ(read_until(idle.front(), "x", std::chrono::milliseconds(300)), "");
  char byte = 0;
  EXPECT_EQ(::recv(idle.front(), &byte, 1, MSG_DONTWAIT), 0) << "closed by the server";
  EXPECT_LT(::recv(idle.back(), &byte, 1, MSG_DONTWAIT), 0) << "still open";
  for (const int fd : idle) ::close(fd);
  server.stop();
}

TEST_F(ApiServerTest, AMalformedRequestGets400) {
  const int fd = connect_to_loopback(port_);
  ASSERT_GE(fd, 0);
  const std::string garbage = "GET / HTTP/1.1\r\nHost x\r\n\r\n";
  ::send(fd, garbage.data(), garbage.size(), 0);
  const std::string answer = read_until(fd, "\r\n\r\n", std::chrono::seconds(3));
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 400")) << answer;
  ::close(fd);
}

TEST_F(ApiServerTest, TheMonitoringStreamPushesChanges) {
  master::StationRecord station{0, "S"};
  const auto station_id = ok(storage_->add_station(station));
  const auto concentrator =
      ok(storage_->add_concentrator({0, station_id, "c1", "13800000001", std::nullopt}));
  master::MeterRecord meter;
  meter.concentrator_id = concentrator;
  meter.vendor = "KAM";
  meter.secondary_address = "10000001FFFF0104";
  const auto meter_id = ok(storage_->add_meter(meter));

  // Without credentials the stream is refused like any route.
  EXPECT_EQ(http(port_, "GET", "/api/v1/monitoring/stream").status, 401);

  const int fd = connect_to_loopback(port_);
  ASSERT_GE(fd, 0);
  const std::string request =
      "GET /api/v1/monitoring/stream HTTP/1.1\r\nHost: x\r\n"
      "Authorization: Bearer " +
      token() + "\r\n\r\n";
  ::send(fd, request.data(), request.size(), 0);
  const std::string head = read_until(fd, ": streaming", std::chrono::seconds(3));
  EXPECT_NE(head.find("Content-Type: text/event-stream"), std::string::npos) << head;

  // A cycle of the concentrator finishes: its meters changed.
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  master::Reading r;
  r.meter_id = meter_id;
  r.read_at = now;
  r.received_at = now;
  r.energy_kwh = 4321;
  ok(storage_->store_readings(std::span(&r, 1)));
  master::CycleClaim claim{concentrator, now - now % 3600, false, "m"};
  ok(storage_->claim_cycle(claim, now, 3600));
  ok(storage_->finish_cycle(claim, now + 1, 1, 0));
  const std::string event = read_until(fd, "4321", std::chrono::seconds(5));
  EXPECT_NE(event.find("event: changes"), std::string::npos) << event;
  EXPECT_NE(event.find("\"energy_kwh\":4321"), std::string::npos) << event;
  ::close(fd);
}

}  // namespace
}  // namespace heatlink::test
