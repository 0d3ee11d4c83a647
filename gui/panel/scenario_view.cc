#include "scenario_view.h"

#include <imgui.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

namespace heatlink::gui {

namespace {

namespace fs = std::filesystem;
using Status = CheckView::Status;
using Phase = ScenarioState::Phase;

const ImVec4 kPending{0.60F, 0.60F, 0.60F, 1};
const ImVec4 kOpen{0.95F, 0.80F, 0.30F, 1};  // its window is running now

ImVec4 colour_of_check(Status status, bool open) {
  switch (status) {
    case Status::passed:
      return colour_of(DeviceState::online);
    case Status::failed:
      return colour_of(DeviceState::fault);
    case Status::skipped:
      return kPending;
    case Status::pending:
      break;
  }
  return open ? kOpen : kPending;
}

const char* label_of_check(Status status, bool open) {
  switch (status) {
    case Status::passed:
      return "PASS";
    case Status::failed:
      return "FAIL";
    case Status::skipped:
      return "skip";
    case Status::pending:
      break;
  }
  return open ? "open" : "waiting";
}

const char* name_of(Phase phase) {
  switch (phase) {
    case Phase::idle:
      return "no run";
    case Phase::starting:
      return "starting";
    case Phase::running:
      return "running";
    case Phase::passed:
      return "PASSED";
    case Phase::failed:
      return "FAILED";
    case Phase::error:
      return "ERROR";
  }
  return "";
}

ImVec4 colour_of_phase(Phase phase) {
  if (phase == Phase::passed) return colour_of(DeviceState::online);
  if (phase == Phase::failed || phase == Phase::error) return colour_of(DeviceState::fault);
  return colour_of(DeviceState::reading);
}

void list_scenarios(ViewState& view) {
  if (!view.scenario_files.empty() || view.scenarios_dir.empty()) return;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(view.scenarios_dir, ec))
    if (entry.path().extension() == ".yaml") view.scenario_files.push_back(entry.path().string());
  std::sort(view.scenario_files.begin(), view.scenario_files.end());
}

void form(ViewState& view) {
  list_scenarios(view);
  ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x * 0.55F);
  ImGui::InputTextWithHint("##file", "scenario file (YAML)", view.scenario_file,
                           sizeof view.scenario_file);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(180);
  if (ImGui::BeginCombo("##library", "open from library")) {
    for (const std::string& file : view.scenario_files) {
      const std::string name = fs::path(file).stem().string();
      if (ImGui::Selectable(name.c_str(), file == view.scenario_file))
        std::snprintf(view.scenario_file, sizeof view.scenario_file, "%s", file.c_str());
    }
    ImGui::EndCombo();
  }
  if (ImGui::RadioButton("deterministic", !view.scenario_live)) view.scenario_live = false;
  ImGui::SameLine();
  if (ImGui::RadioButton("live (master and simulator as processes)", view.scenario_live))
    view.scenario_live = true;
  ImGui::SameLine();
  ImGui::SetNextItemWidth(140);
  ImGui::InputDouble("pace (0: the scenario's)", &view.scenario_pace, 60, 600, "%.0f");
  ImGui::SameLine();
  const bool running = view.run && !view.run->finished();
  if (ImGui::Button("Run")) {
    const std::string error =
        start_scenario(view, view.scenario_file, view.scenario_live, view.scenario_pace);
    if (!error.empty()) view.message = error;
  }
  if (running) {
    ImGui::SameLine();
    if (ImGui::Button("Stop")) view.run->stop();
  }
}

void header(const ScenarioState& st, const Snapshot& s, bool watching) {
  ImGui::TextColored(colour_of_phase(st.phase), "%s", name_of(st.phase));
  ImGui::SameLine();
  ImGui::Text("%s  %s  (%s run)", st.scenario.c_str(), st.title.c_str(),
              st.live ? "live" : "deterministic");
  const bool over = st.phase == Phase::passed || st.phase == Phase::failed;
  const double t = over ? st.duration_s : (watching ? s.virtual_time_s : 0);
  char overlay[96];
  std::snprintf(overlay, sizeof overlay, "%.0f of %.0f simulated s", t, st.duration_s);
  ImGui::ProgressBar(st.duration_s > 0 ? static_cast<float>(t / st.duration_s) : 0.0F,
                     ImVec2(-1, 0), overlay);
  ImGui::Text("checks: %zu passed, %zu failed, %zu skipped, %zu to come", st.count(Status::passed),
              st.count(Status::failed), st.count(Status::skipped), st.count(Status::pending));
  if (st.first_fault_s) {
    ImGui::SameLine();
    ImGui::TextDisabled("  first fault at %.0f s, final heal at %.0f s", *st.first_fault_s,
                        st.heal_at_s);
  }
  if (!st.error.empty()) ImGui::TextColored(colour_of(DeviceState::fault), "%s", st.error.c_str());
  if (!st.replay.empty() && st.phase == Phase::failed)
    ImGui::TextDisabled("replay: %s", st.replay.c_str());
  ImGui::TextDisabled("work directory: %s", st.work_dir.c_str());
}

void checks_table(const ScenarioState& st, double t) {
  if (!ImGui::BeginTable("checks", 5,
                         ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV |
                             ImGuiTableFlags_Resizable | ImGuiTableFlags_ScrollY,
                         ImVec2(0, ImGui::GetContentRegionAvail().y * 0.45F)))
    return;
  ImGui::TableSetupScrollFreeze(0, 1);
  ImGui::TableSetupColumn("", ImGuiTableColumnFlags_WidthFixed, 60);
  ImGui::TableSetupColumn("check", ImGuiTableColumnFlags_WidthFixed, 230);
  ImGui::TableSetupColumn("phase", ImGuiTableColumnFlags_WidthFixed, 200);
  ImGui::TableSetupColumn("window (s)", ImGuiTableColumnFlags_WidthFixed, 110);
  ImGui::TableSetupColumn("measured");
  ImGui::TableHeadersRow();
  for (const CheckView& c : st.checks) {
    const bool open = t >= c.from_s && t <= c.to_s;
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextColored(colour_of_check(c.status, open), "%s%s", label_of_check(c.status, open),
                       c.status != Status::pending && !c.final ? "*" : "");
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(c.name.c_str());
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(c.phase.empty() ? "-" : c.phase.c_str());
    ImGui::TableNextColumn();
    ImGui::Text("%.0f - %.0f", c.from_s, c.to_s);
    ImGui::TableNextColumn();
    ImGui::TextWrapped("%s", c.message.c_str());
  }
  ImGui::EndTable();
  ImGui::TextDisabled("* taken as its window closed; the report takes it again at the end");
}

// The simulator's devices beside the master's view of them, as the run saw it.
void sides(const ScenarioState& st, const Snapshot& s, bool watching) {
  if (!ImGui::BeginTable("sides", 6, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV)) return;
  for (const char* h : {"concentrator", "DTU", "simulator: DTU", "master: session",
                        "master: cycles", "read success"})
    ImGui::TableSetupColumn(h);
  ImGui::TableHeadersRow();
  for (const auto& [name, c] : st.concentrators) {
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(name.c_str());
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(c.dtu.c_str());
    ImGui::TableNextColumn();
    const auto dtu =
        std::find_if(s.dtus.begin(), s.dtus.end(), [&](const DtuView& d) { return d.id == c.dtu; });
    if (dtu == s.dtus.end())
      ImGui::TextDisabled("-");
    else if (watching)
      ImGui::TextColored(colour_of(s.state_of_dtu(dtu->index)), "%s", dtu->state.c_str());
    else
      ImGui::TextDisabled("%s (last seen)", dtu->state.c_str());
    ImGui::TableNextColumn();
    if (const auto it = st.dtus.find(c.dtu); it != st.dtus.end()) {
      const RunDtu& d = it->second;
      ImGui::TextColored(colour_of(d.online ? DeviceState::online : DeviceState::offline),
                         "%s; sessions %lld, drops %lld", d.online ? "online" : "offline",
                         static_cast<long long>(d.registrations), static_cast<long long>(d.drops));
      if (!d.last.empty() && ImGui::IsItemHovered()) ImGui::SetTooltip("%s", d.last.c_str());
    }
    ImGui::TableNextColumn();
    ImGui::Text("%lld, last %lld/%lld read", static_cast<long long>(c.cycles),
                static_cast<long long>(c.last_read), static_cast<long long>(c.last_meters));
    ImGui::TableNextColumn();
    if (const auto rate = c.success_rate())
      ImGui::TextColored(colour_of(*rate >= 0.95 ? DeviceState::online : DeviceState::fault),
                         "%.1f %%", *rate * 100);
  }
  ImGui::EndTable();
}

void notes(const ScenarioState& st) {
  ImGui::BeginChild("notes", ImVec2(0, 0), true);
  if (!st.output.empty() &&
      (st.phase == Phase::passed || st.phase == Phase::failed || st.phase == Phase::error)) {
    for (const std::string& line : st.output) ImGui::TextUnformatted(line.c_str());
    ImGui::Separator();
  }
  for (const auto& [t, text] : st.notes) ImGui::Text("%8.0f s  %s", t, text.c_str());
  if (ImGui::GetScrollY() >= ImGui::GetScrollMaxY()) ImGui::SetScrollHereY(1.0F);
  ImGui::EndChild();
}

}  // namespace

std::string start_scenario(ViewState& view, const std::string& file, bool live, double pace,
                           std::optional<std::uint64_t> seed) {
  if (file.empty()) return "choose a scenario file first";
  if (!fs::exists(file)) return "no file " + file;
  if (view.heatlink.empty()) return "no heatlink binary to run scenarios with (--heatlink)";
  view.run.reset();  // stops the run still going
  ScenarioRunOptions options;
  options.binary = view.heatlink;
  options.file = file;
  options.live = live;
  options.pace = pace;
  options.seed = seed;
  options.work_dir = (fs::path(view.runs_dir) /
                      (fs::path(file).stem().string() + "-" + std::to_string(++view.runs)))
                         .string();
  view.run = std::make_unique<ScenarioRun>(std::move(options));
  std::snprintf(view.scenario_file, sizeof view.scenario_file, "%s", file.c_str());
  view.scenario_live = live;
  view.scenario_pace = pace;
  view.message = "running " + file;
  return {};
}

void follow_run(PanelModel& model, ViewState& view) {
  if (!view.run) return;
  const auto control = view.run->control();
  if (control && model.attached_to() != *control) model.attach(control->first, control->second);
}

void draw_scenario(const Snapshot& s, ViewState& view) {
  form(view);
  ImGui::Separator();
  if (!view.run) {
    ImGui::TextDisabled(
        "Open a scenario (docs/scenarios.md) and run it: the panel attaches to its simulator,\n"
        "and each check turns green or red as its window closes.");
    return;
  }
  const ScenarioState st = view.run->state();
  const auto control = view.run->control();
  const bool watching = control && s.attached && !view.run->finished();
  header(st, s, watching);
  checks_table(st, watching ? s.virtual_time_s : st.duration_s);
  sides(st, s, watching);
  notes(st);
}

}  // namespace heatlink::gui
