// Civil time for simulated devices: meters report dates, bill on settlement days and keep
// month-end values, so virtual time maps onto a calendar that starts at the scenario's start.
#pragma once

#include <cstdint>

#include "heatlink/sim/event_queue.h"

namespace heatlink::sim {

struct CivilTime {
  int year = 2000;
  int month = 1;  // 1-12
  int day = 1;    // 1-31
  int hour = 0, minute = 0, second = 0;
  int day_of_year = 0;  // 0-365
  double hour_of_day() const noexcept { return hour + minute / 60.0 + second / 3600.0; }
};

class Calendar {
 public:
  // Virtual time 0 is `start`, given as local civil time (meters keep local time).
  explicit Calendar(CivilTime start = CivilTime{2026, 11, 15, 0, 0, 0, 0});

  CivilTime at(Micros t) const noexcept;
  // Virtual time of a civil time (may be negative: before the start).
  Micros time_of(const CivilTime& civil) const noexcept;

 private:
  std::int64_t start_seconds_;  // seconds since 1970-01-01 00:00 (local)
};

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar, and back.
std::int64_t days_from_civil(int y, int m, int d) noexcept;
void civil_from_days(std::int64_t days, int& y, int& m, int& d) noexcept;

}  // namespace heatlink::sim
