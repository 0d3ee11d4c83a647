// Meter identities as the base information writes them, and meter replacements (换表): one
// filing checked against the meter's readings and earlier filings, whether it comes from the
// API, the reconciliation dialog or an imported file.
#pragma once

#include "call.h"
#include "heatlink/master/storage/storage.h"

namespace heatlink::master::api {

// 16 hex digits (M-Bus: ID, manufacturer, version, medium) or a CJ/T 188 meter's 14-digit
// address, upper case; a Problem names `field` otherwise.
std::string identity_field(const Json& body, const std::string& field, MeterProtocol protocol);

// The replacement of `meter` that `body` states (new_identity, replaced_at, old_final_kwh,
// new_start_kwh, old_final_m3, new_start_m3), checked: a Problem names the field a filing
// gets wrong or that the meter's readings and filings contradict.
ReplacementRecord checked_replacement(Call& call, const MeterRecord& meter, const Json& body);

}  // namespace heatlink::master::api
