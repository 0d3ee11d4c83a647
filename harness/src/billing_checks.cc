// The checks on the figures a heat company bills from.
#include <cmath>

#include "check_support.h"

namespace heatlink::harness {

CheckResult consumption(const Check& c, CheckResult r, const Window& w, const RunRecord& record,
                        master::Storage& storage, const Meters& meters) {
  if (!record.has_truth) {
    r.skipped = true;
    r.message = "the heat used at each midnight is recorded in deterministic runs only";
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
  for (const auto& [name, ref] : meters) {
    const auto days = storage.aggregates(ref.id, "day");
    if (failed(r, days)) return r;
    for (const master::AggregateRecord& a : std::get<std::vector<master::AggregateRecord>>(days)) {
      const EpochSeconds end = a.period_start + 86400;
      if (!a.energy_kwh || !w.contains(a.period_start) || !w.contains(end)) continue;
      const auto before = used(a.period_start, ref.id), after = used(end, ref.id);
      if (!before || !after) continue;
      ++compared;
      const double truth = *after - *before, figure = *a.energy_kwh;
      // Both boundaries carry a register step and an interpolation between readings.
      const double slack = 2 * ref.resolution_kwh + c.tolerance_kwh + 0.01;
      std::string problem;
      if (figure < 0) {
        problem = "negative";
      } else if (a.suspect) {
        ++suspect;
        if (figure > truth + slack) problem = "suspect and above the heat used";
      } else if (std::fabs(figure - truth) > slack) {
        problem = "off the heat used";
      }
      if (problem.empty()) continue;
      ++wrong;
      if (first.empty())
        first = "meter " + name + ", day from " + std::to_string(a.period_start - record.epoch0) +
                " s: " + number(figure) + " kWh (" + problem + "), used " + number(truth) + " kWh";
    }
  }
  r = bounded(r, c, static_cast<double>(wrong), 0.0, 0.0,
              "day figures negative or off the heat used (" + std::to_string(compared) +
                  " compared, " + std::to_string(suspect) + " suspect)");
  if (compared == 0) {
    r.passed = false;
    r.message += "; no settled day in the window";
  }
  if (!first.empty()) r.message += "; first: " + first;
  return r;
}

}  // namespace heatlink::harness
