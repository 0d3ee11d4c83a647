#include "migrations.h"

#include <string>
#include <utility>

namespace heatlink::master::storage {

namespace {

// The base information, readings, latest values, aggregates, settlement snapshots, faults,
// read jobs and the audit log. Times are seconds since the Unix epoch (UTC).
constexpr const char* kSqliteBase = R"sql(
CREATE TABLE heat_company (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE station (id INTEGER PRIMARY KEY, company_id INTEGER REFERENCES heat_company(id),
                      name TEXT NOT NULL UNIQUE);
CREATE TABLE community (id INTEGER PRIMARY KEY, station_id INTEGER NOT NULL REFERENCES station(id),
                        name TEXT NOT NULL);
CREATE TABLE building (id INTEGER PRIMARY KEY,
                       community_id INTEGER NOT NULL REFERENCES community(id), name TEXT NOT NULL);
CREATE TABLE unit (id INTEGER PRIMARY KEY, building_id INTEGER NOT NULL REFERENCES building(id),
                   name TEXT NOT NULL);
CREATE TABLE household (id INTEGER PRIMARY KEY, unit_id INTEGER REFERENCES unit(id),
                        name TEXT NOT NULL, area_m2 REAL);
CREATE TABLE customer (id INTEGER PRIMARY KEY, household_id INTEGER REFERENCES household(id),
                       name TEXT NOT NULL, phone TEXT NOT NULL DEFAULT '');
CREATE TABLE dtu (id INTEGER PRIMARY KEY, dtu_id TEXT NOT NULL UNIQUE, model TEXT NOT NULL);
CREATE TABLE concentrator (id INTEGER PRIMARY KEY,
                           station_id INTEGER NOT NULL REFERENCES station(id),
                           name TEXT NOT NULL UNIQUE, dtu_id TEXT NOT NULL DEFAULT '');
CREATE TABLE meter (id INTEGER PRIMARY KEY,
                    concentrator_id INTEGER NOT NULL REFERENCES concentrator(id),
                    channel INTEGER NOT NULL, vendor TEXT NOT NULL, model TEXT NOT NULL,
                    protocol INTEGER NOT NULL, primary_address INTEGER NOT NULL,
                    secondary_address TEXT NOT NULL,
                    household_id INTEGER REFERENCES household(id));
CREATE INDEX meter_by_concentrator ON meter (concentrator_id);
CREATE TABLE valve (id INTEGER PRIMARY KEY, meter_id INTEGER NOT NULL REFERENCES meter(id),
                    state TEXT NOT NULL DEFAULT 'unknown', changed_at INTEGER);
CREATE TABLE reading (meter_id INTEGER NOT NULL, read_at INTEGER NOT NULL,
                      received_at INTEGER NOT NULL, meter_time INTEGER,
                      energy_kwh REAL, volume_m3 REAL, power_kw REAL, flow_m3h REAL,
                      supply_c REAL, return_c REAL, delta_t_k REAL, operating_hours REAL,
                      status_bits INTEGER NOT NULL, error_bits INTEGER NOT NULL,
                      outcome INTEGER NOT NULL, raw BLOB,
                      PRIMARY KEY (meter_id, read_at)) WITHOUT ROWID;
CREATE TABLE latest_value (meter_id INTEGER PRIMARY KEY, read_at INTEGER NOT NULL,
                           received_at INTEGER NOT NULL, meter_time INTEGER,
                           energy_kwh REAL, volume_m3 REAL, power_kw REAL, flow_m3h REAL,
                           supply_c REAL, return_c REAL, delta_t_k REAL, operating_hours REAL,
                           status_bits INTEGER NOT NULL, error_bits INTEGER NOT NULL,
                           outcome INTEGER NOT NULL);
CREATE TABLE aggregate (meter_id INTEGER NOT NULL, period TEXT NOT NULL,
                        period_start INTEGER NOT NULL, energy_kwh REAL, volume_m3 REAL,
                        interpolated INTEGER NOT NULL DEFAULT 0,
                        PRIMARY KEY (meter_id, period, period_start)) WITHOUT ROWID;
CREATE TABLE settlement_snapshot (meter_id INTEGER NOT NULL, taken_at INTEGER NOT NULL,
                                  energy_kwh REAL, volume_m3 REAL,
                                  PRIMARY KEY (meter_id, taken_at)) WITHOUT ROWID;
CREATE TABLE fault_rule (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
                         field TEXT NOT NULL, op TEXT NOT NULL, threshold REAL NOT NULL,
                         persistence_s INTEGER NOT NULL, severity INTEGER NOT NULL,
                         enabled INTEGER NOT NULL DEFAULT 1);
CREATE TABLE fault_event (id INTEGER PRIMARY KEY, meter_id INTEGER NOT NULL, code TEXT NOT NULL,
                          severity INTEGER NOT NULL, raised_at INTEGER NOT NULL,
                          cleared_at INTEGER, detail TEXT NOT NULL DEFAULT '');
CREATE INDEX fault_event_open ON fault_event (meter_id, code) WHERE cleared_at IS NULL;
CREATE TABLE read_job (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, target TEXT NOT NULL,
                       requested_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER,
                       status TEXT NOT NULL DEFAULT 'queued', detail TEXT NOT NULL DEFAULT '');
CREATE TABLE audit_log (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL,
                        action TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '');
)sql";

// The same schema; readings are partitioned by month (read_at), partitions created by the
// storage as readings arrive.
constexpr const char* kPostgresqlBase = R"sql(
CREATE TABLE heat_company (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE station (id BIGSERIAL PRIMARY KEY, company_id BIGINT REFERENCES heat_company(id),
                      name TEXT NOT NULL UNIQUE);
CREATE TABLE community (id BIGSERIAL PRIMARY KEY, station_id BIGINT NOT NULL REFERENCES station(id),
                        name TEXT NOT NULL);
CREATE TABLE building (id BIGSERIAL PRIMARY KEY,
                       community_id BIGINT NOT NULL REFERENCES community(id), name TEXT NOT NULL);
CREATE TABLE unit (id BIGSERIAL PRIMARY KEY, building_id BIGINT NOT NULL REFERENCES building(id),
                   name TEXT NOT NULL);
CREATE TABLE household (id BIGSERIAL PRIMARY KEY, unit_id BIGINT REFERENCES unit(id),
                        name TEXT NOT NULL, area_m2 DOUBLE PRECISION);
CREATE TABLE customer (id BIGSERIAL PRIMARY KEY, household_id BIGINT REFERENCES household(id),
                       name TEXT NOT NULL, phone TEXT NOT NULL DEFAULT '');
CREATE TABLE dtu (id BIGSERIAL PRIMARY KEY, dtu_id TEXT NOT NULL UNIQUE, model TEXT NOT NULL);
CREATE TABLE concentrator (id BIGSERIAL PRIMARY KEY,
                           station_id BIGINT NOT NULL REFERENCES station(id),
                           name TEXT NOT NULL UNIQUE, dtu_id TEXT NOT NULL DEFAULT '');
CREATE TABLE meter (id BIGSERIAL PRIMARY KEY,
                    concentrator_id BIGINT NOT NULL REFERENCES concentrator(id),
                    channel SMALLINT NOT NULL, vendor TEXT NOT NULL, model TEXT NOT NULL,
                    protocol SMALLINT NOT NULL, primary_address SMALLINT NOT NULL,
                    secondary_address TEXT NOT NULL,
                    household_id BIGINT REFERENCES household(id));
CREATE INDEX meter_by_concentrator ON meter (concentrator_id);
CREATE TABLE valve (id BIGSERIAL PRIMARY KEY, meter_id BIGINT NOT NULL REFERENCES meter(id),
                    state TEXT NOT NULL DEFAULT 'unknown', changed_at BIGINT);
CREATE TABLE reading (meter_id BIGINT NOT NULL, read_at BIGINT NOT NULL,
                      received_at BIGINT NOT NULL, meter_time BIGINT,
                      energy_kwh DOUBLE PRECISION, volume_m3 DOUBLE PRECISION,
                      power_kw DOUBLE PRECISION, flow_m3h DOUBLE PRECISION,
                      supply_c DOUBLE PRECISION, return_c DOUBLE PRECISION,
                      delta_t_k DOUBLE PRECISION, operating_hours DOUBLE PRECISION,
                      status_bits BIGINT NOT NULL, error_bits BIGINT NOT NULL,
                      outcome SMALLINT NOT NULL, raw BYTEA,
                      PRIMARY KEY (meter_id, read_at)) PARTITION BY RANGE (read_at);
CREATE TABLE latest_value (meter_id BIGINT PRIMARY KEY, read_at BIGINT NOT NULL,
                           received_at BIGINT NOT NULL, meter_time BIGINT,
                           energy_kwh DOUBLE PRECISION, volume_m3 DOUBLE PRECISION,
                           power_kw DOUBLE PRECISION, flow_m3h DOUBLE PRECISION,
                           supply_c DOUBLE PRECISION, return_c DOUBLE PRECISION,
                           delta_t_k DOUBLE PRECISION, operating_hours DOUBLE PRECISION,
                           status_bits BIGINT NOT NULL, error_bits BIGINT NOT NULL,
                           outcome SMALLINT NOT NULL);
CREATE TABLE aggregate (meter_id BIGINT NOT NULL, period TEXT NOT NULL,
                        period_start BIGINT NOT NULL, energy_kwh DOUBLE PRECISION,
                        volume_m3 DOUBLE PRECISION, interpolated BOOLEAN NOT NULL DEFAULT FALSE,
                        PRIMARY KEY (meter_id, period, period_start));
CREATE TABLE settlement_snapshot (meter_id BIGINT NOT NULL, taken_at BIGINT NOT NULL,
                                  energy_kwh DOUBLE PRECISION, volume_m3 DOUBLE PRECISION,
                                  PRIMARY KEY (meter_id, taken_at));
CREATE TABLE fault_rule (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE,
                         field TEXT NOT NULL, op TEXT NOT NULL, threshold DOUBLE PRECISION NOT NULL,
                         persistence_s BIGINT NOT NULL, severity SMALLINT NOT NULL,
                         enabled BOOLEAN NOT NULL DEFAULT TRUE);
CREATE TABLE fault_event (id BIGSERIAL PRIMARY KEY, meter_id BIGINT NOT NULL, code TEXT NOT NULL,
                          severity SMALLINT NOT NULL, raised_at BIGINT NOT NULL,
                          cleared_at BIGINT, detail TEXT NOT NULL DEFAULT '');
CREATE INDEX fault_event_open ON fault_event (meter_id, code) WHERE cleared_at IS NULL;
CREATE TABLE read_job (id BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, target TEXT NOT NULL,
                       requested_at BIGINT NOT NULL, started_at BIGINT, finished_at BIGINT,
                       status TEXT NOT NULL DEFAULT 'queued', detail TEXT NOT NULL DEFAULT '');
CREATE TABLE audit_log (id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, actor TEXT NOT NULL,
                        action TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '');
)sql";

// Scheduling across masters (cycle claims, job claims), concentrators in communities, bus
// faults, and the roll-up of aggregates per building, community and station.
constexpr const char* kSqliteScheduling = R"sql(
ALTER TABLE concentrator ADD COLUMN community_id INTEGER REFERENCES community(id);
CREATE TABLE cycle_claim (concentrator_id INTEGER NOT NULL, slot INTEGER NOT NULL,
                          settlement INTEGER NOT NULL, master TEXT NOT NULL,
                          claimed_at INTEGER NOT NULL, finished_at INTEGER,
                          read INTEGER, failed INTEGER,
                          PRIMARY KEY (concentrator_id, slot)) WITHOUT ROWID;
ALTER TABLE read_job ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
CREATE INDEX read_job_queued ON read_job (status) WHERE status = 'queued';
ALTER TABLE fault_event ADD COLUMN concentrator_id INTEGER NOT NULL DEFAULT 0;
CREATE INDEX fault_event_by_meter ON fault_event (meter_id, raised_at);
CREATE TABLE aggregate_rollup (scope TEXT NOT NULL, scope_id INTEGER NOT NULL,
                               period TEXT NOT NULL, period_start INTEGER NOT NULL,
                               energy_kwh REAL, volume_m3 REAL, meters INTEGER NOT NULL,
                               complete INTEGER NOT NULL, interpolated INTEGER NOT NULL,
                               PRIMARY KEY (scope, scope_id, period, period_start)) WITHOUT ROWID;
)sql";

constexpr const char* kPostgresqlScheduling = R"sql(
ALTER TABLE concentrator ADD COLUMN community_id BIGINT REFERENCES community(id);
CREATE TABLE cycle_claim (concentrator_id BIGINT NOT NULL, slot BIGINT NOT NULL,
                          settlement BOOLEAN NOT NULL, master TEXT NOT NULL,
                          claimed_at BIGINT NOT NULL, finished_at BIGINT,
                          read BIGINT, failed BIGINT,
                          PRIMARY KEY (concentrator_id, slot));
ALTER TABLE read_job ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
CREATE INDEX read_job_queued ON read_job (status) WHERE status = 'queued';
ALTER TABLE fault_event ADD COLUMN concentrator_id BIGINT NOT NULL DEFAULT 0;
CREATE INDEX fault_event_by_meter ON fault_event (meter_id, raised_at);
CREATE TABLE aggregate_rollup (scope TEXT NOT NULL, scope_id BIGINT NOT NULL,
                               period TEXT NOT NULL, period_start BIGINT NOT NULL,
                               energy_kwh DOUBLE PRECISION, volume_m3 DOUBLE PRECISION,
                               meters BIGINT NOT NULL, complete BIGINT NOT NULL,
                               interpolated BOOLEAN NOT NULL,
                               PRIMARY KEY (scope, scope_id, period, period_start));
)sql";

// A meter's latest values are its reading with the newest read_at, found through the
// reading key: keeping a copy of them wrote every reading twice.
constexpr const char* kDropLatestValue = "DROP TABLE latest_value;";

// 0 transparent, 1 collect (ConcentratorMode).
constexpr const char* kConcentratorMode =
    "ALTER TABLE concentrator ADD COLUMN mode SMALLINT NOT NULL DEFAULT 0;";

// The management system: users, roles of permissions, browser sessions and API tokens,
// system parameters; meters placed in buildings (a building's own meter or a household's).
// `{id}` is the dialect's key column, `{int}` its integer, `{bytes}` its byte-order collation
// (address prefixes are searched as ranges).
constexpr const char* kManagement = R"sql(
CREATE TABLE app_user (id {id}, name TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL DEFAULT '',
                       password_hash TEXT NOT NULL, enabled {int} NOT NULL DEFAULT 1,
                       created_at {int} NOT NULL);
CREATE TABLE role (id {id}, name TEXT NOT NULL UNIQUE, description TEXT NOT NULL DEFAULT '');
CREATE TABLE role_permission (role_id {int} NOT NULL REFERENCES role(id) ON DELETE CASCADE,
                              permission TEXT NOT NULL, PRIMARY KEY (role_id, permission));
CREATE TABLE user_role (user_id {int} NOT NULL REFERENCES app_user(id) ON DELETE CASCADE,
                        role_id {int} NOT NULL REFERENCES role(id) ON DELETE CASCADE,
                        PRIMARY KEY (user_id, role_id));
CREATE TABLE api_session (token_hash TEXT PRIMARY KEY,
                          user_id {int} NOT NULL REFERENCES app_user(id) ON DELETE CASCADE,
                          csrf_token TEXT NOT NULL, created_at {int} NOT NULL,
                          expires_at {int} NOT NULL);
CREATE TABLE api_token (id {id}, user_id {int} NOT NULL REFERENCES app_user(id) ON DELETE CASCADE,
                        name TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,
                        created_at {int} NOT NULL, last_used_at {int});
CREATE TABLE system_parameter (name TEXT PRIMARY KEY, value TEXT NOT NULL);
ALTER TABLE meter ADD COLUMN building_id {int} REFERENCES building(id);
ALTER TABLE meter ADD COLUMN kind TEXT NOT NULL DEFAULT 'household';
CREATE INDEX meter_by_building ON meter (building_id);
CREATE INDEX meter_by_secondary_address ON meter (secondary_address{bytes});
CREATE INDEX community_by_station ON community (station_id);
CREATE INDEX building_by_community ON building (community_id);
CREATE INDEX concentrator_by_station ON concentrator (station_id);
CREATE INDEX concentrator_by_community ON concentrator (community_id);
CREATE INDEX audit_log_by_time ON audit_log (at);
CREATE INDEX fault_event_by_time ON fault_event (raised_at);
)sql";

// Consumption across a register's fall that no replacement explains: marked per meter, and
// counted per roll-up.
constexpr const char* kSqliteSuspect =
    "ALTER TABLE aggregate ADD COLUMN suspect INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE aggregate_rollup ADD COLUMN suspect INTEGER NOT NULL DEFAULT 0;";
constexpr const char* kPostgresqlSuspect =
    "ALTER TABLE aggregate ADD COLUMN suspect BOOLEAN NOT NULL DEFAULT FALSE;"
    "ALTER TABLE aggregate_rollup ADD COLUMN suspect BIGINT NOT NULL DEFAULT 0;";

// Meter identity (issue 20): telegrams whose identity is not their address's meter, kept aside
// until an operator files them; meter replacements (换表) with the registers at the swap; when
// each DTU last had a session on any master (dtu_offline).
// `{real}` is the dialect's floating-point column.
constexpr const char* kMeterIdentity = R"sql(
CREATE TABLE unassigned_reading (id {id}, concentrator_id {int} NOT NULL REFERENCES concentrator(id),
                                 channel {int} NOT NULL, primary_address {int} NOT NULL,
                                 identity TEXT NOT NULL, meter_id {int} REFERENCES meter(id),
                                 expected_identity TEXT NOT NULL, read_at {int} NOT NULL,
                                 received_at {int} NOT NULL, meter_time {int},
                                 energy_kwh {real}, volume_m3 {real}, power_kw {real},
                                 flow_m3h {real}, supply_c {real}, return_c {real},
                                 delta_t_k {real}, operating_hours {real},
                                 status_bits {int} NOT NULL, error_bits {int} NOT NULL,
                                 raw_hex TEXT NOT NULL DEFAULT '',
                                 status TEXT NOT NULL DEFAULT 'open', resolved_at {int},
                                 UNIQUE (concentrator_id, identity, read_at));
CREATE INDEX unassigned_reading_by_status ON unassigned_reading (status, received_at);
CREATE INDEX unassigned_reading_by_meter ON unassigned_reading (meter_id, identity);
CREATE TABLE meter_replacement (id {id}, meter_id {int} NOT NULL REFERENCES meter(id),
                                replaced_at {int} NOT NULL, old_identity TEXT NOT NULL,
                                new_identity TEXT NOT NULL, old_final_kwh {real} NOT NULL,
                                new_start_kwh {real} NOT NULL, old_final_m3 {real},
                                new_start_m3 {real}, filed_at {int} NOT NULL,
                                filed_by TEXT NOT NULL DEFAULT '');
CREATE INDEX meter_replacement_by_meter ON meter_replacement (meter_id, replaced_at);
CREATE TABLE dtu_presence (dtu_id TEXT PRIMARY KEY, last_seen_at {int} NOT NULL);
)sql";

// A slot that ended without its cycle run (the DTU away the whole slot, a cycle queued behind
// one that overran, a cycle cut off and not resumed in time) is kept as missed, not as read.
constexpr const char* kMissedSlots =
    "ALTER TABLE cycle_claim ADD COLUMN missed {int} NOT NULL DEFAULT 0;";

// API tokens end: 90 days after they were made for the tokens made before.
constexpr const char* kTokenExpiry =
    "ALTER TABLE api_token ADD COLUMN expires_at {int};\n"
    "UPDATE api_token SET expires_at = created_at + 7776000;";

// A running job says its master is alive (alive_at): another master takes over the jobs of
// one silent for longer than the job lease. A meter's jobs (its valve's last command) by index.
constexpr const char* kJobLiveness =
    "ALTER TABLE read_job ADD COLUMN alive_at {int};\n"
    "UPDATE read_job SET alive_at = started_at WHERE status = 'running';\n"
    "CREATE INDEX read_job_running ON read_job (claimed_by) WHERE status = 'running';\n"
    "CREATE INDEX read_job_target ON read_job (target, kind);";

// A migration's text in one dialect.
std::string in_dialect(const char* sql, const char* id, const char* integer, const char* bytes,
                       const char* real) {
  std::string text = sql;
  for (auto [from, to] : {std::pair{std::string("{id}"), std::string(id)},
                          std::pair{std::string("{int}"), std::string(integer)},
                          std::pair{std::string("{bytes}"), std::string(bytes)},
                          std::pair{std::string("{real}"), std::string(real)}}) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at))
      text.replace(at, from.size(), to);
  }
  return text;
}

std::string sqlite(const char* sql) {
  return in_dialect(sql, "INTEGER PRIMARY KEY", "INTEGER", "", "REAL");
}
std::string postgresql(const char* sql) {
  return in_dialect(sql, "BIGSERIAL PRIMARY KEY", "BIGINT", " COLLATE \"C\"", "DOUBLE PRECISION");
}

const std::string kSqliteManagement = sqlite(kManagement);
const std::string kPostgresqlManagement = postgresql(kManagement);
const std::string kSqliteMeterIdentity = sqlite(kMeterIdentity);
const std::string kPostgresqlMeterIdentity = postgresql(kMeterIdentity);
const std::string kSqliteMissedSlots = sqlite(kMissedSlots);
const std::string kPostgresqlMissedSlots = postgresql(kMissedSlots);
const std::string kSqliteTokenExpiry = sqlite(kTokenExpiry);
const std::string kPostgresqlTokenExpiry = postgresql(kTokenExpiry);
const std::string kSqliteJobLiveness = sqlite(kJobLiveness);
const std::string kPostgresqlJobLiveness = postgresql(kJobLiveness);

const Migration kSqlite[] = {{1, "base", kSqliteBase},
                             {2, "scheduling", kSqliteScheduling},
                             {3, "latest values from readings", kDropLatestValue},
                             {4, "concentrator mode", kConcentratorMode},
                             {5, "management", kSqliteManagement.c_str()},
                             {6, "suspect consumption", kSqliteSuspect},
                             {7, "meter identity", kSqliteMeterIdentity.c_str()},
                             {8, "missed slots", kSqliteMissedSlots.c_str()},
                             {9, "token expiry", kSqliteTokenExpiry.c_str()},
                             {10, "job liveness", kSqliteJobLiveness.c_str()}};
const Migration kPostgresql[] = {{1, "base", kPostgresqlBase},
                                 {2, "scheduling", kPostgresqlScheduling},
                                 {3, "latest values from readings", kDropLatestValue},
                                 {4, "concentrator mode", kConcentratorMode},
                                 {5, "management", kPostgresqlManagement.c_str()},
                                 {6, "suspect consumption", kPostgresqlSuspect},
                                 {7, "meter identity", kPostgresqlMeterIdentity.c_str()},
                                 {8, "missed slots", kPostgresqlMissedSlots.c_str()},
                                 {9, "token expiry", kPostgresqlTokenExpiry.c_str()},
                                 {10, "job liveness", kPostgresqlJobLiveness.c_str()}};

}  // namespace

std::span<const Migration> sqlite_migrations() {
  return kSqlite;
}

std::span<const Migration> postgresql_migrations() {
  return kPostgresql;
}

}  // namespace heatlink::master::storage
