// The checks on the figures a heat company bills from.
#include <cmath>
#include <map>

#include "check_support.h"
#include "heatlink/master/analysis/consumption.h"

namespace heatlink::harness {

namespace {

using master::Period;

constexpr Period kPeriods[] = {Period::day, Period::month, Period::quarter, Period::year,
                               Period::heating_season};

// A figure held against the heat used: "" when it is right, else what is wrong with it.
std::string judged(double figure, double truth, bool suspect, double slack) {
  if (figure < 0) return "negative";
  if (suspect) return figure > truth + slack ? "suspect and above the heat used" : "";
  return std::fabs(figure - truth) > slack ? "off the heat used" : "";
}

// The end of the period of `kind` that starts at `start` (the master's local calendar).
std::optional<EpochSeconds> period_end(Period kind, EpochSeconds start, int utc_offset_s) {
  master::ConsumptionOptions o;
  o.utc_offset_s = utc_offset_s;
  const auto list = master::periods(kind, start, start + 1, o);
  if (list.empty() || list.front().first != start) return std::nullopt;
  return list.front().second;
}

}  // namespace

CheckResult consumption(const Check& c, CheckResult r, const Window& w, const RunRecord& record,
                        master::Storage& storage, const Meters& meters) {
  if (!record.has_midnights) {
    r.skipped = true;
    r.message = "the heat used at each midnight was not recorded";
    return r;
  }
  // The heat `meter` had taken at `at`, if the run passed that midnight.
  const auto used = [&record](EpochSeconds at, std::int64_t meter) -> std::optional<double> {
    const auto when = record.used_at.find(at);
    if (when == record.used_at.end()) return std::nullopt;
    const auto it = when->second.find(meter);
    if (it == when->second.end()) return std::nullopt;
    return it->second;
  };
  std::size_t compared = 0, wrong = 0, suspect = 0;
  std::string first;
  const auto count = [&](const std::string& what, EpochSeconds start, double figure, double truth,
                         bool is_suspect, double slack) {
    ++compared;
    suspect += is_suspect ? 1 : 0;
    const std::string problem = judged(figure, truth, is_suspect, slack);
    if (problem.empty()) return;
    ++wrong;
    if (first.empty())
      first = what + " from " + std::to_string(start - record.epoch0) + " s: " + number(figure) +
              " kWh (" + problem + "), used " + number(truth) + " kWh";
  };
  // Per meter, every period kind the run covered from end to end.
  for (const Period kind : kPeriods) {
    for (const auto& [name, ref] : meters) {
      const auto figures = storage.aggregates(ref.id, master::period_name(kind));
      if (failed(r, figures)) return r;
      for (const auto& a : std::get<std::vector<master::AggregateRecord>>(figures)) {
        const auto end = period_end(kind, a.period_start, record.utc_offset_s);
        if (!a.energy_kwh || !end || !w.contains(a.period_start) || !w.contains(*end)) continue;
        const auto before = used(a.period_start, ref.id), after = used(*end, ref.id);
        if (!before || !after) continue;
        // Both boundaries carry a register step and an interpolation between readings.
        count("meter " + name + ", " + master::period_name(kind), a.period_start, *a.energy_kwh,
              *after - *before, a.suspect, 2 * ref.resolution_kwh + c.tolerance_kwh + 0.01);
      }
    }
  }
  // Per station (without a meter named): the roll-up of every meter's figure, when complete.
  if (c.meter.empty()) {
    const auto stations = storage.stations();
    if (failed(r, stations)) return r;
    std::map<std::int64_t, const MeterRef*> by_id;
    for (const auto& [name, ref] : record.meters) by_id[ref.id] = &ref;
    for (const master::StationRecord& s : std::get<std::vector<master::StationRecord>>(stations)) {
      if (!c.station.empty() && s.name != c.station) continue;
      std::vector<const MeterRef*> members;
      for (const auto& [concentrator, ids] : record.concentrator_meters) {
        const auto at = record.station_of.find(concentrator);
        if (at == record.station_of.end() || at->second != s.name) continue;
        for (const std::int64_t id : ids)
          if (const auto m = by_id.find(id); m != by_id.end()) members.push_back(m->second);
      }
      for (const Period kind : kPeriods) {
        const auto rolled = storage.rollups("station", s.id, master::period_name(kind));
        if (failed(r, rolled)) return r;
        for (const auto& u : std::get<std::vector<master::RollupRecord>>(rolled)) {
          const auto end = period_end(kind, u.period_start, record.utc_offset_s);
          if (!u.energy_kwh || u.complete != u.meters || !end || !w.contains(u.period_start) ||
              !w.contains(*end))
            continue;
          double truth = 0, slack = c.tolerance_kwh + 0.01;
          bool known = true;
          for (const MeterRef* m : members) {
            const auto before = used(u.period_start, m->id), after = used(*end, m->id);
            known = known && before && after;
            if (known) truth += *after - *before;
            slack += 2 * m->resolution_kwh;
          }
          if (known && !members.empty())
            count("station " + s.name + ", " + master::period_name(kind), u.period_start,
                  *u.energy_kwh, truth, u.suspect > 0, slack);
        }
      }
    }
  }
  r = bounded(r, c, static_cast<double>(wrong), 0.0, 0.0,
              "figures (per meter and station; day to season) negative or off the heat used (" +
                  std::to_string(compared) + " compared, " + std::to_string(suspect) + " suspect)");
  if (compared == 0) {
    r.passed = false;
    r.message += "; no settled period in the window";
  }
  if (!first.empty()) r.message += "; first: " + first;
  return r;
}

}  // namespace heatlink::harness
