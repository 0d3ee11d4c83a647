// The Scenario tab: open a scenario file, run it (deterministic or live) with the panel
// attached to its simulator, and watch its checks turn green or red as their windows close,
// beside the master's view of the same devices as the run saw it.
#pragma once

#include <optional>
#include <string>

#include "panel_views.h"

namespace heatlink::gui {

// Starts `file` (stopping a run still going); empty, or why it cannot start.
std::string start_scenario(ViewState& view, const std::string& file, bool live, double pace,
                           std::optional<std::uint64_t> seed = std::nullopt);
// Each frame: attaches the model to the run's simulator once it serves its control API.
void follow_run(PanelModel& model, ViewState& view);
void draw_scenario(const Snapshot& snapshot, ViewState& view);

}  // namespace heatlink::gui
