// Reading schedules (REFERENCE.md section 7: hourly reads, and the daily 00:00 read that
// settles the day). A schedule has slots - the times its cycles belong to - in the heat
// company's local time; a cycle is claimed per concentrator and slot, so masters sharing a
// database, and a master restarting, agree on what is still to read. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "heatlink/master/storage/storage.h"

namespace heatlink::master {

struct Schedule {
  std::string name;
  EpochSeconds every_s = 0;              // slots every this long from local midnight; or
  std::optional<int> daily_at_s;         // one slot a day, this long after local midnight
  bool settlement = false;               // its readings settle the day (snapshots, aggregates)
  EpochSeconds window_s = 0;             // a slot not begun this long after its time is skipped
                                         // (0: the interval, or 2 hours for a daily schedule)
  std::vector<std::string> stations;     // the concentrators it reads, by station or
  std::vector<std::string> communities;  // community name; both empty: every concentrator
};

// The newest slot of `schedule` at or before `now`.
EpochSeconds current_slot(const Schedule& schedule, EpochSeconds now, int utc_offset_s);
// The slot of `schedule` after `slot` (one of its slots): when `slot`'s time is up.
EpochSeconds next_slot(const Schedule& schedule, EpochSeconds slot);
// Whether a cycle of `slot` may still begin at `now`.
bool within_window(const Schedule& schedule, EpochSeconds slot, EpochSeconds now);
// Whether the schedule reads the concentrator (its station's and community's names given).
bool in_scope(const Schedule& schedule, const std::string& station, const std::string& community);

// The schedules `heatlink master` runs when its configuration names none: every
// concentrator hourly, and at 00:00 for the settlement value.
std::vector<Schedule> default_schedules();

}  // namespace heatlink::master
