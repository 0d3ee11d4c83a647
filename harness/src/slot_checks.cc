// The checks on slots, from the schedule rather than from what the master reported: every
// slot a concentrator owes is read in it, or it counts as missed - also when the master never
// said a word about it - and a cycle that ran past its slot says by how much.
#include <algorithm>
#include <set>

#include "check_support.h"

namespace heatlink::harness {

namespace {

// The slots of `concentrator` that began in the window and were over by its end (the next
// slot of the schedules reading it had begun).
std::vector<EpochSeconds> owed_slots(const RunRecord& record, const std::string& concentrator,
                                     const Window& w) {
  const auto station = record.station_of.find(concentrator);
  std::set<EpochSeconds> begun;
  for (const master::Schedule& s : record.schedules) {
    if (!master::in_scope(s, station == record.station_of.end() ? "" : station->second, ""))
      continue;
    for (EpochSeconds t = master::current_slot(s, w.from, record.utc_offset_s); t <= w.to;) {
      if (t >= w.from) begun.insert(t);
      const EpochSeconds next = master::next_slot(s, t);
      if (next <= t) break;
      t = next;
    }
  }
  std::vector<EpochSeconds> out;
  for (auto it = begun.begin(); it != begun.end() && std::next(it) != begun.end(); ++it) {
    if (*std::next(it) <= w.to) out.push_back(*it);
  }
  return out;
}

}  // namespace

std::vector<SlotAccount> account_slots(const Check& c, const RunRecord& record, const Window& w) {
  std::vector<SlotAccount> out;
  for (const auto& [name, ids] : record.concentrator_meters) {
    if (!concentrator_in_scope(c, name, record)) continue;
    for (const EpochSeconds slot : owed_slots(record, name, w)) {
      SlotAccount a{name, slot, ids.size(), true, false};
      for (const CycleRecord& cycle : record.cycles) {
        if (cycle.job != 0 || cycle.concentrator != name || cycle.slot != slot) continue;
        a.unreported = false;
        a.missed = a.missed || cycle.missed;
      }
      out.push_back(a);
    }
  }
  return out;
}

CheckResult missed_slots(const Check& c, CheckResult r, const Window& w, const RunRecord& record) {
  const auto slots = account_slots(c, record, w);
  std::size_t missed = 0;
  std::string first;
  for (const SlotAccount& a : slots) {
    if (!a.missed && !a.unreported) continue;
    ++missed;
    if (first.empty())
      first = a.concentrator + " slot at " + std::to_string(a.slot - record.epoch0) + " s " +
              (a.unreported ? "has no cycle, and the master did not report it missed"
                            : "was missed (the master says so)");
  }
  r = bounded(r, c, static_cast<double>(missed), 0.0, 0.0,
              "slots missed (of " + std::to_string(slots.size()) + " owed)");
  if (!first.empty()) r.message += "; first: " + first;
  return r;
}

CheckResult slot_overrun(const Check& c, CheckResult r, const Window& w, const RunRecord& record) {
  EpochSeconds longest = 0;
  std::size_t overran = 0, cycles = 0;
  std::string worst;
  for (const CycleRecord& cycle : record.cycles) {
    if (cycle.job != 0 || cycle.missed || !w.contains(cycle.slot) ||
        !cycle_in_scope(c, cycle, record))
      continue;
    ++cycles;
    if (cycle.overrun_s > 0) ++overran;
    if (cycle.overrun_s > longest) {
      longest = cycle.overrun_s;
      worst = cycle.concentrator + " slot at " + std::to_string(cycle.slot - record.epoch0) + " s";
    }
  }
  if (cycles == 0) {
    r.message = "no cycle of the scope began in the window";
    return r;
  }
  r = bounded(r, c, static_cast<double>(longest), 0.0, 0.0,
              "longest overrun of a slot in seconds (" + std::to_string(overran) + " of " +
                  std::to_string(cycles) + " cycles overran)");
  if (!worst.empty()) r.message += "; worst: " + worst;
  return r;
}

}  // namespace heatlink::harness
