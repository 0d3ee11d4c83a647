// The readable table form of `heatlink mbus decode --format text`: a view of the JSON.
#pragma once

#include <ostream>

#include "frame_json.h"

namespace heatlink::cli {

void print_text(const Json& frame_or_error, std::ostream& out);

}  // namespace heatlink::cli
