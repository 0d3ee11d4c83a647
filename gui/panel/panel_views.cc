#include "panel_views.h"

#include <imgui.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "scenario_view.h"

namespace heatlink::gui {

ImVec4 colour_of(DeviceState s) {
  switch (s) {
    case DeviceState::online:
      return {0.45F, 0.85F, 0.45F, 1};
    case DeviceState::reading:
      return {0.40F, 0.70F, 1.00F, 1};
    case DeviceState::fault:
      return {1.00F, 0.45F, 0.35F, 1};
    case DeviceState::offline:
      return {0.55F, 0.55F, 0.55F, 1};
  }
  return {1, 1, 1, 1};
}

namespace {

const char* name_of(DeviceState s) {
  switch (s) {
    case DeviceState::online:
      return "online";
    case DeviceState::reading:
      return "reading";
    case DeviceState::fault:
      return "fault";
    case DeviceState::offline:
      return "offline";
  }
  return "";
}

// "42 s left" for a fault that stops by itself, else "until stopped".
std::string time_left(const LinkFault& f) {
  if (!f.remaining_s) return "until stopped";
  char text[32];
  std::snprintf(text, sizeof text, "%.0f s left", *f.remaining_s);
  return text;
}

// Places the next item on this line when it fits, else on the next.
void flow_after(const char* next_label) {
  const ImGuiStyle& style = ImGui::GetStyle();
  const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
  const float next = ImGui::GetItemRectMax().x + style.ItemSpacing.x +
                     ImGui::CalcTextSize(next_label).x + 2 * style.FramePadding.x;
  if (next < right) ImGui::SameLine();
}

bool found(const std::string& text, const char* search) {
  return search[0] == '\0' || text.find(search) != std::string::npos;
}

void time_bar(PanelModel& model, const Snapshot& s) {
  const double t = s.virtual_time_s;
  ImGui::Text("simulated %02d:%02d:%02d (%.0f s)  pace %s  %s", static_cast<int>(t / 3600),
              static_cast<int>(t / 60) % 60, static_cast<int>(t) % 60, t, s.pace.c_str(),
              s.paused ? "PAUSED" : "running");
  ImGui::SameLine();
  if (ImGui::Button(s.paused ? "Resume" : "Pause")) model.pause(!s.paused);
  ImGui::SameLine();
  if (ImGui::Button("Step 1 s")) model.step(std::chrono::milliseconds(1000));
  for (const char* pace : {"realtime", "x10", "x100"}) {
    ImGui::SameLine();
    if (ImGui::Button(pace)) model.set_pace(pace);
  }
  ImGui::SameLine();
  if (ImGui::Button("Heal all")) model.heal_all();
  ImGui::SameLine();
  if (s.attached)
    ImGui::TextColored(colour_of(DeviceState::online), "attached, %zu meters", s.meters.size());
  else if (s.meters.empty())
    ImGui::TextColored(colour_of(DeviceState::fault), "not attached: %s", s.error.c_str());
  else
    ImGui::TextColored(colour_of(DeviceState::offline), "detached (as last seen): %s",
                       s.error.c_str());
}

void topology(const Snapshot& s, ViewState& view) {
  ImGui::InputTextWithHint("##search", "search DTU, concentrator, meter ID", view.search,
                           sizeof view.search);
  ImGui::BeginChild("tree");
  const bool summarise = s.meters.size() > view.tree_limit && view.search[0] == '\0';
  for (const ConcentratorView& c : s.concentrators) {
    const DtuView* dtu = c.dtu ? &s.dtus[*c.dtu] : nullptr;
    const std::string dtu_label = dtu != nullptr ? "DTU " + dtu->id : "no DTU";
    const DeviceState dtu_state = c.dtu ? s.state_of_dtu(*c.dtu) : DeviceState::online;
    ImGui::PushStyleColor(ImGuiCol_Text, colour_of(dtu_state));
    const bool open = ImGui::TreeNodeEx(("##dtu" + std::to_string(c.index)).c_str(),
                                        ImGuiTreeNodeFlags_DefaultOpen, "%s  [%s]",
                                        dtu_label.c_str(), name_of(dtu_state));
    ImGui::PopStyleColor();
    if (ImGui::IsItemClicked() && c.dtu) {
      view.dtu = c.dtu;
      view.concentrator = c.index;
    }
    if (!open) continue;
    if (ImGui::TreeNodeEx(("##c" + std::to_string(c.index)).c_str(), ImGuiTreeNodeFlags_DefaultOpen,
                          "%s (archive %zu)", c.name.c_str(), c.archive)) {
      if (ImGui::IsItemClicked()) view.concentrator = c.index;
      for (const ChannelView& ch : c.channels) {
        const DeviceState cs = s.state_of_channel(c, ch);
        ImGui::PushStyleColor(ImGuiCol_Text, colour_of(cs));
        const bool channel_open =
            ImGui::TreeNode(ch.name.c_str(), "%s  %zu meters  %.0f UL  [%s]", ch.name.c_str(),
                            ch.meters, ch.unit_loads, name_of(cs));
        ImGui::PopStyleColor();
        if (!channel_open) continue;
        if (summarise) {
          std::size_t faulty = 0;
          for (std::size_t m = ch.first_meter; m < ch.first_meter + ch.meters; ++m)
            faulty += s.state_of_meter(m, cs) == DeviceState::fault ? 1U : 0U;
          ImGui::TextDisabled("%zu meters, %zu with faults (search to list them)", ch.meters,
                              faulty);
        } else {
          for (std::size_t m = ch.first_meter; m < ch.first_meter + ch.meters; ++m) {
            if (m >= s.meters.size()) break;
            const MeterView& meter = s.meters[m];
            if (!found(meter.id, view.search) && !found(meter.kind, view.search)) continue;
            ImGui::PushStyleColor(ImGuiCol_Text, colour_of(s.state_of_meter(m, cs)));
            if (ImGui::Selectable(
                    (meter.id + "  " + meter.kind + "##m" + std::to_string(m)).c_str(),
                    view.meter == m))
              view.meter = m;
            ImGui::PopStyleColor();
          }
        }
        ImGui::TreePop();
      }
      ImGui::TreePop();
    }
    ImGui::TreePop();
  }
  ImGui::EndChild();
}

// The telegram the meter would send now: hex, each field's bytes in its own colour, and the
// fields decoded beside.
void telegram(const TelegramView& t) {
  static const ImVec4 palette[] = {{0.95F, 0.75F, 0.35F, 1},
                                   {0.45F, 0.80F, 0.95F, 1},
                                   {0.65F, 0.90F, 0.50F, 1},
                                   {0.95F, 0.55F, 0.75F, 1},
                                   {0.75F, 0.65F, 0.95F, 1}};
  ImGui::Separator();
  ImGui::Text("Telegram now (%s, %zu bytes)%s%s", t.protocol.c_str(), t.bytes.size(),
              t.error.empty() ? "" : ": ", t.error.c_str());
  std::vector<int> field_of(t.bytes.size(), -1);
  for (std::size_t f = 0; f < t.fields.size(); ++f)
    for (std::size_t b = t.fields[f].offset;
         b < t.fields[f].offset + t.fields[f].size && b < field_of.size(); ++b)
      field_of[b] = static_cast<int>(f);
  for (std::size_t b = 0; b < t.bytes.size(); ++b) {
    if (b % 24 != 0) ImGui::SameLine(0, 6);
    const int f = field_of[b];
    ImGui::TextColored(f < 0 ? ImVec4(0.6F, 0.6F, 0.6F, 1) : palette[f % 5], "%02X", t.bytes[b]);
    if (f >= 0 && ImGui::IsItemHovered())
      ImGui::SetTooltip("%s: %s", t.fields[static_cast<std::size_t>(f)].name.c_str(),
                        t.fields[static_cast<std::size_t>(f)].value.c_str());
  }
  if (ImGui::BeginTable("fields", 3, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV)) {
    ImGui::TableSetupColumn("bytes", ImGuiTableColumnFlags_WidthFixed, 70);
    ImGui::TableSetupColumn("field");
    ImGui::TableSetupColumn("value");
    ImGui::TableHeadersRow();
    for (std::size_t f = 0; f < t.fields.size(); ++f) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextColored(palette[f % 5], "%zu+%zu", t.fields[f].offset, t.fields[f].size);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(t.fields[f].name.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(t.fields[f].value.c_str());
    }
    ImGui::EndTable();
  }
}

void meter_inspector(PanelModel& model, const Snapshot& s, std::size_t m) {
  const MeterView& meter = s.meters[m];
  ImGui::Text("Meter %s (#%zu)  %s  primary %d", meter.id.c_str(), m, meter.kind.c_str(),
              meter.primary);
  ImGui::Text("energy %.1f kWh   volume %.2f m3   power %.2f kW", meter.energy_kwh, meter.volume_m3,
              meter.power_kw);
  ImGui::Text("flow %.3f m3/h   supply %.1f C   return %.1f C   valve %s", meter.flow_m3_per_h,
              meter.supply_c, meter.return_c, meter.valve_open ? "open" : "closed");
  ImGui::Text("faults: %s", meter.faults.dump().c_str());
  ImGui::Separator();
  ImGui::TextUnformatted("Physical faults (replace the meter's faults):");
  for (const std::string& kind : physical_fault_kinds()) {
    flow_after(kind.c_str());
    if (ImGui::SmallButton(kind.c_str()))
      model.set_meter_faults(m, Json{{"physical", Json::array({kind})}});
  }
  if (ImGui::SmallButton("clear meter faults")) model.set_meter_faults(m, Json::object());
  if (s.telegram) telegram(*s.telegram);
  const auto history = model.history();
  if (history.size() > 1) {
    std::vector<float> flow, supply, ret, power;
    for (const MeterSample& h : history) {
      flow.push_back(static_cast<float>(h.flow_m3_per_h));
      supply.push_back(static_cast<float>(h.supply_c));
      ret.push_back(static_cast<float>(h.return_c));
      power.push_back(static_cast<float>(h.power_kw));
    }
    const ImVec2 size(ImGui::GetContentRegionAvail().x - 140, 60);  // room for the label
    ImGui::PlotLines("flow m3/h", flow.data(), static_cast<int>(flow.size()), 0, nullptr, FLT_MAX,
                     FLT_MAX, size);
    ImGui::PlotLines("supply C", supply.data(), static_cast<int>(supply.size()), 0, nullptr,
                     FLT_MAX, FLT_MAX, size);
    ImGui::PlotLines("return C", ret.data(), static_cast<int>(ret.size()), 0, nullptr, FLT_MAX,
                     FLT_MAX, size);
    ImGui::PlotLines("power kW", power.data(), static_cast<int>(power.size()), 0, nullptr, FLT_MAX,
                     FLT_MAX, size);
  }
}

void dtu_inspector(PanelModel& model, const Snapshot& s, ViewState& view, std::size_t d) {
  const DtuView& dtu = s.dtus[d];
  ImGui::Text("DTU %s (#%zu)  %s  %s", dtu.id.c_str(), d, dtu.convention.c_str(),
              dtu.state.c_str());
  ImGui::Text("IP %s   connects %lld   registrations %lld   heartbeats %lld   failures %lld",
              dtu.ip.c_str(), static_cast<long long>(dtu.connects),
              static_cast<long long>(dtu.registrations), static_cast<long long>(dtu.heartbeats),
              static_cast<long long>(dtu.failures));
  ImGui::Text("bytes up %lld   down %lld", static_cast<long long>(dtu.bytes_up),
              static_cast<long long>(dtu.bytes_down));
  for (const char* action : {"reboot", "power-off", "power-on"}) {
    if (ImGui::SmallButton(action)) model.dtu_power(d, action);
    ImGui::SameLine();
  }
  ImGui::NewLine();
  ImGui::Separator();
  ImGui::TextUnformatted("Link fault");
  if (ImGui::BeginCombo("kind", view.fault.kind.c_str())) {
    for (const std::string& kind : link_fault_kinds())
      if (ImGui::Selectable(kind.c_str(), kind == view.fault.kind)) view.fault.kind = kind;
    ImGui::EndCombo();
  }
  static const char* directions[] = {"both", "up", "down"};
  int direction = view.fault.direction == "up" ? 1 : view.fault.direction == "down" ? 2 : 0;
  if (ImGui::Combo("direction", &direction, directions, 3))
    view.fault.direction = directions[direction];
  ImGui::InputDouble("probability", &view.fault.probability, 0.05, 0.1, "%.2f");
  ImGui::InputDouble("delay ms", &view.fault.delay_ms, 100, 1000, "%.0f");
  ImGui::InputDouble("jitter ms", &view.fault.jitter_ms, 100, 1000, "%.0f");
  ImGui::InputDouble("period s", &view.fault.period_s, 10, 60, "%.0f");
  ImGui::InputDouble("amount", &view.fault.amount, 100, 1000, "%.0f");
  ImGui::InputDouble("lasting s (0: until stopped)", &view.fault.duration_s, 60, 600, "%.0f");
  if (ImGui::Button("Start fault")) model.start_link_fault(d, view.fault);
  ImGui::Separator();
  ImGui::Text("Active faults (%zu)", dtu.faults.size());
  for (const LinkFault& f : dtu.faults) {
    ImGui::BulletText("#%lld %s %s  p=%.2f delay=%.0f ms  %s", static_cast<long long>(f.id),
                      f.kind.c_str(), f.direction.c_str(), f.probability, f.delay_ms,
                      time_left(f).c_str());
    ImGui::SameLine();
    if (ImGui::SmallButton(("stop##" + std::to_string(f.id)).c_str()))
      model.stop_link_fault(d, f.id);
  }
}

// Every fault the district has now: link faults (with the time they have left), meters'
// faults and shorted channels, each with its stop.
void every_active_fault(PanelModel& model, const Snapshot& s) {
  ImGui::TextUnformatted("Every active fault:");
  for (const DtuView& d : s.dtus) {
    for (const LinkFault& f : d.faults) {
      ImGui::BulletText("DTU %s: #%lld %s %s  %s", d.id.c_str(), static_cast<long long>(f.id),
                        f.kind.c_str(), f.direction.c_str(), time_left(f).c_str());
      ImGui::SameLine();
      if (ImGui::SmallButton(("stop##all" + d.id + std::to_string(f.id)).c_str()))
        model.stop_link_fault(d.index, f.id);
    }
  }
  for (const MeterView& m : s.meters) {
    if (!m.faulty()) continue;
    ImGui::BulletText("meter %s: %s  until cleared", m.id.c_str(), m.faults.dump().c_str());
    ImGui::SameLine();
    if (ImGui::SmallButton(("clear##m" + m.id).c_str()))
      model.set_meter_faults(m.index, Json::object());
  }
  for (const ConcentratorView& c : s.concentrators) {
    for (const ChannelView& ch : c.channels) {
      if (!ch.short_circuit) continue;
      ImGui::BulletText("%s: short circuit  until cleared", ch.name.c_str());
      ImGui::SameLine();
      if (ImGui::SmallButton(("clear##sc" + ch.name).c_str()))
        model.set_channel_short(c.index, ch.index, false);
    }
  }
}

void concentrator_inspector(PanelModel& model, const ConcentratorView& c) {
  ImGui::Text("Concentrator %s  archive %zu  buffered %zu  %s", c.name.c_str(), c.archive,
              c.buffered, c.scanning ? "scanning" : "");
  for (const ChannelView& ch : c.channels) {
    ImGui::BulletText("%s  %d Bd  %zu meters  %.0f UL of 250-400  %s", ch.name.c_str(), ch.baud,
                      ch.meters, ch.unit_loads,
                      ch.short_circuit ? "SHORT CIRCUIT" : (ch.powered ? "powered" : "off"));
    ImGui::SameLine();
    if (ImGui::SmallButton(((ch.short_circuit ? "clear##" : "short##") + ch.name).c_str()))
      model.set_channel_short(c.index, ch.index, !ch.short_circuit);
  }
}

void traffic(PanelModel& model, ViewState& view) {
  ImGui::InputTextWithHint("##filter", "filter source, kind, summary", view.traffic_filter,
                           sizeof view.traffic_filter);
  ImGui::SameLine();
  ImGui::Checkbox("frames only", &view.frames_only);
  ImGui::SameLine();
  if (ImGui::Checkbox("pause", &view.traffic_paused) && view.traffic_paused)
    view.frozen = model.traffic().latest({view.traffic_filter, view.frames_only}, 2000);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(200);
  ImGui::InputText("##export", view.export_path, sizeof view.export_path);
  ImGui::SameLine();
  if (ImGui::Button("Export trace")) {
    std::ofstream out(view.export_path);
    const std::size_t n =
        model.traffic().export_trace(out, {view.traffic_filter, view.frames_only});
    view.message = std::to_string(n) + " events written to " + view.export_path;
  }
  ImGui::Text("%llu events received%s", static_cast<unsigned long long>(model.traffic().received()),
              model.traffic().connected() ? "" : " (stream not connected)");
  const std::vector<TrafficEvent> events =
      view.traffic_paused ? view.frozen
                          : model.traffic().latest({view.traffic_filter, view.frames_only}, 500);
  if (ImGui::BeginTable("traffic", 4,
                        ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg |
                            ImGuiTableFlags_Resizable | ImGuiTableFlags_BordersInnerV)) {
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("t (s)", ImGuiTableColumnFlags_WidthFixed, 90);
    ImGui::TableSetupColumn("source", ImGuiTableColumnFlags_WidthFixed, 170);
    ImGui::TableSetupColumn("kind", ImGuiTableColumnFlags_WidthFixed, 120);
    ImGui::TableSetupColumn("frame");
    ImGui::TableHeadersRow();
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(events.size()));
    while (clipper.Step()) {
      for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
        const TrafficEvent& e = events[static_cast<std::size_t>(i)];
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::Text("%.3f", e.t);
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(e.source.c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(e.kind.c_str());
        ImGui::TableNextColumn();
        if (!e.summary.empty()) ImGui::TextColored({0.9F, 0.8F, 0.4F, 1}, "%s", e.summary.c_str());
        ImGui::TextUnformatted(e.hex.c_str());
      }
    }
    if (!view.traffic_paused && ImGui::GetScrollY() >= ImGui::GetScrollMaxY())
      ImGui::SetScrollHereY(1.0F);
    ImGui::EndTable();
  }
}

// The master's view of the same devices, side by side with the simulator's.
void master_side_by_side(const Snapshot& s) {
  if (!s.master) {
    ImGui::TextDisabled("Start the panel with --master HOST:PORT --token hl_... to compare.");
    return;
  }
  const MasterView& m = *s.master;
  if (!m.attached) ImGui::TextColored(colour_of(DeviceState::fault), "master: %s", m.error.c_str());
  if (!ImGui::BeginTable(
          "master", 7,
          ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY))
    return;
  ImGui::TableSetupScrollFreeze(0, 1);
  for (const char* h : {"concentrator", "DTU", "simulator: DTU", "master: session", "meters",
                        "master: last cycle", "read success"})
    ImGui::TableSetupColumn(h);
  ImGui::TableHeadersRow();
  for (const ConcentratorView& c : s.concentrators) {
    const DtuView* dtu = c.dtu ? &s.dtus[*c.dtu] : nullptr;
    const auto mc = m.concentrators.find(c.name);
    const MasterDtu* md = nullptr;
    if (dtu != nullptr)
      if (const auto it = m.dtus.find(dtu->id); it != m.dtus.end()) md = &it->second;
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(c.name.c_str());
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(dtu != nullptr ? dtu->id.c_str() : "-");
    ImGui::TableNextColumn();
    if (dtu != nullptr)
      ImGui::TextColored(colour_of(s.state_of_dtu(*c.dtu)), "%s", dtu->state.c_str());
    ImGui::TableNextColumn();
    if (md != nullptr)
      ImGui::TextColored(
          colour_of(md->online ? DeviceState::online : DeviceState::offline), "%s",
          md->online ? ("online " + md->remote).c_str() : ("offline " + md->last_drop).c_str());
    else
      ImGui::TextDisabled("unknown to the master");
    ImGui::TableNextColumn();
    if (mc != m.concentrators.end()) ImGui::Text("%lld", static_cast<long long>(mc->second.meters));
    ImGui::TableNextColumn();
    if (mc != m.concentrators.end() && mc->second.last_read)
      ImGui::Text("%lld read, %lld failed", static_cast<long long>(*mc->second.last_read),
                  static_cast<long long>(*mc->second.last_failed));
    ImGui::TableNextColumn();
    if (mc != m.concentrators.end())
      if (const auto rate = mc->second.success_rate())
        ImGui::TextColored(colour_of(*rate >= 0.95 ? DeviceState::online : DeviceState::fault),
                           "%.1f %%", *rate * 100);
  }
  ImGui::EndTable();
}

}  // namespace

void draw_panel(PanelModel& model, const Snapshot& s, ViewState& view) {
  const ImGuiViewport* viewport = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(viewport->WorkPos);
  ImGui::SetNextWindowSize(viewport->WorkSize);
  ImGui::Begin("HeatLink panel", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                   ImGuiWindowFlags_NoBringToFrontOnFocus);
  follow_run(model, view);
  time_bar(model, s);
  if (!view.message.empty()) ImGui::TextDisabled("%s", view.message.c_str());
  ImGui::Separator();
  ImGui::BeginChild("topology", ImVec2(ImGui::GetContentRegionAvail().x * 0.32F, 0), true);
  topology(s, view);
  ImGui::EndChild();
  ImGui::SameLine();
  ImGui::BeginChild("right", ImVec2(0, 0));
  if (view.meter != model.selected_meter()) model.select_meter(view.meter);
  auto tab_flags = [&view](const char* tab) {
    return view.open_tab == tab ? ImGuiTabItemFlags_SetSelected : ImGuiTabItemFlags_None;
  };
  if (ImGui::BeginTabBar("views")) {
    if (ImGui::BeginTabItem("Inspector", nullptr, tab_flags("Inspector"))) {
      if (view.meter && *view.meter < s.meters.size()) meter_inspector(model, s, *view.meter);
      if (view.concentrator && *view.concentrator < s.concentrators.size()) {
        ImGui::Separator();
        concentrator_inspector(model, s.concentrators[*view.concentrator]);
      }
      if (!view.meter && !view.concentrator)
        ImGui::TextDisabled("Select a DTU, a concentrator or a meter in the tree.");
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Faults", nullptr, tab_flags("Faults"))) {
      if (view.dtu && *view.dtu < s.dtus.size())
        dtu_inspector(model, s, view, *view.dtu);
      else
        ImGui::TextDisabled("Select a DTU in the tree to break its link.");
      ImGui::Separator();
      every_active_fault(model, s);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Traffic", nullptr, tab_flags("Traffic"))) {
      traffic(model, view);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Scenario", nullptr, tab_flags("Scenario"))) {
      draw_scenario(s, view);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Master", nullptr, tab_flags("Master"))) {
      master_side_by_side(s);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Log", nullptr, tab_flags("Log"))) {
      for (const std::string& line : model.command_log()) ImGui::TextUnformatted(line.c_str());
      ImGui::EndTabItem();
    }
    ImGui::EndTabBar();
    view.open_tab.clear();
  }
  ImGui::EndChild();
  ImGui::End();
}

}  // namespace heatlink::gui
