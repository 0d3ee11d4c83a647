#include "heatlink/master/analysis/fault_monitor.h"

#include <algorithm>

namespace heatlink::master {

namespace {

constexpr const char* kNoData = "no_data";
constexpr const char* kBusFailure = "concentrator_failure_rate";
constexpr const char* kOverrun = "cycle_overrun";
constexpr const char* kIdentityMismatch = "meter_identity_mismatch";
constexpr const char* kDtuOffline = "dtu_offline";
constexpr const char* kDtuConflict = "dtu_id_conflict";
// How far back a restarted monitor looks for the reading before an unfiled reset.
constexpr EpochSeconds kResetLookback = 92 * 86400;

// The tracker's key for a concentrator's own faults: meter ids are positive.
std::int64_t concentrator_key(std::int64_t concentrator_id) {
  return -concentrator_id;
}

}  // namespace

FaultMonitor::FaultMonitor(Storage& storage, FaultMonitorOptions options)
    : storage_(storage), options_(options) {
  tracker_.set_persistence("energy_flat", options_.limits.flat_after_s);
  tracker_.set_persistence(kOverrun, options_.overrun_after_s);
  tracker_.set_sticky(kReplacementUnfiled);
}

std::optional<StorageError> FaultMonitor::load() {
  if (auto e = reload_rules()) return e;
  auto open = storage_.open_faults();
  if (auto* e = std::get_if<StorageError>(&open)) return *e;
  for (const FaultRecord& f : std::get<std::vector<FaultRecord>>(open)) {
    tracker_.restore(f.meter_id != 0 ? f.meter_id : concentrator_key(f.concentrator_id), f.code,
                     f.raised_at);
    if (f.code != kReplacementUnfiled || f.meter_id == 0) continue;
    // The reading before the fall bounds the replacement that would explain it.
    auto before = storage_.readings(f.meter_id, f.raised_at - kResetLookback, f.raised_at);
    if (auto* e = std::get_if<StorageError>(&before)) return *e;
    const auto& found = std::get<std::vector<Reading>>(before);
    EpochSeconds after = f.raised_at - kResetLookback;
    for (const Reading& r : found)
      if (r.energy_kwh && r.read_at < f.raised_at) after = r.read_at;
    unfiled_[f.meter_id] = {f.concentrator_id, after, f.raised_at};
  }
  return std::nullopt;
}

std::optional<StorageError> FaultMonitor::reload_rules() {
  auto rules = storage_.fault_rules();
  if (auto* e = std::get_if<StorageError>(&rules)) return *e;
  rules_.clear();
  for (const FaultRuleRecord& r : std::get<std::vector<FaultRuleRecord>>(rules)) {
    if (!r.enabled) continue;
    CustomRule rule{r.name,      r.field,         r.op,
                    r.threshold, r.persistence_s, static_cast<Severity>(r.severity)};
    if (!rule.problem().empty()) continue;  // refused when it was stored
    tracker_.set_persistence("custom:" + rule.name, rule.persistence_s);
    rules_.push_back(std::move(rule));
  }
  return std::nullopt;
}

std::optional<StorageError> FaultMonitor::begin_cycle(std::int64_t concentrator_id) {
  auto latest = storage_.latest_of(concentrator_id);
  if (auto* e = std::get_if<StorageError>(&latest)) return *e;
  end_cycle(concentrator_id);
  auto& meters = cycle_meters_[concentrator_id];
  for (Reading& r : std::get<std::vector<Reading>>(latest)) {
    meters.push_back(r.meter_id);
    previous_[r.meter_id] = std::move(r);
  }
  auto filed = storage_.replacements_on(concentrator_id);
  if (auto* e = std::get_if<StorageError>(&filed)) return *e;
  for (const ReplacementRecord& r : std::get<std::vector<ReplacementRecord>>(filed))
    swaps_[concentrator_id][r.meter_id].push_back(r.replaced_at);
  return std::nullopt;
}

void FaultMonitor::end_cycle(std::int64_t concentrator_id) {
  const auto it = cycle_meters_.find(concentrator_id);
  if (it == cycle_meters_.end()) return;
  for (const std::int64_t meter : it->second) previous_.erase(meter);
  cycle_meters_.erase(it);
  swaps_.erase(concentrator_id);
}

std::optional<StorageError> FaultMonitor::observe(std::int64_t concentrator_id,
                                                  std::span<const Reading> readings) {
  std::vector<FaultEvent> events;
  for (const Reading& r : readings) {
    const auto previous = previous_.find(r.meter_id);
    const Reading* before = previous == previous_.end() ? nullptr : &previous->second;
    // Across a filed replacement the two registers are two meters': nothing to compare.
    if (before != nullptr && swapped(concentrator_id, r.meter_id, before->read_at, r.read_at))
      before = nullptr;
    std::vector<Finding> findings = builtin_findings(r, before, options_.limits);
    const bool reset = std::any_of(findings.begin(), findings.end(),
                                   [](const Finding& f) { return f.code == kReplacementUnfiled; });
    if (reset && before != nullptr && unfiled_.count(r.meter_id) == 0)
      unfiled_[r.meter_id] = {concentrator_id, before->read_at, r.read_at};
    for (const CustomRule& rule : rules_) {
      if (rule.holds(r)) {
        findings.push_back({"custom:" + rule.name, rule.severity,
                            rule.field + " " + rule.op + " " + std::to_string(rule.threshold)});
      }
    }
    for (FaultEvent& e : tracker_.observe(r.meter_id, r.received_at, findings))
      events.push_back(std::move(e));
    if (previous == previous_.end()) {
      cycle_meters_[concentrator_id].push_back(r.meter_id);
      previous_[r.meter_id] = r;
    } else if (r.energy_kwh || !previous->second.energy_kwh) {
      // A register the meter sent as an error value leaves the last valid one to compare with.
      previous->second = r;
    }
  }
  return write(concentrator_id, events);
}

std::optional<std::string> FaultMonitor::implausible(std::int64_t concentrator_id,
                                                     const Reading& r) const {
  const double limit = options_.limits.implausible_power_kw;
  const auto previous = previous_.find(r.meter_id);
  if (limit <= 0 || previous == previous_.end()) return std::nullopt;
  const Reading& before = previous->second;
  if (!r.energy_kwh || !before.energy_kwh || r.read_at <= before.read_at) return std::nullopt;
  if (swapped(concentrator_id, r.meter_id, before.read_at, r.read_at)) return std::nullopt;
  const double rise = *r.energy_kwh - *before.energy_kwh;
  const auto elapsed = static_cast<double>(r.read_at - before.read_at);
  if (rise <= limit * elapsed / 3600.0) return std::nullopt;
  return "energy rose from " + std::to_string(static_cast<long long>(*before.energy_kwh)) + " to " +
         std::to_string(static_cast<long long>(*r.energy_kwh)) + " kWh in " +
         std::to_string(r.read_at - before.read_at) + " s, faster than " +
         std::to_string(static_cast<long long>(limit)) +
         " kW: not the meter's register, kept out of its readings";
}

std::optional<StorageError> FaultMonitor::observe_implausible(std::int64_t concentrator_id,
                                                              std::int64_t meter_id,
                                                              EpochSeconds at,
                                                              const std::string& why) {
  const Finding finding{"register_jump", Severity::alarm, why};
  return write(concentrator_id, tracker_.observe_code(meter_id, at, "register_jump", finding));
}

bool FaultMonitor::swapped(std::int64_t concentrator_id, std::int64_t meter_id, EpochSeconds after,
                           EpochSeconds by) const {
  const auto on = swaps_.find(concentrator_id);
  if (on == swaps_.end()) return false;
  const auto of = on->second.find(meter_id);
  if (of == on->second.end()) return false;
  return std::any_of(of->second.begin(), of->second.end(),
                     [&](EpochSeconds at) { return at > after && at <= by; });
}

std::optional<StorageError> FaultMonitor::observe_failure(std::int64_t concentrator_id,
                                                          std::int64_t meter_id, EpochSeconds at) {
  const auto previous = previous_.find(meter_id);
  std::optional<EpochSeconds> last_good;
  if (previous != previous_.end()) last_good = previous->second.received_at;
  const auto finding = no_data_finding(last_good, at, options_.no_data_after_s, 1);
  return write(concentrator_id, tracker_.observe_code(meter_id, at, kNoData, finding));
}

std::optional<StorageError> FaultMonitor::observe_mismatch(std::int64_t concentrator_id,
                                                           std::int64_t meter_id, EpochSeconds at,
                                                           const std::string& expected,
                                                           const std::string& answered) {
  const Finding finding{kIdentityMismatch, Severity::alarm,
                        expected.empty()
                            ? "answered " + answered +
                                  ": the meter's identity is not on file and its DTU ID is in "
                                  "conflict"
                            : "expected " + expected + ", answered " + answered};
  return write(concentrator_id, tracker_.observe_code(meter_id, at, kIdentityMismatch, finding));
}

std::optional<StorageError> FaultMonitor::watch(
    EpochSeconds now, const std::function<DtuPresence(const std::string&)>& presence) {
  if (watching_since_ == 0) watching_since_ = now;
  if (now < next_watch_) return std::nullopt;
  next_watch_ = now + options_.watch_every_s;

  auto concentrators = storage_.concentrators();
  if (auto* e = std::get_if<StorageError>(&concentrators)) return *e;
  std::map<std::string, std::vector<std::int64_t>> by_dtu;
  for (const ConcentratorRecord& c : std::get<std::vector<ConcentratorRecord>>(concentrators))
    if (!c.dtu_id.empty()) by_dtu[c.dtu_id].push_back(c.id);
  std::vector<std::string> here;
  std::map<std::string, std::string> conflicts;
  for (const auto& [dtu, ids] : by_dtu) {
    const DtuPresence p = presence(dtu);
    if (p.online) here.push_back(dtu);
    if (!p.conflict.empty()) conflicts[dtu] = p.conflict;
  }
  auto marked = storage_.mark_dtus_seen(here, now);
  if (auto* e = std::get_if<StorageError>(&marked)) return *e;
  auto seen = storage_.dtus_last_seen();
  if (auto* e = std::get_if<StorageError>(&seen)) return *e;
  const std::map<std::string, EpochSeconds> last_seen(
      std::get<std::vector<std::pair<std::string, EpochSeconds>>>(seen).begin(),
      std::get<std::vector<std::pair<std::string, EpochSeconds>>>(seen).end());
  for (const auto& [dtu, ids] : by_dtu) {
    const auto found = last_seen.find(dtu);
    const EpochSeconds since =
        std::max(found == last_seen.end() ? watching_since_ : found->second, watching_since_);
    std::optional<Finding> finding;
    if (now - since >= options_.dtu_offline_after_s) {
      finding = Finding{
          kDtuOffline, Severity::alarm,
          "DTU " + dtu + ": no session for " + std::to_string(now - since) + " s" +
              (found == last_seen.end() ? " (never seen)"
                                        : " (last seen at " + std::to_string(found->second) + ")")};
    }
    std::optional<Finding> conflict;
    if (const auto it = conflicts.find(dtu); it != conflicts.end())
      conflict = Finding{kDtuConflict, Severity::alarm, "DTU " + dtu + ": " + it->second};
    for (const std::int64_t c : ids) {
      if (auto e = write(c, tracker_.observe_code(concentrator_key(c), now, kDtuOffline, finding)))
        return e;
      if (auto e =
              write(c, tracker_.observe_code(concentrator_key(c), now, kDtuConflict, conflict)))
        return e;
    }
  }

  if (auto e = watch_unfiled(now)) return e;
  auto silent = storage_.meters_silent_since(now - options_.no_data_after_s + 1);
  if (auto* e = std::get_if<StorageError>(&silent)) return *e;
  for (const MeterSilence& m : std::get<std::vector<MeterSilence>>(silent)) {
    if (tracker_.active(m.meter_id, kNoData)) continue;
    const EpochSeconds last = std::max(m.last_read_at.value_or(watching_since_), watching_since_);
    if (now - last < options_.no_data_after_s) continue;
    const Finding finding{
        kNoData, Severity::warning,
        m.last_read_at ? "no reading for " + std::to_string(now - last) + " s" : "never read"};
    if (auto e = write(m.concentrator_id, tracker_.observe_code(m.meter_id, now, kNoData, finding)))
      return e;
  }
  return std::nullopt;
}

std::optional<StorageError> FaultMonitor::watch_unfiled(EpochSeconds now) {
  std::map<std::int64_t, std::vector<std::int64_t>> by_concentrator;
  for (const auto& [meter, reset] : unfiled_)
    by_concentrator[reset.concentrator_id].push_back(meter);
  for (const auto& [concentrator, meters] : by_concentrator) {
    auto filed = storage_.replacements_on(concentrator);
    if (auto* e = std::get_if<StorageError>(&filed)) return *e;
    for (const std::int64_t meter : meters) {
      const UnfiledReset& reset = unfiled_.at(meter);
      const auto& all = std::get<std::vector<ReplacementRecord>>(filed);
      if (std::none_of(all.begin(), all.end(), [&](const ReplacementRecord& r) {
            return r.meter_id == meter && r.replaced_at > reset.after && r.replaced_at <= reset.by;
          }))
        continue;
      unfiled_.erase(meter);
      if (auto e = write(concentrator,
                         tracker_.observe_code(meter, now, kReplacementUnfiled, std::nullopt)))
        return e;
    }
  }
  return std::nullopt;
}

std::optional<StorageError> FaultMonitor::observe_cycle(std::int64_t concentrator_id,
                                                        EpochSeconds at, std::size_t attempts,
                                                        std::size_t failures) {
  const auto finding = concentrator_finding(attempts, failures, options_.bus_failure_rate);
  return write(concentrator_id,
               tracker_.observe_code(concentrator_key(concentrator_id), at, kBusFailure, finding));
}

std::optional<StorageError> FaultMonitor::observe_overrun(std::int64_t concentrator_id,
                                                          EpochSeconds at, EpochSeconds overrun_s) {
  std::optional<Finding> finding;
  if (overrun_s > 0) {
    finding = Finding{kOverrun, Severity::warning,
                      "the cycle overran its slot by " + std::to_string(overrun_s) + " s"};
  }
  return write(concentrator_id,
               tracker_.observe_code(concentrator_key(concentrator_id), at, kOverrun, finding));
}

std::optional<StorageError> FaultMonitor::write(std::int64_t concentrator_id,
                                                const std::vector<FaultEvent>& events) {
  if (events.empty()) return std::nullopt;
  std::vector<FaultRecord> records;
  for (const FaultEvent& e : events) {
    FaultRecord f;
    f.meter_id = e.meter_id > 0 ? e.meter_id : 0;
    f.concentrator_id = concentrator_id;
    f.code = e.code;
    f.severity = static_cast<std::uint8_t>(e.severity);
    f.raised_at = e.at;
    if (!e.raised) f.cleared_at = e.at;
    f.detail = e.detail;
    records.push_back(std::move(f));
  }
  auto done = storage_.record_faults(records);
  if (auto* e = std::get_if<StorageError>(&done)) return *e;
  return std::nullopt;
}

}  // namespace heatlink::master
