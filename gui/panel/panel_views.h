// The panel's windows, drawn from one snapshot of the model each frame. What the user asks for
// goes to the model as commands; nothing here waits for the simulator.
#pragma once

#include <imgui.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "heatlink/gui/panel_model.h"
#include "heatlink/gui/scenario_run.h"

namespace heatlink::gui {

// What the view remembers between frames (selection, filters, form fields).
struct ViewState {
  char search[64] = "";
  std::optional<std::size_t> dtu, concentrator, meter;
  LinkFaultSpec fault;  // the link fault form
  char traffic_filter[64] = "";
  bool traffic_paused = false;
  bool frames_only = true;
  std::vector<TrafficEvent> frozen;  // the traffic shown while paused
  char export_path[256] = "traffic.jsonl";
  std::string message;
  std::size_t tree_limit = 3000;  // meters listed in the tree; beyond, channels summarise
  std::string open_tab;           // a tab to bring forward on the next frame (scripts)

  // The Scenario tab: a run started from the panel, and its form.
  std::unique_ptr<ScenarioRun> run;
  std::string heatlink;       // the heatlink binary that runs scenarios
  std::string scenarios_dir;  // listed in the tab
  std::string runs_dir;       // each run's database and logs go below
  std::vector<std::string> scenario_files;
  char scenario_file[512] = "";
  bool scenario_live = false;
  double scenario_pace = 0;  // 0: the scenario's
  int runs = 0;
};

ImVec4 colour_of(DeviceState s);
void draw_panel(PanelModel& model, const Snapshot& snapshot, ViewState& view);

}  // namespace heatlink::gui
