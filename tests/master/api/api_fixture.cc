#include "api_fixture.h"

#include <cstdio>

namespace heatlink::test {

void ApiTest::SetUp() {
  url_ = fresh_database(GetParam());
  if (url_.empty()) {
    if (std::getenv("CI") != nullptr) FAIL() << "CI must run the PostgreSQL tests";
    GTEST_SKIP() << "HEATLINK_TEST_POSTGRESQL is not set (make test sets it)";
  }
  storage_ = ok(master::open_storage(url_));
  ASSERT_TRUE(storage_);
  ok(storage_->migrate());
  const auto password = ok(master::api::ensure_administrator(*storage_, kNow));
  ASSERT_TRUE(password.has_value());
  admin_password_ = *password;
  master::api::Environment env;
  env.now = [this] { return now_; };
  env.counters = &counters_;
  env.dtus = [this] { return dtus_; };
  env.login_failures_allowed = 5;
  env.login_window_s = 900;
  api_ = std::make_unique<master::api::Api>(env);

  const Credentials session = sign_in("admin", admin_password_);
  const Answer token = call("POST", "/api/v1/auth/tokens", Json{{"name", "tests"}}, session);
  ASSERT_EQ(token.status, 201) << token.body;
  admin_.token = token.body["token"];

  station_ = ok(storage_->add_station({0, "North station"}));
  community_ = ok(storage_->add_community({0, station_, "Garden community"}));
  const Answer building =
      admin("POST", "/api/v1/buildings", Json{{"community_id", community_}, {"name", "B1"}});
  ASSERT_EQ(building.status, 201) << building.body;
  building_ = building.body["id"];
  concentrator_ =
      ok(storage_->add_concentrator({0, station_, "hm660-north", "13800000001", community_,
                                     master::ConcentratorMode::transparent}));
  master::MeterRecord m;
  m.concentrator_id = concentrator_;
  m.vendor = "KAM";
  m.model = "MULTICAL 603";
  m.secondary_address = "10000001FFFF0104";
  m.primary_address = 1;
  mbus_meter_ = ok(storage_->add_meter(m));
  m.vendor = "CJT";
  m.protocol = master::MeterProtocol::cjt188;
  m.channel = 1;
  m.secondary_address = "00000030000001";
  cjt188_meter_ = ok(storage_->add_meter(m));
  m.protocol = master::MeterProtocol::mbus;
  m.secondary_address = "10000003FFFF0104";
  silent_meter_ = ok(storage_->add_meter(m));
  ok(storage_->database().query("UPDATE meter SET building_id = ? WHERE id <> ?",
                                {building_, silent_meter_}));
  master::Reading r;
  r.meter_id = mbus_meter_;
  r.read_at = kNow - 3600;
  r.received_at = kNow - 3590;
  r.energy_kwh = 1000;
  r.flow_m3h = 0.5;
  r.delta_t_k = 20;
  r.power_kw = 11.6;
  ok(storage_->store_readings(std::span(&r, 1)));
  r.read_at = kNow - 60;
  r.energy_kwh = 1012.5;
  ok(storage_->store_readings(std::span(&r, 1)));
  r.meter_id = cjt188_meter_;
  r.energy_kwh = 500;
  r.status_bits = 0x01;  // ST1: valve closed
  ok(storage_->store_readings(std::span(&r, 1)));
  master::FaultRecord fault;
  fault.meter_id = cjt188_meter_;
  fault.concentrator_id = concentrator_;
  fault.code = "low_battery";
  fault.raised_at = kNow - 100;
  ok(storage_->record_faults(std::span(&fault, 1)));
}

Answer ApiTest::call(const std::string& method, const std::string& target, const Json& body,
                     const std::optional<Credentials>& who, const std::string& raw_body,
                     const std::string& peer) {
  master::api::Request request;
  request.method = method;
  request.target = target;
  request.peer = peer;
  request.body = raw_body.empty() && !body.is_null() ? body.dump() : raw_body;
  if (who) {
    if (!who->token.empty()) request.headers["authorization"] = "Bearer " + who->token;
    if (!who->session.empty()) request.headers["cookie"] = "heatlink_session=" + who->session;
    if (!who->csrf.empty()) request.headers["x-csrf-token"] = who->csrf;
  }
  Answer a;
  a.raw = api_->handle(request, *storage_);
  a.status = a.raw.status;
  if (a.raw.content_type == "application/json") a.body = Json::parse(a.raw.body, nullptr, false);
  return a;
}

Credentials ApiTest::sign_in(const std::string& name, const std::string& password) {
  const Answer a = call("POST", "/api/v1/auth/login", Json{{"name", name}, {"password", password}});
  EXPECT_EQ(a.status, 200) << a.raw.body;
  Credentials c;
  for (const auto& [header, value] : a.raw.headers) {
    if (header == "Set-Cookie" && value.starts_with("heatlink_session="))
      c.session = value.substr(17, value.find(';') - 17);
  }
  c.csrf = a.body.value("csrf_token", "");
  return c;
}

Credentials ApiTest::user_with(const std::string& name,
                               const std::vector<std::string>& permissions) {
  const Answer role =
      admin("POST", "/api/v1/roles", Json{{"name", "role-" + name}, {"permissions", permissions}});
  EXPECT_EQ(role.status, 201) << role.raw.body;
  const std::string password = "pw-" + name + "-0123456789";
  const Answer user =
      admin("POST", "/api/v1/users",
            Json{{"name", name}, {"password", password}, {"roles", {role.body["id"]}}});
  EXPECT_EQ(user.status, 201) << user.raw.body;
  const Credentials session = sign_in(name, password);
  const Answer token = call("POST", "/api/v1/auth/tokens", Json{{"name", "t"}}, session);
  EXPECT_EQ(token.status, 201) << token.raw.body;
  Credentials c;
  c.token = token.body.value("token", "");
  return c;
}

std::string python(const std::string& script, const std::string& argument) {
  FILE* p = ::popen(("/usr/bin/python3 -c \"" + script + "\" " + argument).c_str(), "r");
  if (p == nullptr) return "";
  std::string out;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, p)) > 0;) out.append(buffer, n);
  EXPECT_EQ(::pclose(p), 0) << script;
  return out;
}

}  // namespace heatlink::test
