// What the meter-reading and reconciliation routes share: read jobs queued and shown.
#pragma once

#include "call.h"

namespace heatlink::master::api {

Json job_json(const ReadJob& job);
// Queues a read job now; its id.
std::int64_t queue(Call& call, const std::string& kind, const std::string& target);
// A meter that exists: else 404 (no `field`) or 400 naming `field`.
MeterRecord existing_meter(Call& call, std::int64_t id, const std::string& field);

}  // namespace heatlink::master::api
