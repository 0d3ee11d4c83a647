// The checks of a scenario's expectations, over what the run recorded and what the master
// stored. Each measures one number and holds it against the check's bounds, or counts
// violations; the message says what was measured and the first offender.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "check_support.h"

namespace heatlink::harness {

bool cycle_in_scope(const Check& c, const CycleRecord& cycle, const RunRecord& record) {
  if (!c.station.empty()) {
    const auto it = record.station_of.find(cycle.concentrator);
    if (it == record.station_of.end() || it->second != c.station) return false;
  }
  if (!c.dtu.empty()) {
    const auto it = record.dtu_of.find(cycle.concentrator);
    if (it == record.dtu_of.end() || it->second != c.dtu) return false;
  }
  return c.concentrator.empty() || cycle.concentrator == c.concentrator;
}

namespace {

// The meters a check is about: one, or all.
Meters meters_of(const Check& c, const RunRecord& record, std::string& unknown) {
  std::vector<std::pair<std::string, MeterRef>> out;
  if (!c.meter.empty()) {
    const auto it = record.meters.find(c.meter);
    if (it == record.meters.end()) {
      unknown = "no meter '" + c.meter + "' in the topology";
      return {};
    }
    out.emplace_back(*it);
    return out;
  }
  out.assign(record.meters.begin(), record.meters.end());
  return out;
}

std::string name_of_meter(const RunRecord& record, std::int64_t id) {
  for (const auto& [name, ref] : record.meters) {
    if (ref.id == id) return name;
  }
  return "#" + std::to_string(id);
}

// Meters read per slot of the schedule (read jobs aside), over the slots begun in the window.
CheckResult read_success_rate(const Check& c, CheckResult r, const Window& w,
                              const RunRecord& record, master::Storage& /*storage*/,
                              const Meters& /*meters*/) {
  // Per slot: a cycle cut off (a lost line) is resumed in the same slot and reads only
  // the meters still missing, so a slot's meters are the first cycle's, read by any.
  std::map<std::pair<std::string, EpochSeconds>, std::pair<std::size_t, std::size_t>> slots;
  for (const CycleRecord& cycle : record.cycles) {
    if (cycle.job != 0 || !w.contains(cycle.slot) || !cycle_in_scope(c, cycle, record)) continue;
    // A reading taken after the slot ended is the next slot's; a missed slot read nothing.
    std::size_t wanted = cycle.meters + cycle.skipped, read = cycle.read - cycle.late;
    if (c.channel) {
      const auto ch = cycle.channels.find(static_cast<std::uint8_t>(*c.channel - 1));
      wanted = ch == cycle.channels.end() ? 0 : ch->second.first;
      read = ch == cycle.channels.end() ? 0 : ch->second.second;
    }
    // Meters skipped were read in the slot already (by a cycle that ran into it).
    if (!c.channel) read += cycle.skipped;
    const auto [it, first] = slots.try_emplace({cycle.concentrator, cycle.slot}, wanted, 0);
    if (!first) read -= c.channel ? 0 : cycle.skipped;  // counted with the first cycle
    if (!first && c.channel) it->second.first = std::max(it->second.first, wanted);
    it->second.second += read;
  }
  // Slots owed with no cycle at all count as read by none (a channel's share is unknown).
  if (!c.channel) {
    for (const SlotAccount& a : account_slots(c, record, w)) {
      if (a.unreported) slots[{a.concentrator, a.slot}] = {a.meters, 0};
    }
  }
  if (slots.empty()) {
    r.message = "no cycle of the scope began in the window";
    return r;
  }
  std::size_t wanted = 0, read = 0;
  for (const auto& [key, counts] : slots) {
    wanted += counts.first;
    read += std::min(counts.second, counts.first);
  }
  const double rate = wanted == 0 ? 1.0 : static_cast<double>(read) / static_cast<double>(wanted);
  return bounded(r, c, rate, 1.0, std::nullopt,
                 "read success rate over " + std::to_string(slots.size()) + " slots (" +
                     std::to_string(read) + " of " + std::to_string(wanted) + " meters)");
}

// Failed meter reads in the cycles begun in the window.
CheckResult failed_reads(const Check& c, CheckResult r, const Window& w, const RunRecord& record,
                         master::Storage& /*storage*/, const Meters& /*meters*/) {
  double failed_reads = 0;
  for (const CycleRecord& cycle : record.cycles) {
    if (w.contains(cycle.slot) && cycle_in_scope(c, cycle, record))
      failed_reads += static_cast<double>(cycle.failed);
  }
  return bounded(r, c, failed_reads, 1.0, std::nullopt, "failed meter reads");
}

// The readings received in the window: how many, read twice in a slot, or differing from what
// the meter held when it answered.
CheckResult stored_readings_checks(const Check& c, CheckResult r, const Window& w,
                                   const RunRecord& record, master::Storage& storage,
                                   const Meters& meters) {
  // Manual reads may read a meter twice in a slot; their readings are not duplicates.
  std::vector<Window> manual;
  if (c.kind == CheckKind::no_duplicates) {
    for (const auto& [name, id] : record.jobs) {
      const auto job = storage.read_job(id);
      if (failed(r, job)) return r;
      if (const auto& j = std::get<std::optional<master::ReadJob>>(job); j && j->started_at)
        manual.push_back({*j->started_at, j->finished_at.value_or(w.to)});
    }
  }
  std::size_t stored = 0, duplicates = 0, unmatched = 0, mismatched = 0, compared = 0;
  std::string first;
  for (const auto& [name, ref] : meters) {
    const auto readings = storage.readings(ref.id, w.from - 86400, w.to + 86400);
    if (failed(r, readings)) return r;
    std::set<EpochSeconds> slots;
    for (const master::Reading& reading : std::get<std::vector<master::Reading>>(readings)) {
      if (!w.contains(reading.received_at)) continue;
      ++stored;
      if (c.kind == CheckKind::no_duplicates) {
        const bool by_hand = std::any_of(manual.begin(), manual.end(), [&](const Window& m) {
          return m.contains(reading.received_at);
        });
        // A slot is the cycle that read the meter: the latest cycle begun before it.
        EpochSeconds slot = 0;
        for (const CycleRecord& cycle : record.cycles) {
          if (!cycle.missed && cycle.slot <= reading.received_at &&
              cycle.finished_at >= reading.received_at)
            slot = std::max(slot, cycle.slot);
        }
        if (!by_hand && slot != 0 && !slots.insert(slot).second) {
          ++duplicates;
          if (first.empty())
            first = "meter " + name + " read twice in the slot at " + std::to_string(slot);
        }
      }
      if (c.kind == CheckKind::ground_truth && reading.energy_kwh) {
        const auto truth = record.truth.find(ref.id);
        const double limit = ref.resolution_kwh + c.tolerance_kwh + 0.01;
        // The register must be one the meter sent in the ten minutes before it was received:
        // the latest such answer, or - a retried request taking the late answer to its first
        // attempt, stamped when it came - an earlier one. A number no answer holds fails.
        const TruthSample* sample = nullptr;
        if (truth != record.truth.end()) {
          for (const TruthSample& s : truth->second) {
            if (s.at > reading.received_at || reading.received_at - s.at > 600) continue;
            const bool held = std::fabs(*reading.energy_kwh - s.energy_kwh) <= limit;
            if (sample == nullptr || held ||
                std::fabs(*reading.energy_kwh - sample->energy_kwh) > limit)
              sample = &s;
            if (held) break;
          }
        }
        ++compared;
        if (sample == nullptr) {
          ++unmatched;
          if (first.empty())
            first = "meter " + name + ": a reading received at " +
                    std::to_string(reading.received_at - record.epoch0) +
                    " s that no answer of the meter explains";
          continue;
        }
        if (std::fabs(*reading.energy_kwh - sample->energy_kwh) > limit) {
          ++mismatched;
          if (first.empty())
            first = "meter " + name + ": stored " + number(*reading.energy_kwh) +
                    " kWh, the meter held " + number(sample->energy_kwh) + " kWh at " +
                    std::to_string(sample->at - record.epoch0) + " s";
        }
      }
    }
  }
  if (c.kind == CheckKind::stored_readings)
    return bounded(r, c, static_cast<double>(stored), 1.0, std::nullopt, "readings stored");
  if (c.kind == CheckKind::no_duplicates) {
    r = bounded(r, c, static_cast<double>(duplicates), 0.0, 0.0,
                "readings stored twice for one meter and slot (of " + std::to_string(stored) + ")");
  } else {
    r = bounded(r, c, static_cast<double>(unmatched + mismatched), 0.0, 0.0,
                "readings differing from the meters' registers (" + std::to_string(compared) +
                    " compared, " + std::to_string(unmatched) + " unexplained)");
    if (compared == 0) {
      r.passed = false;
      r.message += "; no reading to compare";
    }
  }
  if (!first.empty()) r.message += "; first: " + first;
  return r;
}

// Meters a cycle read whose reading is not stored.
CheckResult lost_readings(const Check& c, CheckResult r, const Window& w, const RunRecord& record,
                          master::Storage& storage, const Meters& /*meters*/) {
  // A cycle's readings carry received_at within the cycle; each meter it read has one.
  std::size_t lost = 0, read = 0;
  std::string first;
  for (const CycleRecord& cycle : record.cycles) {
    if (!w.contains(cycle.slot) || !cycle_in_scope(c, cycle, record)) continue;
    read += cycle.read;
    std::size_t found = 0;
    const auto ids = record.concentrator_meters.find(cycle.concentrator);
    if (ids == record.concentrator_meters.end()) continue;
    for (const std::int64_t id : ids->second) {
      const auto readings =
          storage.readings(id, cycle.started_at - 86400, cycle.finished_at + 86400);
      if (failed(r, readings)) return r;
      const auto& list = std::get<std::vector<master::Reading>>(readings);
      found += std::any_of(list.begin(), list.end(), [&](const master::Reading& x) {
        return x.received_at >= cycle.started_at && x.received_at <= cycle.finished_at;
      });
    }
    if (found < cycle.read) {
      lost += cycle.read - found;
      if (first.empty())
        first = "the cycle of " + cycle.concentrator + " at " +
                std::to_string(cycle.slot - record.epoch0) + " s read " +
                std::to_string(cycle.read) + " meters, " + std::to_string(found) + " stored";
    }
  }
  r = bounded(r, c, static_cast<double>(lost), 0.0, 0.0,
              "meters read but not stored (of " + std::to_string(read) + ")");
  if (!first.empty()) r.message += "; first: " + first;
  return r;
}

// Fault events raised, cleared or open in the window.
CheckResult fault_events(const Check& c, CheckResult r, const Window& w, const RunRecord& record,
                         master::Storage& storage, const Meters& meters) {
  std::vector<master::FaultRecord> events;
  if (c.kind == CheckKind::open_faults) {
    const auto open = storage.open_faults();
    if (failed(r, open)) return r;
    events = std::get<std::vector<master::FaultRecord>>(open);
  } else {
    std::vector<std::int64_t> ids;
    for (const auto& [name, ref] : meters) ids.push_back(ref.id);
    if (c.meter.empty()) ids.push_back(0);  // the concentrators' bus faults
    for (const std::int64_t id : ids) {
      const auto of = storage.faults_of(id);
      if (failed(r, of)) return r;
      for (const auto& f : std::get<std::vector<master::FaultRecord>>(of)) events.push_back(f);
    }
  }
  // The scope: one meter; or the meters and the concentrators of a station, concentrator or
  // DTU (their concentrator-wide faults too); or everything.
  std::set<std::int64_t> meter_ids, concentrators;
  for (const auto& [name, ref] : meters) meter_ids.insert(ref.id);
  const bool scoped = !c.station.empty() || !c.concentrator.empty() || !c.dtu.empty();
  for (const auto& [name, id] : record.concentrator_ids)
    if (concentrator_in_scope(c, name, record)) concentrators.insert(id);
  const auto in_scope = [&](const master::FaultRecord& f) {
    if (!c.meter.empty()) return meter_ids.count(f.meter_id) > 0;
    return !scoped || concentrators.count(f.concentrator_id) > 0;
  };
  std::size_t n = 0;
  std::string first;
  for (const master::FaultRecord& f : events) {
    if (!in_scope(f) || (!c.code.empty() && f.code != c.code)) continue;
    if (c.kind == CheckKind::fault_cleared) {
      if (!f.cleared_at || !w.contains(*f.cleared_at)) continue;
    } else if (c.kind != CheckKind::open_faults && !w.contains(f.raised_at)) {
      continue;
    }
    ++n;
    if (first.empty())
      first = f.code + " on " +
              (f.meter_id == 0 ? "a bus" : "meter " + name_of_meter(record, f.meter_id)) + " at " +
              std::to_string(f.raised_at - record.epoch0) + " s (" + f.detail + ")";
  }
  const std::string what =
      c.code.empty() ? std::string("fault events") : "'" + c.code + "' fault events";
  if (c.kind == CheckKind::fault_not_raised)
    r = bounded(r, c, static_cast<double>(n), 0.0, 0.0, what + " raised");
  else if (c.kind == CheckKind::fault_cleared)
    r = bounded(r, c, static_cast<double>(n), 1.0, std::nullopt, what + " cleared");
  else if (c.kind == CheckKind::open_faults)
    r = bounded(r, c, static_cast<double>(n), 0.0, 0.0, "open " + what);
  else
    r = bounded(r, c, static_cast<double>(n), 1.0, std::nullopt, what + " raised");
  if (!first.empty()) r.message += "; first: " + first;
  return r;
}

// The gateway's view of a DTU: sessions registered, or times it went offline.
CheckResult dtu_sessions(const Check& c, CheckResult r, const Window& w, const RunRecord& record,
                         master::Storage& /*storage*/, const Meters& /*meters*/) {
  std::size_t n = 0;
  std::string reasons;
  for (const DtuTransition& t : record.transitions) {
    if (t.dtu != c.dtu || !w.contains(t.at)) continue;
    if (c.kind == CheckKind::dtu_sessions && t.online) ++n;
    if (c.kind == CheckKind::dtu_offline && !t.online) {
      ++n;
      if (reasons.empty()) reasons = "; first: " + t.reason;
    }
  }
  if (c.kind == CheckKind::dtu_sessions)
    return bounded(r, c, static_cast<double>(n), 1.0, std::nullopt,
                   "sessions of DTU " + c.dtu + " registered");
  r = bounded(r, c, static_cast<double>(n), 1.0, std::nullopt,
              "times the gateway saw DTU " + c.dtu + " go offline");
  r.message += reasons;
  return r;
}

// The read job the timeline entry named `c.action` queued, as stored now; nullopt, with `r`
// saying why, when no entry of that name queued one (`none`: "no manual read named"), the
// database failed, or it holds no such job (`label`: "manual read" did not finish).
std::optional<master::ReadJob> named_job(const Check& c, CheckResult& r, const RunRecord& record,
                                         master::Storage& storage, const std::string& none,
                                         const std::string& label) {
  const auto it = record.jobs.find(c.action);
  if (it == record.jobs.end()) {
    r.message = none + " '" + c.action + "' ran";
    return std::nullopt;
  }
  const auto job = storage.read_job(it->second);
  if (failed(r, job)) return std::nullopt;
  const auto& j = std::get<std::optional<master::ReadJob>>(job);
  if (!j) r.message = label + " '" + c.action + "' did not finish";
  return j;
}

// From queueing a read job to its result.
CheckResult manual_read_latency(const Check& c, CheckResult r, const Window& /*w*/,
                                const RunRecord& record, master::Storage& storage,
                                const Meters& /*meters*/) {
  const auto j = named_job(c, r, record, storage, "no manual read named", "manual read");
  if (!j) return r;
  if (!j->finished_at) {
    r.message = "manual read '" + c.action + "' did not finish";
    return r;
  }
  r = bounded(r, c, static_cast<double>(*j->finished_at - j->requested_at), std::nullopt,
              std::nullopt, "seconds from request to result of '" + c.action + "'");
  if (j->status != "done") {
    r.passed = false;
    r.message += "; it " + j->status + ": " + j->detail;
  }
  return r;
}

// Meters a secondary scan found, or an archive read listed (or an archive write read back once
// written): how many, and each a meter of the topology (its ID, any manufacturer) - none
// invented. An archive entry by primary address names no identity to hold against the topology.
CheckResult listed_meters(const Check& c, CheckResult r, const Window& /*w*/,
                          const RunRecord& record, master::Storage& storage,
                          const Meters& /*meters*/) {
  const bool scan = c.kind == CheckKind::scan_found;
  std::string what = scan ? "the scan" : "the archive read";
  const auto j =
      named_job(c, r, record, storage,
                scan ? "no secondary scan named" : "no archive read or write named", what);
  if (!j) return r;
  if (j->kind == "archive_write") what = "the archive write (read back)";
  if (j->status != "done") {
    r.message = what + " '" + c.action + "' did not finish" +
                (j->status == "failed" ? ": " + j->detail : std::string());
    return r;
  }
  std::set<std::string> listed;
  std::size_t invented = 0;
  std::string first;
  const auto add = [&](const std::string& entry, const std::string& id) {
    if (!listed.insert(entry).second || id.empty() || record.meters.count(id) > 0) return;
    ++invented;
    if (first.empty()) first = entry;
  };
  const auto detail = nlohmann::json::parse(j->detail, nullptr, false);
  const auto list = detail.is_object()
                        ? detail.value(scan ? "found" : "archive", nlohmann::json::array())
                        : nlohmann::json::array();
  for (const auto& a : list) {
    if (a.is_string()) {  // a scan's secondary address
      add(a.get<std::string>(), a.get<std::string>().substr(0, 8));
    } else if (a.is_object()) {  // an archive entry
      const std::string protocol = a.value("protocol", "");
      const std::string address = a.value("address", "");
      if (protocol == "cjt188" && address.size() >= 8) {
        add(address, address.substr(address.size() - 8));
      } else if (protocol == "mbus_secondary") {
        add(address, address.substr(0, 8));
      } else {
        add("primary " + std::to_string(a.value("primary", 0)) + " on channel " +
                std::to_string(a.value("channel", 0)),
            "");
      }
    }
  }
  r = bounded(r, c, static_cast<double>(listed.size()), 1.0, std::nullopt,
              "meters " + what + " '" + c.action + "' " + (scan ? "found" : "listed") + " in " +
                  std::to_string(*j->finished_at - j->requested_at) + " s");
  if (invented > 0) {
    r.passed = false;
    r.message += "; " + std::to_string(invented) + " not in the topology, first " + first;
  }
  return r;
}

// Where the simulated valve is, and whether the master confirmed its command.
CheckResult valve_state(const Check& c, CheckResult r, const Window& /*w*/, const RunRecord& record,
                        master::Storage& storage, const Meters& meters) {
  const auto& ref = meters.front().second;
  const auto open = record.valve_open ? record.valve_open(ref.index) : std::nullopt;
  if (!open) {
    r.message = "meter " + c.meter + " has no valve";
    return r;
  }
  r.passed = *open == *c.open;
  r.message = std::string("the simulated valve of meter ") + c.meter + " is " +
              (*open ? "open" : "closed") + ", expected " + (*c.open ? "open" : "closed");
  if (c.action.empty()) return r;
  // The master's side: the command's job confirmed the valve's arrival.
  const auto it = record.jobs.find(c.action);
  if (it == record.jobs.end()) {
    r.passed = false;
    r.message += "; no valve command named '" + c.action + "' ran";
    return r;
  }
  const auto job = storage.read_job(it->second);
  if (failed(r, job)) return r;
  const auto& j = std::get<std::optional<master::ReadJob>>(job);
  const bool confirmed = j && j->status == "done";
  r.passed = r.passed && confirmed;
  r.message += std::string("; the master ") +
               (confirmed ? "confirmed it"
                          : "did not confirm it: " + (j ? j->detail : std::string("no job")));
  return r;
}

// 00:00 settlements against the meters' registers at 00:00.
CheckResult settlement(const Check& c, CheckResult r, const Window& w, const RunRecord& record,
                       master::Storage& storage, const Meters& meters) {
  if (!record.has_midnights) {
    r.skipped = true;
    r.message = "the meters' registers at 00:00 were not recorded";
    return r;
  }
  std::size_t compared = 0, mismatched = 0;
  std::string first;
  for (const auto& [name, ref] : meters) {
    const auto settled = storage.settlements(ref.id);
    if (failed(r, settled)) return r;
    for (const auto& s : std::get<std::vector<master::SettlementRecord>>(settled)) {
      if (!w.contains(s.taken_at) || !s.energy_kwh) continue;
      const auto at = record.registers_at.find(s.taken_at);
      if (at == record.registers_at.end()) continue;
      const auto truth = at->second.find(ref.id);
      if (truth == at->second.end()) continue;
      ++compared;
      if (std::fabs(*s.energy_kwh - truth->second) > ref.resolution_kwh + c.tolerance_kwh + 0.01) {
        ++mismatched;
        if (first.empty())
          first = "meter " + name + ": settled " + number(*s.energy_kwh) + " kWh, held " +
                  number(truth->second) + " kWh";
      }
    }
  }
  r = bounded(
      r, c, static_cast<double>(mismatched), 0.0, 0.0,
      "settlements differing from the registers (" + std::to_string(compared) + " compared)");
  if (compared == 0) {
    r.passed = false;
    r.message += "; no settlement in the window";
  }
  if (!first.empty()) r.message += "; first: " + first;
  return r;
}
}  // namespace

CheckResult evaluate(const Check& c, Seconds from, Seconds to, const RunRecord& record,
                     master::Storage& storage) {
  CheckResult r;
  r.name = c.name;
  r.check = check_name(c.kind);
  r.line = c.line;
  r.window_from = from;
  r.window_to = to;
  const Window w{record.epoch(from), record.epoch(to)};
  std::string unknown;
  const auto meters = meters_of(c, record, unknown);
  if (!unknown.empty()) {
    r.message = unknown;
    return r;
  }

  switch (c.kind) {
    case CheckKind::read_success_rate:
      return read_success_rate(c, std::move(r), w, record, storage, meters);
    case CheckKind::failed_reads:
      return failed_reads(c, std::move(r), w, record, storage, meters);
    case CheckKind::stored_readings:
    case CheckKind::no_duplicates:
    case CheckKind::ground_truth:
      return stored_readings_checks(c, std::move(r), w, record, storage, meters);
    case CheckKind::no_lost_readings:
      return lost_readings(c, std::move(r), w, record, storage, meters);
    case CheckKind::fault_raised:
    case CheckKind::fault_not_raised:
    case CheckKind::fault_cleared:
    case CheckKind::open_faults:
      return fault_events(c, std::move(r), w, record, storage, meters);
    case CheckKind::dtu_sessions:
    case CheckKind::dtu_offline:
      return dtu_sessions(c, std::move(r), w, record, storage, meters);
    case CheckKind::manual_read_latency:
      return manual_read_latency(c, std::move(r), w, record, storage, meters);
    case CheckKind::scan_found:
    case CheckKind::archive_found:
      return listed_meters(c, std::move(r), w, record, storage, meters);
    case CheckKind::valve_state:
      return valve_state(c, std::move(r), w, record, storage, meters);
    case CheckKind::settlement_matches:
      return settlement(c, std::move(r), w, record, storage, meters);
    case CheckKind::consumption:
      return consumption(c, std::move(r), w, record, storage, meters);
    case CheckKind::missed_slots:
      return missed_slots(c, std::move(r), w, record);
    case CheckKind::slot_overrun:
      return slot_overrun(c, std::move(r), w, record);
  }
  return r;
}

std::vector<PlannedCheck> plan_checks(const Scenario& scenario, std::optional<Seconds> first_fault,
                                      Seconds heal_at) {
  std::vector<PlannedCheck> plan;
  const Seconds end = scenario.meta.duration;
  for (const Check& c : scenario.expectations.steady_state) {
    if (!first_fault) {
      plan.push_back({&c, "steady state (no fault)", 0, end, std::nullopt, {}});
      continue;
    }
    PlannedCheck before{
        &c, "steady state before the first fault", 0, *first_fault - 1, std::nullopt, {}};
    if (*first_fault <= 0) {
      before.to = 0;
      before.not_taken = "the first fault begins at 0 s: no steady state to check before it";
    }
    plan.push_back(before);
    plan.push_back({&c, "steady state after the final heal", heal_at, end, std::nullopt, {}});
  }
  for (std::size_t i = 0; i < scenario.expectations.checks.size(); ++i) {
    const Check& c = scenario.expectations.checks[i];
    plan.push_back({&c, "", c.from, c.to.value_or(end), i, {}});
  }
  return plan;
}

CheckResult evaluate_planned(const PlannedCheck& p, const RunRecord& record,
                             master::Storage& storage) {
  CheckResult r;
  if (p.not_taken.empty()) {
    r = evaluate(*p.check, p.from, p.to, record, storage);
  } else {
    r.name = p.check->name;
    r.check = check_name(p.check->kind);
    r.line = p.check->line;
    r.message = p.not_taken;
  }
  r.phase = p.phase;
  return r;
}

std::vector<CheckResult> evaluate_expectations(const std::vector<PlannedCheck>& plan,
                                               const RunRecord& record, master::Storage& storage,
                                               const std::map<std::size_t, CheckResult>& taken) {
  std::vector<CheckResult> out;
  for (const PlannedCheck& p : plan) {
    const auto it = p.index ? taken.find(*p.index) : taken.end();
    out.push_back(it != taken.end() ? it->second : evaluate_planned(p, record, storage));
  }
  return out;
}

}  // namespace heatlink::harness
