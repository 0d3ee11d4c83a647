// What the checks share: a window in epoch seconds, numbers as messages print them, a value
// held against a check's bounds, a storage error as a failed check, and the meters of a check.
#pragma once

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "run_record.h"

namespace heatlink::harness {

using master::EpochSeconds;

struct Window {
  EpochSeconds from, to;
  bool contains(EpochSeconds t) const { return t >= from && t <= to; }
};

inline std::string number(double v) {
  char text[64];
  std::snprintf(text, sizeof text, "%.6g", v);
  return text;
}

// Holds `value` against the check's bounds (or the defaults when it gives none).
inline CheckResult bounded(CheckResult r, const Check& c, double value, std::optional<double> min,
                           std::optional<double> max, const std::string& what) {
  if (c.min || c.max) {  // the check's own bounds replace the defaults
    min = c.min;
    max = c.max;
  }
  r.passed = (!min || value >= *min) && (!max || value <= *max);
  r.message = what + " = " + number(value);
  if (min && max && *min == *max) {
    r.message += ", expected " + number(*min);
  } else {
    if (min) r.message += ", expected >= " + number(*min);
    if (max) r.message += (min ? " and <= " : ", expected <= ") + number(*max);
  }
  return r;
}

template <class T>
bool failed(CheckResult& r, const master::StorageResult<T>& result) {
  if (const auto* e = std::get_if<master::StorageError>(&result)) {
    r.passed = false;
    r.message = "storage: " + e->message;
    return true;
  }
  return false;
}

using Meters = std::vector<std::pair<std::string, MeterRef>>;

// Whether a cycle is of the check's station, concentrator and DTU (checks.cc).
bool cycle_in_scope(const Check& c, const CycleRecord& cycle, const RunRecord& record);
inline bool concentrator_in_scope(const Check& c, const std::string& name,
                                  const RunRecord& record) {
  CycleRecord probe;
  probe.concentrator = name;
  return cycle_in_scope(c, probe, record);
}

// A slot a concentrator owed by the schedule, over by the end of the window, and what became
// of it: no cycle reported at all, or reported missed (slot_checks.cc).
struct SlotAccount {
  std::string concentrator;
  EpochSeconds slot = 0;
  std::size_t meters = 0;
  bool unreported = true;
  bool missed = false;
};
std::vector<SlotAccount> account_slots(const Check& c, const RunRecord& record, const Window& w);

// Slots missed, whether the master reported them or not; the longest overrun of a slot.
CheckResult missed_slots(const Check& c, CheckResult r, const Window& w, const RunRecord& record);
CheckResult slot_overrun(const Check& c, CheckResult r, const Window& w, const RunRecord& record);

// Day figures the master settled against the heat the households took between the midnights:
// never negative, equal within the registers' resolution plus the check's tolerance, and a
// suspect figure (a register fall nobody filed) at most what was used (billing_checks.cc).
CheckResult consumption(const Check& c, CheckResult r, const Window& w, const RunRecord& record,
                        master::Storage& storage, const Meters& meters);

}  // namespace heatlink::harness
