#include "timeline.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "heatlink/master/api/api.h"
#include "heatlink/sim/vendor_telegrams.h"

namespace heatlink::harness {

namespace {

using Json = nlohmann::ordered_json;

bool is_fault(const Action& a) {
  switch (a.kind) {
    case ActionKind::link_fault:
    case ActionKind::meter_fault:
    case ActionKind::short_circuit:
    case ActionKind::kill_master:
    case ActionKind::restart_master:
    case ActionKind::dtu_clone:
      return true;
    case ActionKind::dtu_power:
    case ActionKind::concentrator_power:
      return a.power != "on";
    default:
      return false;
  }
}

Json link_fault_json(const sim::LinkFault& f) {
  return Json{{"kind", sim::fault_kind_name(f.kind)},
              {"direction", f.direction == sim::Direction::up     ? "up"
                            : f.direction == sim::Direction::down ? "down"
                                                                  : "both"},
              {"delay_ms", f.delay / 1000},
              {"jitter_ms", f.jitter / 1000},
              {"period_s", f.period / 1'000'000},
              {"probability", f.probability},
              {"amount", f.amount}};
}

}  // namespace

std::variant<std::int64_t, std::string> queue_read_job(const std::string& url,
                                                       const master::ReadJob& job) {
  auto storage = master::open_storage(url);
  if (auto* e = std::get_if<master::StorageError>(&storage)) return e->message;
  auto queued = std::get<0>(storage)->queue_read_job(job);
  if (auto* e = std::get_if<master::StorageError>(&queued)) return e->message;
  return std::get<std::int64_t>(queued);
}

master::StorageResult<std::string> bench_token(master::Storage& storage, master::EpochSeconds now) {
  const auto admin = master::api::ensure_administrator(storage, now);
  if (const auto* e = std::get_if<master::StorageError>(&admin)) return *e;
  return master::api::issue_token(storage, "admin", "bench", now);
}

Timeline::Timeline(const Scenario& scenario, DistrictIndex index, SimCall sim,
                   MasterControl& master, Log log)
    : scenario_(scenario),
      index_(std::move(index)),
      sim_(std::move(sim)),
      master_(master),
      log_(std::move(log)) {
  const Seconds duration = scenario.meta.duration;
  std::optional<Seconds> last_end;
  bool open_ended = false;
  for (const TimelineEntry& e : scenario.timeline) {
    if (!is_fault(e.action)) continue;
    has_faults_ = true;
    if (e.trigger.when) {  // follows an event: when is not known before the run
      open_ended = true;
      continue;
    }
    const Seconds at = e.trigger.at.value_or(0);
    if (!first_fault_ || at < *first_fault_) first_fault_ = at;
    // Down for `down_for`; switched off without `cycle`, until switched on or healed.
    const bool power =
        e.action.kind == ActionKind::dtu_power || e.action.kind == ActionKind::concentrator_power;
    const bool downtime = e.action.kind == ActionKind::kill_master ||
                          e.action.kind == ActionKind::restart_master ||
                          (power && e.action.power != "off");
    const Seconds lasting = downtime ? e.action.down_for : e.action.lasting.value_or(0);
    const Seconds until = e.trigger.every ? e.trigger.until.value_or(duration) : at;
    if (!e.action.lasting && !downtime) open_ended = true;
    last_end = std::max(last_end.value_or(0), until + lasting);
  }
  heal_at_ = scenario.meta.heal_at.value_or(
      open_ended ? std::max(last_end.value_or(0), duration * 2 / 3) : last_end.value_or(0));
  heal_at_ = std::min(heal_at_, duration);
}

void Timeline::tick(Seconds t) {
  for (auto it = later_.begin(); it != later_.end() && it->first <= t;) {
    auto action = std::move(it->second);
    it = later_.erase(it);
    action();
  }
  for (const TimelineEntry& e : scenario_.timeline) {
    const Trigger& g = e.trigger;
    if (g.when) continue;
    const Seconds start = g.at.value_or(0);
    if (g.every) {
      if (t >= start && t <= g.until.value_or(scenario_.meta.duration) &&
          (t - start) % *g.every == 0)
        act(e, t);
    } else if (t == start) {
      act(e, t);
    }
  }
  for (auto it = pending_when_.begin(); it != pending_when_.end();) {
    const TimelineEntry& e = scenario_.timeline[*it];
    if (t >= e.trigger.at.value_or(0)) {
      act(e, t);
      it = pending_when_.erase(it);
    } else {
      ++it;
    }
  }
  if (!healed_ && t >= heal_at_ && (has_faults_ || scenario_.meta.heal_at)) heal(t);
}

void Timeline::observe(EventKind kind, const std::string& target, Seconds t) {
  for (std::size_t i = 0; i < scenario_.timeline.size(); ++i) {
    const Trigger& g = scenario_.timeline[i].trigger;
    if (!g.when || *g.when != kind) continue;
    if (!g.when_target.empty() && g.when_target != target) continue;
    if (g.until && t > *g.until) continue;
    pending_when_.push_back(i);
  }
}

sim::ApiResponse Timeline::call(const std::string& method, const std::string& target,
                                const std::string& body, Seconds t, int line) {
  sim::ApiResponse response = sim_({method, target, body});
  if (response.status >= 300) {
    fail(t, line,
         method + " " + target + " answered " + std::to_string(response.status) + " " +
             response.body);
  }
  return response;
}

std::optional<std::size_t> Timeline::find(const std::map<std::string, std::size_t>& in,
                                          const std::string& key, const char* what, Seconds t,
                                          int line) {
  const auto it = in.find(key);
  if (it != in.end()) return it->second;
  fail(t, line, std::string("no ") + what + " '" + key + "' in the district");
  return std::nullopt;
}

void Timeline::act(const TimelineEntry& e, Seconds t) {
  const Action& a = e.action;
  const int line = e.line;
  log_(t,
       std::string(action_name(a.kind)) + (a.dtu.empty() ? "" : " dtu " + a.dtu) +
           (a.meter.empty() ? "" : " meter " + a.meter) +
           (a.concentrator.empty() ? "" : " concentrator " + a.concentrator) +
           (a.kind == ActionKind::link_fault ? std::string(" ") + sim::fault_kind_name(a.fault.kind)
                                             : std::string()));
  const auto stop_after = [&](std::function<void()> stop) {
    if (a.lasting) later_.emplace(t + *a.lasting, std::move(stop));
  };
  switch (a.kind) {
    case ActionKind::link_fault: {
      const auto i = find(index_.dtus, a.dtu, "DTU", t, line);
      if (!i) return;
      // The simulator stops a lasting fault itself (and shows the time it has left).
      Json fault = link_fault_json(a.fault);
      if (a.lasting) fault["duration_s"] = *a.lasting;
      call("POST", "/api/v1/dtus/" + std::to_string(*i) + "/faults", fault.dump(), t, line);
      return;
    }
    case ActionKind::meter_fault: {
      const auto i = find(index_.meters, a.meter, "meter", t, line);
      if (!i) return;
      const std::string target = "/api/v1/meters/" + std::to_string(*i) + "/faults";
      call("PUT", target,
           Json{{"physical", a.physical},
                {"leak_m3_per_h", a.leak_m3_per_h},
                {"clock_drift_ppm", a.clock_drift_ppm}}
               .dump(),
           t, line);
      stop_after([this, target, t, line] { call("PUT", target, "{}", t, line); });
      return;
    }
    case ActionKind::short_circuit: {
      const auto i = find(index_.concentrators, a.concentrator, "concentrator", t, line);
      if (!i) return;
      const std::string target = "/api/v1/concentrators/" + std::to_string(*i) + "/channels/" +
                                 std::to_string(a.channel - 1) + "/short_circuit";
      call("PUT", target, R"({"shorted": true})", t, line);
      stop_after(
          [this, target, t, line] { call("PUT", target, R"({"shorted": false})", t, line); });
      return;
    }
    case ActionKind::set_value: {
      const auto i = find(index_.meters, a.meter, "meter", t, line);
      if (!i) return;
      Json body = Json::object();
      if (a.energy_kwh) body["energy_kwh"] = *a.energy_kwh;
      if (a.open) body["valve_open"] = *a.open;
      if (a.primary) body["primary_address"] = *a.primary;
      call("PUT", "/api/v1/meters/" + std::to_string(*i) + "/values", body.dump(), t, line);
      return;
    }
    case ActionKind::meter_replace:
      replace_meter(a, t, line);
      return;
    case ActionKind::concentrator_power:
      power(a, t, line);
      return;
    case ActionKind::master_api:
      call_master(a, t, line);
      return;
    case ActionKind::dtu_clone: {
      const auto i = find(index_.dtus, a.dtu, "DTU", t, line);
      if (!i) return;
      const std::string target = "/api/v1/dtus/" + std::to_string(*i) + "/identity";
      call("POST", target, Json{{"id", a.clone_of}}.dump(), t, line);
      cloned_[*i] = a.dtu;
      stop_after([this, i = *i, t, line] { give_back_id(i, t, line); });
      return;
    }
    case ActionKind::dtu_power: {
      const auto i = find(index_.dtus, a.dtu, "DTU", t, line);
      if (!i) return;
      const std::string base = "/api/v1/dtus/" + std::to_string(*i) + "/";
      if (a.power == "reboot" || a.power == "on") {
        call("POST", base + (a.power == "on" ? "power-on" : "reboot"), "", t, line);
        return;
      }
      call("POST", base + "power-off", "", t, line);
      if (a.power == "cycle") {
        later_.emplace(t + a.down_for,
                       [this, base, t, line] { call("POST", base + "power-on", "", t, line); });
      }
      return;
    }
    case ActionKind::kill_master:
    case ActionKind::restart_master:
      master_.take_down(a.kind == ActionKind::kill_master, a.down_for);
      return;
    case ActionKind::heal_all:
      heal(t);
      return;
    case ActionKind::manual_read:
    case ActionKind::valve:
    case ActionKind::secondary_scan:
    case ActionKind::archive_read:
    case ActionKind::archive_write: {
      // A job through the master's database, as the API and CLI queue it. A scan and an
      // archive write (they leave the schedule its slots) and the archive read are
      // commissioning's.
      master::ReadJob job;
      if (a.kind == ActionKind::secondary_scan || a.kind == ActionKind::archive_read ||
          a.kind == ActionKind::archive_write) {
        job.kind = a.kind == ActionKind::secondary_scan ? "scan"
                   : a.kind == ActionKind::archive_read ? "archive"
                                                        : "archive_write";
        job.target = a.concentrator;
      } else if (a.kind == ActionKind::valve || !a.meter.empty()) {
        const auto it = index_.meter_ids.find(a.meter);
        if (it == index_.meter_ids.end()) {
          find(index_.meters, a.meter, "meter", t, line);
          return;
        }
        job.kind = a.kind != ActionKind::valve ? "meter" : *a.open ? "valve_open" : "valve_close";
        job.target = std::to_string(it->second);
      } else if (!a.concentrator.empty()) {
        job.kind = "concentrator";
        job.target = a.concentrator;
      } else {
        job.kind = "community";
        job.target = a.community;
      }
      const auto queued = master_.manual_read(job);
      if (const auto* e2 = std::get_if<std::string>(&queued)) {
        fail(t, line, *e2);
        return;
      }
      jobs_[a.name.empty() ? "line " + std::to_string(line) : a.name] =
          std::get<std::int64_t>(queued);
      return;
    }
  }
}

// Mains power of a concentrator (the HM-660 alone: its DTU has its own supply), or of every
// cabinet of a community (a mains failure there: the concentrators and their DTUs).
void Timeline::power(const Action& a, Seconds t, int line) {
  std::vector<std::size_t> concentrators;
  if (!a.concentrator.empty()) {
    const auto i = find(index_.concentrators, a.concentrator, "concentrator", t, line);
    if (!i) return;
    concentrators.push_back(*i);
  } else if (const auto it = index_.communities.find(a.community); it != index_.communities.end()) {
    concentrators = it->second;
  } else {
    fail(t, line, "no community '" + a.community + "' in the district");
    return;
  }
  const bool cabinets = a.concentrator.empty();
  const auto set = [this, concentrators, cabinets, line](bool on, Seconds at) {
    const std::string verb = on ? "/power-on" : "/power-off";
    for (const std::size_t i : concentrators) {
      call("POST", "/api/v1/concentrators/" + std::to_string(i) + verb, "", at, line);
      if (cabinets && index_.dtu_of.at(i))
        call("POST", "/api/v1/dtus/" + std::to_string(*index_.dtu_of.at(i)) + verb, "", at, line);
    }
  };
  set(a.power == "on", t);
  if (a.power == "cycle")
    later_.emplace(t + a.down_for, [set, t, down = a.down_for] { set(true, t + down); });
}

// 换表 in the field: the meter swapped for a new one. Filed, the heat company enters it in the
// master's base information as its fitter wrote it down: the old meter's final register (the
// simulator's just before), the new identity and first register, the moment.
void Timeline::replace_meter(const Action& a, Seconds t, int line) {
  const auto i = find(index_.meters, a.meter, "meter", t, line);
  if (!i) return;
  const std::string target = "/api/v1/meters/" + std::to_string(*i);
  const Json before = Json::parse(call("GET", target, "", t, line).body, nullptr, false);
  const Json body{{"id", a.new_id}, {"energy_kwh", a.energy_kwh.value_or(0)}};
  if (call("POST", target + "/replace", body.dump(), t, line).status != 200 || !a.filed) return;
  const std::string meter = std::to_string(index_.meter_ids.at(a.meter));
  const auto not_filed = [&](const std::string& why) {
    fail(t, line, "filing the replacement of meter " + a.meter + ": " + why);
  };
  const auto old = master_.master_api({"GET", "/api/v1/meters/" + meter, ""});
  const Json record = Json::parse(old.body, nullptr, false);
  if (old.status != 200 || !record.is_object() || !before.is_object())
    return not_filed("GET answered " + std::to_string(old.status) + " " + old.body);
  std::string identity = record.value("secondary_address", "");
  if (identity.size() == 16) {  // M-Bus: the new ID, the same maker, version and medium
    identity = a.new_id + identity.substr(8);
  } else {  // CJ/T 188: the address the new meter's number gives
    const auto id = static_cast<std::uint32_t>(std::stoul(a.new_id, nullptr, 16));
    identity = sim::MeterIdentity{id, 0, {}, {}}.cjt188_address().to_string();
  }
  const Json filing{{"new_identity", identity},
                    {"replaced_at", master_.master_now()},
                    {"old_final_kwh", before.value("energy_kwh", 0.0)},
                    {"new_start_kwh", a.energy_kwh.value_or(0)}};
  const auto filed =
      master_.master_api({"POST", "/api/v1/meters/" + meter + "/replacements", filing.dump()});
  if (filed.status != 201) not_filed(std::to_string(filed.status) + " " + filed.body);
}

// A call on the master's API; an answer other than the one expected is an error of the run.
void Timeline::call_master(const Action& a, Seconds t, int line) {
  std::string path = a.path;
  if (const auto at = path.find("{meter}"); at != std::string::npos) {
    const auto it = index_.meter_ids.find(a.meter);
    if (it == index_.meter_ids.end()) {
      find(index_.meters, a.meter, "meter", t, line);
      return;
    }
    path.replace(at, 7, std::to_string(it->second));
  }
  const auto answer = master_.master_api({a.method, path, a.body});
  const bool expected =
      a.status ? answer.status == *a.status : answer.status >= 200 && answer.status < 300;
  log_(t, a.method + " " + path + " answered " + std::to_string(answer.status));
  if (!expected)
    fail(t, line,
         a.method + " " + path + " answered " + std::to_string(answer.status) + " " + answer.body);
}

void Timeline::fail(Seconds t, int line, const std::string& what) {
  errors_.push_back(scenario_.file + ":" + std::to_string(line) + ": at " + std::to_string(t) +
                    " s: " + what);
}

void Timeline::heal(Seconds t) {
  healed_ = true;
  log_(t, "final heal");
  call("POST", "/api/v1/heal", "", t, 0);
  for (const auto& [name, i] : index_.concentrators)
    call("POST", "/api/v1/concentrators/" + std::to_string(i) + "/power-on", "", t, 0);
  for (const auto& [id, i] : index_.dtus) {
    call("POST", "/api/v1/dtus/" + std::to_string(i) + "/power-on", "", t, 0);
  }
  while (!cloned_.empty()) give_back_id(cloned_.begin()->first, t, 0);
}

// A DTU that claimed another's ID registers with its own again.
void Timeline::give_back_id(std::size_t dtu, Seconds t, int line) {
  const auto it = cloned_.find(dtu);
  if (it == cloned_.end()) return;
  call("POST", "/api/v1/dtus/" + std::to_string(dtu) + "/identity", Json{{"id", it->second}}.dump(),
       t, line);
  cloned_.erase(it);
}

}  // namespace heatlink::harness
