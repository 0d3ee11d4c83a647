// The management API on a heat company's scale (docs/BENCHMARKS.md): a SQLite database of
// 3,000,000 meters (100 stations, 1,000 communities, 20,000 buildings, 10,000 concentrators of
// 300 meters), a year of daily readings and monthly consumption for 10,000 of them. Measures
// p50/p99 of requests through Api::handle() - authentication included - for the monitoring
// page with filters, one meter's one-year curve, and a community's monthly XLSX report.
//
//   bench_api DATABASE.db [ITERATIONS]     (the database is generated when missing)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "heatlink/master/api/api.h"
#include "heatlink/master/storage/sql_database.h"

namespace {

namespace master = heatlink::master;
namespace api = heatlink::master::api;

constexpr std::int64_t kMeters = 3'000'000;
constexpr std::int64_t kDailyMeters = 10'000;
constexpr master::EpochSeconds kYearStart = 1'764'547'200;  // 2025-12-01T00:00:00Z

void run(master::SqlDatabase& db, const std::string& sql) {
  const auto done = db.query(sql, {});
  if (const auto* e = std::get_if<master::StorageError>(&done)) {
    std::fprintf(stderr, "bench_api: %s\n", e->message.c_str());
    std::exit(1);
  }
}

void generate(master::Storage& storage) {
  master::SqlDatabase& db = storage.database();
  const auto began = std::chrono::steady_clock::now();
  const std::string numbers =
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
      "WHERE i < ";
  run(db, numbers + "100) INSERT INTO station (id, name) SELECT i, 'station ' || i FROM n");
  run(db, numbers +
              "1000) INSERT INTO community (id, station_id, name) "
              "SELECT i, (i - 1) / 10 + 1, 'community ' || i FROM n");
  run(db, numbers +
              "20000) INSERT INTO building (id, community_id, name) "
              "SELECT i, (i - 1) / 20 + 1, 'building ' || i FROM n");
  run(db, numbers +
              "10000) INSERT INTO concentrator (id, station_id, name, dtu_id, community_id) "
              "SELECT i, (i - 1) / 100 + 1, 'hm660-' || i, '139' || printf('%08d', i), "
              "(i - 1) / 10 + 1 FROM n");
  run(db, "BEGIN");
  run(db, numbers + std::to_string(kMeters) +
              ") INSERT INTO meter (id, concentrator_id, channel, vendor, model, protocol, "
              "primary_address, secondary_address, building_id, kind) SELECT i, (i - 1) / 300 + 1, "
              "((i - 1) % 300) / 75, CASE i % 4 WHEN 0 THEN 'KAM' WHEN 1 THEN 'HYD' WHEN 2 THEN "
              "'DFS' ELSE 'CJT' END, '', CASE i % 4 WHEN 3 THEN 1 ELSE 0 END, (i - 1) % 250 + 1, "
              "printf('%08dFFFF0104', i), ((i - 1) / 300 / 10) * 20 + (i - 1) % 20 + 1, "
              "CASE WHEN (i - 1) % 300 = 0 THEN 'building' ELSE 'household' END FROM n");
  run(db, "COMMIT");
  std::fprintf(stderr, "bench_api: %lld meters in %.0f s\n", static_cast<long long>(kMeters),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
  run(db, "BEGIN");
  run(db, "WITH RECURSIVE m(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM m WHERE i < " +
              std::to_string(kDailyMeters) +
              "), d(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM d WHERE j < 364) "
              "INSERT INTO reading (meter_id, read_at, received_at, energy_kwh, volume_m3, "
              "power_kw, flow_m3h, supply_c, return_c, delta_t_k, status_bits, error_bits, "
              "outcome) SELECT i, " +
              std::to_string(kYearStart) + " + j * 86400, " + std::to_string(kYearStart) +
              " + j * 86400 + 40, 1000 + i % 97 + j * 48.5, 20 + j * 1.2, 2.0 + (j % 7), 0.08, "
              "65, 42, 23, 0, 0, 0 FROM m, d");
  run(db, "COMMIT");
  run(db, "BEGIN");
  run(db, "WITH RECURSIVE m(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM m WHERE i < " +
              std::to_string(kDailyMeters) +
              "), k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < 11) "
              "INSERT INTO aggregate (meter_id, period, period_start, energy_kwh, volume_m3, "
              "interpolated) SELECT i, 'month', " +
              std::to_string(kYearStart) + " + j * 2629800, 1450 + i % 50, 36, 0 FROM m, k");
  run(db, "COMMIT");
  run(db, "ANALYZE");
  std::fprintf(stderr, "bench_api: generated in %.0f s\n",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
}

struct Timing {
  std::string what;
  std::vector<double> ms;
};

void report(Timing& t) {
  std::sort(t.ms.begin(), t.ms.end());
  auto at = [&t](double q) {
    return t.ms[std::min(t.ms.size() - 1,
                         static_cast<std::size_t>(q * static_cast<double>(t.ms.size())))];
  };
  std::printf("%-58s n=%4zu  p50 %8.2f ms  p99 %8.2f ms  max %8.2f ms\n", t.what.c_str(),
              t.ms.size(), at(0.50), at(0.99), t.ms.back());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_api DATABASE.db [ITERATIONS]\n");
    return 2;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::string path = argv[1];
  const int iterations = argc > 2 ? std::atoi(argv[2]) : 200;
  const bool exists = std::filesystem::exists(path);
  auto opened = master::open_storage("sqlite:" + path);
  if (auto* e = std::get_if<master::StorageError>(&opened)) {
    std::fprintf(stderr, "bench_api: %s\n", e->message.c_str());
    return 1;
  }
  auto storage = std::move(std::get<std::unique_ptr<master::Storage>>(opened));
  storage->migrate();
  if (!exists) generate(*storage);
  run(storage->database(), "DELETE FROM app_user");
  run(storage->database(), "DELETE FROM role");
  const auto password = master::api::ensure_administrator(*storage, kYearStart);
  api::Environment env;
  env.now = [] { return kYearStart + 365 * 86400; };
  api::Api handler(env);
  api::Request login{"POST", "/api/v1/auth/login", {}, "", "127.0.0.1"};
  login.body = nlohmann::json{{"name", "admin"},
                              {"password", *std::get<std::optional<std::string>>(password)}}
                   .dump();
  const auto signed_in = handler.handle(login, *storage);
  std::string cookie;
  for (const auto& [name, value] : signed_in.headers)
    if (name == "Set-Cookie" && value.starts_with("heatlink_session="))
      cookie = value.substr(0, value.find(';'));

  std::mt19937 random(42);
  auto pick = [&random](std::int64_t low, std::int64_t high) {
    return std::uniform_int_distribution<std::int64_t>(low, high)(random);
  };
  auto measure = [&](const std::string& what, int n, const std::function<std::string()>& target) {
    Timing t{what, {}};
    for (int i = 0; i < n; ++i) {
      api::Request r{"GET", target(), {{"cookie", cookie}}, "", "127.0.0.1"};
      const auto began = std::chrono::steady_clock::now();
      const auto answer = handler.handle(r, *storage);
      t.ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began)
              .count());
      if (answer.status != 200) {
        std::fprintf(stderr, "bench_api: %s -> %d %s\n", r.target.c_str(), answer.status,
                     answer.body.substr(0, 300).c_str());
        std::exit(1);
      }
    }
    report(t);
  };
  const std::string year =
      "&from=" + std::to_string(kYearStart) + "&to=" + std::to_string(kYearStart + 365 * 86400);
  measure("monitoring: a community, random page of 50", iterations, [&] {
    return "/api/v1/monitoring/meters?community_id=" + std::to_string(pick(1, 1000)) +
           "&page=" + std::to_string(pick(1, 60)) + "&page_size=50";
  });
  measure("monitoring: a concentrator, KAM meters, page 1", iterations, [&] {
    return "/api/v1/monitoring/meters?concentrator_id=" + std::to_string(pick(1, 10000)) +
           "&vendor=KAM&page_size=50";
  });
  measure("monitoring: a building, status ok", iterations, [&] {
    return "/api/v1/monitoring/meters?building_id=" + std::to_string(pick(1, 20000)) +
           "&status=ok&page_size=50";
  });
  measure("monitoring: meters read daily (community 1-3), page of 50", iterations, [&] {
    return "/api/v1/monitoring/meters?community_id=" + std::to_string(pick(1, 3)) +
           "&page=" + std::to_string(pick(1, 60)) + "&page_size=50";
  });
  measure("monitoring: a secondary-address prefix (100 meters)", iterations, [&] {
    char prefix[16];
    std::snprintf(prefix, sizeof prefix, "%06lld", static_cast<long long>(pick(0, 29999)));
    return std::string("/api/v1/monitoring/meters?q=") + prefix + "&page_size=20";
  });
  measure("monitoring: a station (30,000 meters), random page", iterations, [&] {
    return "/api/v1/monitoring/meters?station_id=" + std::to_string(pick(1, 100)) +
           "&page=" + std::to_string(pick(1, 600)) + "&page_size=50";
  });
  measure("monitoring: every meter (3,000,000), page 1", std::max(5, iterations / 10),
          [] { return std::string("/api/v1/monitoring/meters?page_size=50"); });
  measure("monitoring: summary of a community", iterations / 4, [&] {
    return "/api/v1/monitoring/summary?community_id=" + std::to_string(pick(1, 1000));
  });
  measure("curve: one meter's year of daily readings", iterations, [&] {
    return "/api/v1/statistics/meters/" + std::to_string(pick(1, kDailyMeters)) + "/readings?" +
           year.substr(1);
  });
  measure("export: a community's month as XLSX (3,000 meters)", std::max(5, iterations / 10), [&] {
    return "/api/v1/statistics/report/export?period=month&period_start=" +
           std::to_string(kYearStart + pick(0, 11) * 2629800) +
           "&community_id=" + std::to_string(pick(1, 3)) + "&format=xlsx";
  });
  return 0;
}
