// A Reading from what a meter answered: the records of its M-Bus telegrams or its CJ/T 188
// 901F reply, already in the units of DESIGN.md rule 8, and its vendor's status codes turned
// into the fault bits of fault_rules.h. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "heatlink/master/storage/storage.h"
#include "heatlink/protocol/mbus_telegram.h"

namespace heatlink::master {

// A meter's calendar clock (local time, `utc_offset_s` east of UTC) and epoch seconds, both
// ways; an invalid or impossible time has no epoch.
std::optional<EpochSeconds> epoch_of(const protocol::mbus::TimePoint& t, int utc_offset_s);
protocol::mbus::TimePoint meter_clock_at(EpochSeconds t, int utc_offset_s);

struct ExtractOptions {
  std::int64_t meter_id = 0;
  EpochSeconds received_at = 0;
  int meter_utc_offset_s = 8 * 3600;  // meters keep local time (China: UTC+8)
  bool keep_raw = false;              // store the telegrams with the reading
};

// The current values (storage 0, tariff 0, instantaneous) of the telegrams of one read.
// read_at is the meter's time when it reports one, else received_at. Values the meter marks
// invalid are left empty: a record flagged as an error value (which also sets the fault bit of
// the sensor or calculator behind it), and the temperatures, dT, flow and power of a sensor its
// fault bits name as failed. An energy register sent as an error value gives a reading without
// energy; one with no energy register at all is an error that names the telegram and what is
// missing ("telegram 1: no energy register").
std::variant<Reading, std::string> reading_from_mbus(
    std::span<const std::vector<std::uint8_t>> telegrams, const ExtractOptions& options);

std::variant<Reading, std::string> reading_from_cjt188(std::span<const std::uint8_t> reply,
                                                       const ExtractOptions& options);

// The identity an answer carries, as MeterRecord::secondary_address writes it: each M-Bus
// telegram's header (ID, manufacturer, version, medium: 16 hex digits; "" for a telegram
// without one), a CJ/T 188 reply's address (14 digits; "" when it does not decode).
std::vector<std::string> identities_of_mbus(std::span<const std::vector<std::uint8_t>> telegrams);
std::string identity_of_cjt188(std::span<const std::uint8_t> reply);

// True when `answered` is the meter's identity per the base information. A meter whose
// identity the base information does not know accepts any; an M-Bus identity with F nibbles
// (an ID known, the rest not) matches as a selection mask does.
bool identity_matches(const MeterRecord& meter, const std::string& answered);

}  // namespace heatlink::master
