#include "heatlink/master/analysis/consumption.h"

#include <algorithm>
#include <ctime>

namespace heatlink::master {

namespace {

// Local civil time <-> epoch seconds for a fixed UTC offset.
std::tm local_of(EpochSeconds t, int offset) {
  const std::time_t shifted = t + offset;
  std::tm tm{};
  gmtime_r(&shifted, &tm);
  return tm;
}

EpochSeconds epoch_of(int year, int month, int day, int offset) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;  // timegm normalises months past 12
  tm.tm_mday = day;
  return timegm(&tm) - offset;
}

// The start of the period holding `t`, and the start of the next one.
std::pair<EpochSeconds, EpochSeconds> period_around(Period period, EpochSeconds t,
                                                    const ConsumptionOptions& o) {
  const std::tm local = local_of(t, o.utc_offset_s);
  const int year = local.tm_year + 1900;
  const int month = local.tm_mon + 1;
  switch (period) {
    case Period::day: {
      const EpochSeconds start = epoch_of(year, month, local.tm_mday, o.utc_offset_s);
      return {start, epoch_of(year, month, local.tm_mday + 1, o.utc_offset_s)};
    }
    case Period::month:
      return {epoch_of(year, month, 1, o.utc_offset_s),
              epoch_of(year, month + 1, 1, o.utc_offset_s)};
    case Period::quarter: {
      const int first = (month - 1) / 3 * 3 + 1;
      return {epoch_of(year, first, 1, o.utc_offset_s),
              epoch_of(year, first + 3, 1, o.utc_offset_s)};
    }
    case Period::year:
      return {epoch_of(year, 1, 1, o.utc_offset_s), epoch_of(year + 1, 1, 1, o.utc_offset_s)};
    case Period::heating_season: {
      // The season that starts in `year`, or the one before when t is before this year's end.
      EpochSeconds start = epoch_of(year, o.season_start_month, o.season_start_day, o.utc_offset_s);
      if (t < start)
        start = epoch_of(year - 1, o.season_start_month, o.season_start_day, o.utc_offset_s);
      const std::tm s = local_of(start, o.utc_offset_s);
      const EpochSeconds end =
          epoch_of(s.tm_year + 1900 + 1, o.season_end_month, o.season_end_day, o.utc_offset_s);
      return {start, end};
    }
  }
  return {t, t};
}

struct Point {
  EpochSeconds at;
  double energy;
  std::optional<double> volume;
};

// Where a register fell between two readings with no replacement filed for it.
struct Fall {
  EpochSeconds after;   // the last reading before the fall
  EpochSeconds before;  // the first reading after it
};

struct Register {
  std::vector<Point> points;
  std::vector<Fall> falls;
};

// Makes `value` (its register's offset already added) continue from `last`: a wrap past
// `rollover` is unwrapped, any other fall bridged; both move `offset` for the values after it.
// True for a fall that no rollover explains.
bool continue_from(double last, double rollover, double& value, double& offset) {
  if (rollover > 0 && value < last - rollover / 2) {
    offset += rollover;
    value += rollover;
  }
  if (value >= last) return false;
  offset += last - value;
  value = last;
  return true;
}

// The samples as one continuous register: rollovers unwrapped, replacements bridged. A fall
// that neither explains (a meter replaced and not filed, a faulty register) is bridged as if a
// meter had been replaced at the first reading after it - nothing counted for the time between
// the two readings - and kept as a fall: a figure across it is a lower bound, not a reading.
Register continuous(std::span<const RegisterSample> samples, const ConsumptionOptions& o) {
  std::vector<RegisterSample> sorted(samples.begin(), samples.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const RegisterSample& a, const RegisterSample& b) { return a.at < b.at; });
  std::vector<MeterReplacement> swaps = o.replacements;
  std::sort(swaps.begin(), swaps.end(),
            [](const MeterReplacement& a, const MeterReplacement& b) { return a.at < b.at; });
  Register out;
  std::vector<Point>& points = out.points;
  double energy_offset = 0;
  double volume_offset = 0;
  // The last volume on the register and its time (a swap point has none).
  bool have_volume = false;
  double last_volume = 0;
  EpochSeconds last_volume_at = 0;
  std::size_t next_swap = 0;
  for (const RegisterSample& s : sorted) {
    while (next_swap < swaps.size() && swaps[next_swap].at <= s.at) {
      const MeterReplacement& r = swaps[next_swap++];
      // The old meter's register continues from where the new one starts.
      const double before = r.old_final_kwh + energy_offset;
      energy_offset = before - r.new_start_kwh;
      if (r.old_final_m3 && r.new_start_m3) {
        volume_offset += *r.old_final_m3 - *r.new_start_m3;
      } else {
        have_volume = false;  // the new meter's volume continues from nothing known
      }
      // A point at the swap itself: the boundary between the meters.
      points.push_back({r.at, before, std::nullopt});
    }
    double energy = s.energy_kwh + energy_offset;
    std::optional<double> volume;
    if (s.volume_m3) volume = *s.volume_m3 + volume_offset;
    if (!points.empty() &&
        continue_from(points.back().energy, o.rollover_kwh, energy, energy_offset))
      out.falls.push_back({points.back().at, s.at});
    if (volume && have_volume && continue_from(last_volume, o.rollover_m3, *volume, volume_offset))
      out.falls.push_back({last_volume_at, s.at});
    points.push_back({s.at, energy, volume});
    if (volume) {
      have_volume = true;
      last_volume = *volume;
      last_volume_at = s.at;
    }
  }
  return out;
}

struct Estimate {
  std::optional<double> energy;
  std::optional<double> volume;
  bool interpolated = false;
};

// The register at `t`: a point on it, or between the points around it.
Estimate register_at(const std::vector<Point>& points, EpochSeconds t) {
  const auto after = std::lower_bound(points.begin(), points.end(), t,
                                      [](const Point& p, EpochSeconds v) { return p.at < v; });
  if (after != points.end() && after->at == t) {
    // Several points at one time (a swap): the last is the register from then on.
    auto last = after;
    while (std::next(last) != points.end() && std::next(last)->at == t) ++last;
    return {last->energy, last->volume, false};
  }
  if (after == points.begin() || after == points.end()) return {};
  const Point& a = *std::prev(after);
  const Point& b = *after;
  const double f = static_cast<double>(t - a.at) / static_cast<double>(b.at - a.at);
  Estimate e;
  e.energy = a.energy + f * (b.energy - a.energy);
  if (a.volume && b.volume) e.volume = *a.volume + f * (*b.volume - *a.volume);
  e.interpolated = true;
  return e;
}

}  // namespace

const char* period_name(Period period) noexcept {
  switch (period) {
    case Period::day:
      return "day";
    case Period::month:
      return "month";
    case Period::quarter:
      return "quarter";
    case Period::year:
      return "year";
    case Period::heating_season:
      return "heating_season";
  }
  return "?";
}

std::vector<std::pair<EpochSeconds, EpochSeconds>> periods(Period period, EpochSeconds from,
                                                           EpochSeconds to,
                                                           const ConsumptionOptions& options) {
  std::vector<std::pair<EpochSeconds, EpochSeconds>> out;
  EpochSeconds t = from;
  while (t < to) {
    auto p = period_around(period, t, options);
    if (period == Period::heating_season && t >= p.second) {
      // Between seasons: jump to the next season's start.
      const std::tm local = local_of(t, options.utc_offset_s);
      const EpochSeconds next = epoch_of(local.tm_year + 1900, options.season_start_month,
                                         options.season_start_day, options.utc_offset_s);
      if (next >= to) break;
      p = period_around(period, next, options);
    }
    out.push_back(p);
    t = p.second;
  }
  return out;
}

std::vector<PeriodConsumption> consumption(std::span<const RegisterSample> samples, Period period,
                                           EpochSeconds from, EpochSeconds to,
                                           const ConsumptionOptions& options) {
  const Register meter = continuous(samples, options);
  std::vector<PeriodConsumption> out;
  for (const auto& [start, end] : periods(period, from, to, options)) {
    PeriodConsumption c;
    c.start = start;
    c.end = end;
    const Estimate a = register_at(meter.points, start);
    const Estimate b = register_at(meter.points, end);
    if (a.energy && b.energy) {
      c.energy_kwh = *b.energy - *a.energy;
      c.interpolated = a.interpolated || b.interpolated;
    }
    if (a.volume && b.volume) c.volume_m3 = *b.volume - *a.volume;
    c.suspect = std::any_of(meter.falls.begin(), meter.falls.end(),
                            [&c](const Fall& f) { return f.after < c.end && f.before > c.start; });
    out.push_back(c);
  }
  return out;
}

std::vector<RolledUp> roll_up(std::span<const std::vector<PeriodConsumption>> per_meter) {
  std::vector<RolledUp> out;
  for (const auto& meter : per_meter) {
    if (out.size() < meter.size()) {
      for (std::size_t i = out.size(); i < meter.size(); ++i) {
        RolledUp r;
        r.total.start = meter[i].start;
        r.total.end = meter[i].end;
        r.total.energy_kwh = 0.0;
        out.push_back(r);
      }
    }
    for (std::size_t i = 0; i < meter.size(); ++i) {
      RolledUp& r = out[i];
      ++r.meters;
      if (!meter[i].energy_kwh) {
        ++r.incomplete;
        continue;
      }
      *r.total.energy_kwh += *meter[i].energy_kwh;
      if (meter[i].volume_m3)
        r.total.volume_m3 = r.total.volume_m3.value_or(0) + *meter[i].volume_m3;
      r.total.interpolated = r.total.interpolated || meter[i].interpolated;
      if (meter[i].suspect) ++r.suspect;
    }
  }
  for (RolledUp& r : out) {
    if (r.incomplete > 0) r.total.energy_kwh.reset();
    r.total.suspect = r.suspect > 0;
  }
  return out;
}

}  // namespace heatlink::master
