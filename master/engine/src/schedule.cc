#include "heatlink/master/engine/schedule.h"

#include <algorithm>

namespace heatlink::master {

namespace {

constexpr EpochSeconds kDay = 86400;

EpochSeconds floor_to(EpochSeconds value, EpochSeconds step) {
  const EpochSeconds q = value / step;
  return (value % step < 0 ? q - 1 : q) * step;
}

}  // namespace

EpochSeconds current_slot(const Schedule& schedule, EpochSeconds now, int utc_offset_s) {
  const EpochSeconds local = now + utc_offset_s;
  if (schedule.daily_at_s) {
    EpochSeconds slot = floor_to(local, kDay) + *schedule.daily_at_s;
    if (slot > local) slot -= kDay;
    return slot - utc_offset_s;
  }
  return floor_to(local, std::max<EpochSeconds>(schedule.every_s, 1)) - utc_offset_s;
}

EpochSeconds next_slot(const Schedule& schedule, EpochSeconds slot) {
  return slot + (schedule.daily_at_s ? kDay : std::max<EpochSeconds>(schedule.every_s, 1));
}

bool within_window(const Schedule& schedule, EpochSeconds slot, EpochSeconds now) {
  EpochSeconds window = schedule.window_s;
  if (window == 0) window = schedule.daily_at_s ? 2 * 3600 : schedule.every_s;
  return now >= slot && now < slot + window;
}

bool in_scope(const Schedule& schedule, const std::string& station, const std::string& community) {
  if (schedule.stations.empty() && schedule.communities.empty()) return true;
  auto named = [](const std::vector<std::string>& names, const std::string& name) {
    return !name.empty() && std::find(names.begin(), names.end(), name) != names.end();
  };
  return named(schedule.stations, station) || named(schedule.communities, community);
}

std::vector<Schedule> default_schedules() {
  Schedule hourly;
  hourly.name = "hourly";
  hourly.every_s = 3600;
  Schedule settlement;
  settlement.name = "settlement";
  settlement.daily_at_s = 0;
  settlement.settlement = true;
  return {hourly, settlement};
}

}  // namespace heatlink::master
