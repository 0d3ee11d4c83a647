// Documents the API serves besides JSON records.
#pragma once

#include "call.h"

namespace heatlink::master::api {

// The OpenAPI 3 document (openapi.yaml, compiled in), as JSON.
const Json& openapi_document();

// Prometheus text: DTUs online, reads, read failures, queue depths, storage latency.
std::string metrics_text(Call& call);

}  // namespace heatlink::master::api
