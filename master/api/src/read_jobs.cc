#include "read_jobs.h"

namespace heatlink::master::api {

Json job_json(const ReadJob& job) {
  Json detail = job.detail.empty() ? Json() : Json::parse(job.detail, nullptr, false);
  if (detail.is_discarded()) detail = job.detail;
  auto optional = [](const std::optional<EpochSeconds>& t) { return t ? Json(*t) : Json(); };
  return Json{{"id", job.id},
              {"kind", job.kind},
              {"target", job.target},
              {"status", job.status},
              {"requested_at", job.requested_at},
              {"started_at", optional(job.started_at)},
              {"finished_at", optional(job.finished_at)},
              {"claimed_by", job.claimed_by},
              {"detail", detail}};
}

std::int64_t queue(Call& call, const std::string& kind, const std::string& target) {
  ReadJob job;
  job.kind = kind;
  job.target = target;
  job.requested_at = call.now();
  return checked(call.storage.queue_read_job(job));
}

MeterRecord existing_meter(Call& call, std::int64_t id, const std::string& field) {
  const auto meter = checked(call.storage.meter(id));
  if (!meter) {
    if (field.empty()) not_found("meter " + std::to_string(id));
    invalid(field, "no meter with id " + std::to_string(id));
  }
  return *meter;
}

}  // namespace heatlink::master::api
