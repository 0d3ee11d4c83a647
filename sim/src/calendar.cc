#include "heatlink/sim/calendar.h"

namespace heatlink::sim {

// Howard Hinnant's days_from_civil / civil_from_days algorithms.
std::int64_t days_from_civil(int y, int m, int d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = static_cast<unsigned>((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t days, int& y, int& m, int& d) noexcept {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2));
}

Calendar::Calendar(CivilTime start)
    : start_seconds_(days_from_civil(start.year, start.month, start.day) * 86400 +
                     start.hour * 3600 + start.minute * 60 + start.second) {}

CivilTime Calendar::at(Micros t) const noexcept {
  std::int64_t s = start_seconds_ + (t >= 0 ? t / 1'000'000 : (t - 999'999) / 1'000'000);
  std::int64_t days = s >= 0 ? s / 86400 : (s - 86399) / 86400;
  const auto in_day = static_cast<int>(s - days * 86400);
  CivilTime c;
  civil_from_days(days, c.year, c.month, c.day);
  c.hour = in_day / 3600;
  c.minute = in_day / 60 % 60;
  c.second = in_day % 60;
  c.day_of_year = static_cast<int>(days - days_from_civil(c.year, 1, 1));
  return c;
}

Micros Calendar::time_of(const CivilTime& c) const noexcept {
  const std::int64_t s =
      days_from_civil(c.year, c.month, c.day) * 86400 + c.hour * 3600 + c.minute * 60 + c.second;
  return seconds(s - start_seconds_);
}

}  // namespace heatlink::sim
