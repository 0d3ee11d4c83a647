#include "run_observer.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "heatlink/protocol/cjt188.h"
#include "heatlink/protocol/mbus_frame.h"
#include "heatlink/protocol/mbus_telegram.h"

namespace heatlink::harness {

namespace {

using Json = nlohmann::ordered_json;

double seconds_of(sim::Micros t) {
  return static_cast<double>(t) / 1e6;
}

std::string decimal_id(std::uint32_t bcd) {
  char text[16];
  std::snprintf(text, sizeof text, "%08x", bcd);
  return text;
}

double resolution_kwh(sim::EnergyUnit unit) {
  switch (unit) {
    case sim::EnergyUnit::kwh:
      return 1.0;
    case sim::EnergyUnit::mwh:
      return 100.0;  // shown with two decimals of MWh at most on the vendors' layouts
    case sim::EnergyUnit::gj:
      return 27.8;  // 0.1 GJ
  }
  return 1.0;
}

// A progress line; text from the scenario may be any bytes (invalid UTF-8 becomes U+FFFD).
std::string line_of(const Json& event) {
  return event.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Checks whose result depends on the moment they are taken, not on the stored history.
bool timed(CheckKind kind) {
  return kind == CheckKind::valve_state || kind == CheckKind::open_faults;
}

}  // namespace

RunObserver::RunObserver(const Scenario& scenario, sim::District& district, sim::Trace& trace,
                         std::ostream* out, std::string url)
    : scenario_(scenario), district_(district), out_(out), url_(std::move(url)) {
  const sim::CivilTime& s = scenario.topology.start;
  const std::int64_t local = sim::days_from_civil(s.year, s.month, s.day) * 86400 + s.hour * 3600 +
                             s.minute * 60 + s.second;
  record_.epoch0 = local - scenario.master.reading.meter_utc_offset_s;
  record_.has_midnights = true;
  record_.schedules = scenario.master.dispatcher.schedules;
  record_.utc_offset_s = scenario.master.dispatcher.utc_offset_s;
  record_.valve_open = [this](std::size_t i) -> std::optional<bool> {
    sim::SimulatedMeter& m = district_.meter(i);
    if (m.kind() != sim::MeterKind::cjt188_heat) return std::nullopt;
    return m.model_now().valve_open(district_.queue().now());
  };
  index_identities();
  for (const Check& c : scenario.expectations.checks) {
    if (c.kind == CheckKind::settlement_matches || c.kind == CheckKind::consumption)
      sample_midnights_ = true;
  }
  for (const TimelineEntry& e : scenario.timeline) {
    if (e.trigger.when == EventKind::fault_raised) watch_faults_ = true;
  }
  for (const auto& station : scenario.topology.stations) {
    for (const auto& c : station.concentrators) record_.station_of[c.config.name] = station.name;
  }
  for (std::size_t i = 0; i < scenario.expectations.checks.size(); ++i) {
    const Check& c = scenario.expectations.checks[i];
    if (timed(c.kind) && c.to && *c.to < scenario.meta.duration) timed_.push_back(i);
  }
  trace.add_listener([this](sim::Micros when, std::string_view source, std::string_view kind,
                            protocol::Bytes bytes) { on_trace(when, source, kind, bytes); });
}

std::string RunObserver::index_meters(master::Storage& storage) {
  const auto concentrators = storage.concentrators();
  if (const auto* e = std::get_if<master::StorageError>(&concentrators)) return e->message;
  // The base information lists the meters in the district's order (sim/base_information.h).
  for (const auto& c : std::get<std::vector<master::ConcentratorRecord>>(concentrators)) {
    record_.concentrator_ids[c.name] = c.id;
    record_.dtu_of[c.name] = c.dtu_id;
    const auto meters = storage.meters_of(c.id);
    if (const auto* e = std::get_if<master::StorageError>(&meters)) return e->message;
    for (const auto& m : std::get<std::vector<master::MeterRecord>>(meters)) {
      database_id_.push_back(m.id);
      record_.concentrator_meters[c.name].push_back(m.id);
    }
  }
  if (database_id_.size() != district_.meter_count()) {
    return "the database holds " + std::to_string(database_id_.size()) + " meters, the district " +
           std::to_string(district_.meter_count());
  }
  for (std::size_t i = 0; i < district_.meter_count(); ++i) {
    const sim::SimulatedMeter& m = district_.meter(i);
    // A meter is named by its ID; one whose ID another meter already has (another maker's)
    // by its ID and maker, "50000141/HYD", so that every meter is checked as itself.
    std::string name = decimal_id(m.identity().id);
    if (record_.meters.count(name) > 0)
      name += "/" +
              std::string(
                  protocol::mbus::manufacturer_letters(m.identity().manufacturer(m.kind())).data());
    record_.meters[name] = MeterRef{database_id_[i], i, resolution_kwh(m.identity().energy_unit)};
  }
  return {};
}

DistrictIndex RunObserver::district_index() const {
  DistrictIndex index;
  for (std::size_t i = 0; i < district_.concentrator_count(); ++i)
    index.concentrators[district_.concentrator(i).config().name] = i;
  // The simulator makes the DTUs in the topology's order, whether it runs here or as the live
  // run's `heatlink sim --server` (whose control API numbers them so); a district made
  // without a server has none of its own.
  std::size_t dtus = 0;
  for (const auto& station : scenario_.topology.stations) {
    for (const auto& c : station.concentrators) {
      if (!c.community.empty()) index.communities[c.community].push_back(index.dtu_of.size());
      index.dtu_of.emplace_back();
      if (!c.dtu) continue;
      index.dtu_of.back() = dtus;
      index.dtus.emplace(c.dtu->config.profile.id, dtus++);
    }
  }
  for (const auto& [name, ref] : record_.meters) {
    index.meters[name] = ref.index;
    index.meter_ids[name] = ref.id;
  }
  return index;
}

void RunObserver::set_timeline(Timeline* timeline) {
  timeline_ = timeline;
  plan_ = plan_checks(scenario_, timeline->first_fault(), timeline->heal_at());
  if (!progress_) return;
  Json checks = Json::array();
  for (std::size_t k = 0; k < plan_.size(); ++k) {
    const PlannedCheck& p = plan_[k];
    checks.push_back(Json{{"index", k},
                          {"name", p.check->name},
                          {"check", check_name(p.check->kind)},
                          {"phase", p.phase},
                          {"from_s", p.from},
                          {"to_s", p.to},
                          {"line", p.check->line}});
  }
  Json dtus = Json::array();
  for (std::size_t i = 0; i < district_.dtu_count(); ++i)
    dtus.push_back(district_.dtu(i).config().profile.id);
  Json concentrators = Json::array();
  for (const auto& station : scenario_.topology.stations) {
    for (const auto& c : station.concentrators) {
      concentrators.push_back(Json{{"name", c.config.name},
                                   {"station", station.name},
                                   {"dtu", c.dtu ? c.dtu->config.profile.id : ""}});
    }
  }
  emit(line_of(
      Json{{"event", "plan"},
           {"scenario", scenario_.meta.id},
           {"title", scenario_.meta.title},
           {"file", scenario_.file},
           {"duration_s", scenario_.meta.duration},
           {"first_fault_s", timeline->first_fault() ? Json(*timeline->first_fault()) : Json()},
           {"heal_at_s", timeline->heal_at()},
           {"checks", checks},
           {"dtus", dtus},
           {"concentrators", concentrators}}));
}

void RunObserver::announce_control(const std::string& url) {
  emit(line_of(Json{{"event", "control"}, {"url", url}}));
}

master::Storage* RunObserver::storage() {
  if (!storage_) {
    auto opened = master::open_storage(url_);
    if (std::holds_alternative<master::StorageError>(opened)) return nullptr;
    storage_ = std::move(std::get<0>(opened));
  }
  return storage_.get();
}

void RunObserver::close_windows(Seconds t) {
  if (!progress_ || t >= scenario_.meta.duration) return;  // the end's are taken by the report
  for (std::size_t k = 0; k < plan_.size(); ++k) {
    const PlannedCheck& p = plan_[k];
    if (p.to != t) continue;
    if (p.index) {
      if (const auto it = timed_results_.find(*p.index); it != timed_results_.end()) {
        report_check(k, it->second, true);
        continue;
      }
    }
    master::Storage* db = storage();
    if (db == nullptr) return;
    if (timeline_ != nullptr) {
      record_.jobs = timeline_->jobs();
    }
    report_check(k, evaluate_planned(p, record_, *db), false);
  }
}

void RunObserver::report_check(std::size_t planned, const CheckResult& r, bool final) {
  emit(line_of(Json{{"event", "check"},
                    {"index", planned},
                    {"passed", r.passed},
                    {"skipped", r.skipped},
                    {"message", r.message},
                    {"final", final}}));
}

void RunObserver::note(Seconds t, const std::string& kind, const std::string& text) {
  if (progress_ && kind != "cycle")
    emit(line_of(Json{{"event", "note"}, {"t", t}, {"kind", kind}, {"text", text}}));
  if (out_ == nullptr) return;
  *out_ << Json{{"t", static_cast<double>(t)},
                {"source", "harness"},
                {"kind", kind},
                {"text", text}}
               .dump()
        << '\n';
}

void RunObserver::on_trace(sim::Micros when, std::string_view source, std::string_view kind,
                           protocol::Bytes bytes) {
  if (kind == "reply") sample_truth(when, bytes);
  if (out_ == nullptr) return;
  Json line{{"t", seconds_of(when)}, {"source", source}, {"kind", kind}};
  if (!bytes.empty()) line["hex"] = protocol::to_hex(bytes);
  *out_ << line.dump() << '\n';
}

// Each meter's identity now; a meter replaced (换表) in the run answers with its new one, and
// the identities it had before stay known.
void RunObserver::index_identities() {
  for (std::size_t i = 0; i < district_.meter_count(); ++i) {
    const sim::MeterIdentity& id = district_.meter(i).identity();
    const sim::MeterKind kind = district_.meter(i).kind();
    by_identity_[std::uint64_t{id.medium(kind)} << 56 | std::uint64_t{id.version(kind)} << 48 |
                 std::uint64_t{id.manufacturer(kind)} << 32 | id.id] = i;
    by_cjt188_address_[id.cjt188_address().to_string()] = i;
  }
}

void RunObserver::sample_truth(sim::Micros when, protocol::Bytes reply) {
  std::optional<std::size_t> index;
  if (const auto frame = protocol::mbus::decode_frame(reply); frame.ok()) {
    const protocol::mbus::Frame& f = frame.value();
    if (f.type == protocol::mbus::FrameType::long_frame && f.data.size() >= 8) {
      // The RSP_UD header's whole identity, ID (BCD), manufacturer, version and medium, all
      // little-endian: two meters sharing an ID are told apart by the rest.
      std::uint64_t identity = 0;
      for (int k = 7; k >= 0; --k) identity = (identity << 8) | f.data[static_cast<std::size_t>(k)];
      auto it = by_identity_.find(identity);
      if (it == by_identity_.end()) {  // a meter replaced since?
        index_identities();
        it = by_identity_.find(identity);
      }
      if (it != by_identity_.end()) index = it->second;
    }
  } else if (const auto cjt = protocol::cjt188::decode_frame(reply); cjt.ok()) {
    const std::string address = cjt.value().address.to_string();
    if (by_cjt188_address_.count(address) == 0) index_identities();
    const auto it = by_cjt188_address_.find(address);
    if (it != by_cjt188_address_.end()) index = it->second;
  }
  if (!index || *index >= database_id_.size()) return;
  const double energy = district_.meter(*index).model_now().state().energy_kwh;
  record_.truth[database_id_[*index]].push_back(
      TruthSample{record_.epoch0 + when / 1'000'000, energy});
}

void RunObserver::on_cycle(const master::CycleStats& s, Seconds t) {
  CycleRecord c;
  c.concentrator = s.concentrator;
  c.job = s.job;
  c.slot = s.slot;
  c.started_at = s.started_at;
  c.finished_at = s.finished_at;
  c.meters = s.meters;
  c.skipped = s.skipped;
  c.read = s.read;
  c.failed = s.failed;
  c.late = s.late;
  c.missed = s.missed;
  c.overrun_s = s.overrun_s;
  for (const auto& [channel, seg] : s.segments) c.channels[channel] = {seg.meters, seg.read};
  record_.cycles.push_back(c);
  emit(line_of(Json{{"event", "cycle"},
                    {"t", t},
                    {"concentrator", s.concentrator},
                    {"job", s.job},
                    {"meters", s.meters},
                    {"read", s.read},
                    {"failed", s.failed},
                    {"error", s.error}}));
  note(t, "cycle",
       s.concentrator + " slot " + std::to_string(s.slot - record_.epoch0) +
           " s: " + (s.missed ? "missed, " : "") + std::to_string(s.read) + "/" +
           std::to_string(s.meters) + " read, " + std::to_string(s.failed) + " failed" +
           (s.error.empty() ? "" : ", " + s.error));
  if ((s.failed > 0 || !s.error.empty()) && timeline_ != nullptr)
    timeline_->observe(EventKind::cycle_failed, s.concentrator, t);
}

void RunObserver::on_dtu(Seconds t, const std::string& dtu, bool online,
                         const std::string& detail) {
  const master::EpochSeconds now = record_.epoch(t);
  auto& [was_online, registrations] = dtus_[dtu];
  if (online) ++registrations;
  if (online || was_online)
    record_.transitions.push_back({now, dtu, online, registrations, online ? "" : detail});
  was_online = online;
  note(t, online ? "dtu_online" : "dtu_offline", dtu + ": " + detail);
  if (timeline_ != nullptr)
    timeline_->observe(online ? EventKind::dtu_online : EventKind::dtu_offline, dtu, t);
}

void RunObserver::live(std::function<std::optional<bool>(std::size_t index)> valve_open) {
  // The truth comes from the simulator's answers (answers()).
  record_.valve_open = std::move(valve_open);
}

void RunObserver::midnight(master::EpochSeconds at,
                           const std::vector<std::pair<double, double>>& by_index) {
  auto& registers = record_.registers_at[at];
  auto& used = record_.used_at[at];
  for (std::size_t i = 0; i < by_index.size() && i < database_id_.size(); ++i) {
    registers[database_id_[i]] = by_index[i].first;
    used[database_id_[i]] = by_index[i].second;
  }
}

void RunObserver::answers(std::size_t index,
                          const std::vector<std::pair<double, double>>& answers) {
  if (index >= database_id_.size()) return;
  auto& truth = record_.truth[database_id_[index]];
  for (const auto& [t, energy] : answers) {
    const auto at = record_.epoch0 + static_cast<master::EpochSeconds>(t);
    if (!truth.empty() && at <= truth.back().at && energy == truth.back().energy_kwh) continue;
    if (!truth.empty() && at < truth.back().at) continue;
    truth.push_back(TruthSample{at, energy});
  }
}

void RunObserver::after_second(Seconds t, const master::DtuRegistry& registry) {
  const master::EpochSeconds now = record_.epoch(t);
  for (std::size_t i = 0; i < district_.dtu_count(); ++i) {
    const std::string& id = district_.dtu(i).config().profile.id;
    const auto state = registry.state(id);
    const bool online = state && state->online;
    const std::uint64_t registrations = state ? state->registrations : 0;
    auto& [was_online, was_registrations] = dtus_[id];
    for (std::uint64_t k = was_registrations; k < registrations; ++k) {
      record_.transitions.push_back({now, id, true, k + 1, {}});
      note(t, "dtu_online", id + " registered from " + state->remote);
      if (timeline_ != nullptr) timeline_->observe(EventKind::dtu_online, id, t);
    }
    if (was_online && !online) {
      record_.transitions.push_back({now, id, false, registrations, state->last_drop});
      note(t, "dtu_offline", id + ": " + state->last_drop);
      if (timeline_ != nullptr) timeline_->observe(EventKind::dtu_offline, id, t);
    }
    was_online = online;
    was_registrations = registrations;
  }
  const bool midnight = (now + scenario_.master.reading.meter_utc_offset_s) % 86400 == 0;
  if (sample_midnights_ && midnight) {
    auto& at = record_.registers_at[now];
    auto& used = record_.used_at[now];
    for (std::size_t i = 0; i < district_.meter_count() && i < database_id_.size(); ++i) {
      const sim::MeterState& state = district_.meter(i).model_now().state();
      at[database_id_[i]] = state.energy_kwh;
      used[database_id_[i]] = state.used_kwh;
    }
  }
  watch(t);
}

// What the run looks at in the master's database as second `t` ends: new faults (for `when`
// entries) every minute, and the checks taken at their time.
void RunObserver::watch(Seconds t) {
  const bool want_faults = watch_faults_ && t % 60 == 0;
  bool want_checks = false;
  for (const std::size_t i : timed_) want_checks |= *scenario_.expectations.checks[i].to == t;
  if (!want_faults && !want_checks) return;
  if (this->storage() == nullptr) return;
  master::Storage& storage = *storage_;
  if (want_faults) {
    if (const auto open = storage.open_faults();
        !std::holds_alternative<master::StorageError>(open)) {
      for (const auto& f : std::get<std::vector<master::FaultRecord>>(open)) {
        if (!faults_seen_.insert(f.id).second) continue;
        if (timeline_ != nullptr) timeline_->observe(EventKind::fault_raised, f.code, t);
      }
    }
  }
  if (timeline_ != nullptr) record_.jobs = timeline_->jobs();
  for (const std::size_t i : timed_) {
    const Check& c = scenario_.expectations.checks[i];
    if (*c.to == t) timed_results_[i] = evaluate(c, c.from, t, record_, storage);
  }
}

void RunObserver::write_result(const CheckResult& r) {
  if (out_ == nullptr) return;
  *out_ << Json{{"t", static_cast<double>(r.window_to)},
                {"source", "harness"},
                {"kind", "check"},
                {"name", r.name},
                {"check", r.check},
                {"phase", r.phase},
                {"passed", r.passed},
                {"text", r.message}}
               .dump()
        << '\n';
}

void RunObserver::evaluate_all(master::Storage& storage, const Timeline& timeline,
                               RunReport& report) {
  record_.jobs = timeline.jobs();
  if (plan_.empty()) plan_ = plan_checks(scenario_, timeline.first_fault(), timeline.heal_at());
  report.results = evaluate_expectations(plan_, record_, storage, timed_results_);
  for (std::size_t k = 0; k < report.results.size(); ++k) {
    write_result(report.results[k]);
    report_check(k, report.results[k], true);
  }
}

}  // namespace heatlink::harness
