// The management API answers whatever an authenticated client sends - any method, target,
// query and body, CSV imports included - with a status and, for JSON, a parseable body; it
// never crashes. Input: "METHOD TARGET\nBODY". A SQLite database of the process's own, with
// a small district, lives for the run.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>

#include "heatlink/master/api/api.h"

namespace {

namespace master = heatlink::master;
namespace api = heatlink::master::api;

struct Fixture {
  std::unique_ptr<master::Storage> storage;
  std::unique_ptr<api::Api> handler;
  std::string token;
};

Fixture& fixture() {
  static Fixture f = [] {
    Fixture made;
    const std::string path = (std::filesystem::temp_directory_path() /
                              ("heatlink-fuzz-api-" + std::to_string(::getpid()) + ".db"))
                                 .string();
    std::filesystem::remove(path);
    auto opened = master::open_storage("sqlite:" + path);
    if (!std::holds_alternative<std::unique_ptr<master::Storage>>(opened)) std::abort();
    made.storage = std::move(std::get<std::unique_ptr<master::Storage>>(opened));
    if (!std::holds_alternative<int>(made.storage->migrate())) std::abort();
    const auto password = master::api::ensure_administrator(*made.storage, 1'700'000'000);
    api::Environment env;
    env.now = [] { return master::EpochSeconds{1'796'083'200}; };
    made.handler = std::make_unique<api::Api>(env);
    const auto station = made.storage->add_station({0, "S"});
    const auto id = std::get<std::int64_t>(station);
    const auto c = made.storage->add_concentrator({0, id, "c", "13800000001", std::nullopt});
    master::MeterRecord m;
    m.concentrator_id = std::get<std::int64_t>(c);
    m.vendor = "KAM";
    m.secondary_address = "10000001FFFF0104";
    made.storage->add_meter(m);
    api::Request login{"POST", "/api/v1/auth/login", {}, "", "127.0.0.1"};
    login.body = nlohmann::json{{"name", "admin"},
                                {"password", *std::get<std::optional<std::string>>(password)}}
                     .dump();
    const auto signed_in = made.handler->handle(login, *made.storage);
    std::string cookie, csrf = nlohmann::json::parse(signed_in.body)["csrf_token"];
    for (const auto& [name, value] : signed_in.headers)
      if (name == "Set-Cookie" && value.starts_with("heatlink_session="))
        cookie = value.substr(0, value.find(';'));
    api::Request create{"POST",
                        "/api/v1/auth/tokens",
                        {{"cookie", cookie}, {"x-csrf-token", csrf}},
                        R"({"name":"fuzz"})",
                        "127.0.0.1"};
    made.token = nlohmann::json::parse(made.handler->handle(create, *made.storage).body)["token"];
    return made;
  }();
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Fixture& f = fixture();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto line_end = std::min(text.find('\n'), text.size());
  const std::string_view line = text.substr(0, line_end);
  const auto space = std::min(line.find(' '), line.size());
  api::Request request;
  request.method = std::string(line.substr(0, space));
  request.target = std::string(line.substr(std::min(space + 1, line.size())));
  request.body = std::string(text.substr(std::min(line_end + 1, text.size())));
  request.peer = "127.0.0.1";
  // Not the routes that end the fuzzer's own credentials.
  if (request.target.starts_with("/api/v1/auth/tokens/") ||
      request.target.starts_with("/api/v1/users/1"))
    return 0;
  request.headers["authorization"] = "Bearer " + f.token;
  const api::Response r = f.handler->handle(request, *f.storage);
  if (r.status < 200 || r.status > 599) std::abort();
  if (r.content_type == "application/json" &&
      nlohmann::json::parse(r.body, nullptr, false).is_discarded())
    std::abort();
  return 0;
}
