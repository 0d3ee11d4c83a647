// heatlink-panel: watch and steer a simulated district (docs/panel.md).
//
//   heatlink-panel --attach 127.0.0.1:8070 [--script "..."] [--frame-stats FILE]
//   heatlink-panel --run scenarios/gprs-loss.yaml [--live] [--pace 600]
//
// The window is a view over heatlink::panel_model (DESIGN.md rule 6): each frame draws the
// model's latest snapshot; clicks become commands the model runs on its own thread.
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "heatlink/gui/panel_model.h"
#include "panel_views.h"
#include "scenario_view.h"
#include "script.h"

// Debian's libstb has stb_image_write: the screenshot's PNG.
extern "C" int stbi_write_png(const char* filename, int w, int h, int comp, const void* data,
                              int stride_in_bytes);

namespace {

using heatlink::gui::PanelModel;

struct Args {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8070;
  std::string script;
  std::string frame_stats;
  PanelModel::Options options;
  int width = 1440, height = 900;
  std::string heatlink, scenarios, run;
  bool live = false;
  double pace = 0;
};

// Beside this binary: build/bin/heatlink, and the source tree's scenarios/.
std::string beside_self(const std::string& relative) {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  const auto path = (self.parent_path() / relative).lexically_normal();
  return std::filesystem::exists(path) ? path.string() : std::string();
}

int usage(const std::string& why) {
  std::cerr << "heatlink-panel: " << why
            << "\nusage: heatlink-panel --attach HOST:PORT [--master HOST:PORT --token hl_...]"
               " [--run SCENARIO [--live] [--pace N]] [--heatlink PATH] [--scenarios DIR]"
               " [--script COMMANDS] [--frame-stats FILE] [--size WxH]\n";
  return 2;
}

// A CJK font from Debian's fonts-noto-cjk, so that community and customer names render.
void load_fonts() {
  ImGuiIO& io = ImGui::GetIO();
  for (const char* path : {"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                           "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"}) {
    if (!std::filesystem::exists(path)) continue;
    if (io.Fonts->AddFontFromFileTTF(path, 17.0F, nullptr,
                                     io.Fonts->GetGlyphRangesChineseSimplifiedCommon()) != nullptr)
      return;
  }
  io.Fonts->AddFontDefault();
}

bool save_png(const std::string& path, int width, int height) {
  std::vector<unsigned char> pixels(static_cast<std::size_t>(width * height * 4));
  glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
  std::vector<unsigned char> flipped(pixels.size());  // OpenGL's rows run bottom up
  const std::size_t row = static_cast<std::size_t>(width * 4);
  for (int y = 0; y < height; ++y)
    std::copy_n(pixels.begin() + static_cast<std::ptrdiff_t>(row * static_cast<std::size_t>(y)),
                row,
                flipped.begin() +
                    static_cast<std::ptrdiff_t>(row * static_cast<std::size_t>(height - 1 - y)));
  return stbi_write_png(path.c_str(), width, height, 4, flipped.data(), static_cast<int>(row)) != 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--attach") {
      const std::string where = value();
      const auto colon = where.rfind(':');
      if (colon == std::string::npos) return usage("--attach: expected HOST:PORT");
      args.host = where.substr(0, colon);
      args.port = static_cast<std::uint16_t>(std::stoul(where.substr(colon + 1)));
    } else if (a == "--master") {
      const std::string where = value();
      const auto colon = where.rfind(':');
      if (colon == std::string::npos) return usage("--master: expected HOST:PORT");
      args.options.master_host = where.substr(0, colon);
      args.options.master_port = static_cast<std::uint16_t>(std::stoul(where.substr(colon + 1)));
    } else if (a == "--token") {
      args.options.master_token = value();
    } else if (a == "--script") {
      args.script = value();
    } else if (a == "--frame-stats") {
      args.frame_stats = value();
    } else if (a == "--run") {
      args.run = value();
    } else if (a == "--live") {
      args.live = true;
    } else if (a == "--pace") {
      args.pace = std::atof(value().c_str());
    } else if (a == "--heatlink") {
      args.heatlink = value();
    } else if (a == "--scenarios") {
      args.scenarios = value();
    } else if (a == "--size") {
      if (std::sscanf(value().c_str(), "%dx%d", &args.width, &args.height) != 2)
        return usage("--size: expected WxH");
    } else {
      return usage("unknown argument " + a);
    }
  }
  heatlink::gui::Script script;
  if (const std::string e = script.parse(args.script); !e.empty()) return usage(e);

  if (glfwInit() == 0) {
    std::cerr << "heatlink-panel: no display (GLFW could not start; set DISPLAY)\n";
    return 3;
  }
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
  GLFWwindow* window =
      glfwCreateWindow(args.width, args.height, "HeatLink panel", nullptr, nullptr);
  if (window == nullptr) {
    std::cerr << "heatlink-panel: no OpenGL 3 window\n";
    glfwTerminate();
    return 3;
  }
  glfwMakeContextCurrent(window);
  glfwSwapInterval(1);
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;
  ImGui::StyleColorsDark();
  load_fonts();
  ImGui_ImplGlfw_InitForOpenGL(window, true);
  ImGui_ImplOpenGL3_Init("#version 130");

  int exit_code = 0;
  std::vector<double> frame_ms;
  {
    if (args.options.master_token.empty())
      if (const char* token = std::getenv("HEATLINK_TOKEN")) args.options.master_token = token;
    PanelModel model(args.host, args.port, args.options);
    heatlink::gui::ViewState view;  // before the model goes: stops a scenario run
    view.heatlink = args.heatlink.empty() ? beside_self("heatlink") : args.heatlink;
    view.scenarios_dir = args.scenarios.empty() ? beside_self("../../scenarios") : args.scenarios;
    view.runs_dir =
        (std::filesystem::temp_directory_path() / ("heatlink-panel-" + std::to_string(::getpid())))
            .string();
    if (!args.run.empty()) {
      if (const std::string e = heatlink::gui::start_scenario(view, args.run, args.live, args.pace);
          !e.empty())
        std::cerr << "heatlink-panel: --run: " << e << '\n';
      view.open_tab = "Scenario";
    }
    heatlink::gui::ScriptActions actions;
    while (glfwWindowShouldClose(window) == 0 && !actions.quit) {
      const auto started = std::chrono::steady_clock::now();
      glfwPollEvents();
      ImGui_ImplOpenGL3_NewFrame();
      ImGui_ImplGlfw_NewFrame();
      ImGui::NewFrame();
      const auto snapshot = model.snapshot();
      script.step(model, *snapshot, view, actions);
      heatlink::gui::draw_panel(model, *snapshot, view);
      ImGui::Render();
      int width = 0, height = 0;
      glfwGetFramebufferSize(window, &width, &height);
      glViewport(0, 0, width, height);
      glClearColor(0.08F, 0.08F, 0.10F, 1);
      glClear(GL_COLOR_BUFFER_BIT);
      ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
      if (!args.frame_stats.empty())  // kept only when asked for: a panel runs for days
        frame_ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
                .count());
      if (!actions.screenshot.empty()) {
        if (!save_png(actions.screenshot, width, height)) {
          std::cerr << "heatlink-panel: cannot write " << actions.screenshot << '\n';
          actions.exit_code = 1;
          actions.quit = true;
        }
        actions.screenshot.clear();
      }
      glfwSwapBuffers(window);
    }
    exit_code = actions.exit_code;
  }
  if (!args.frame_stats.empty() && !frame_ms.empty()) {
    std::vector<double> sorted = frame_ms;
    std::sort(sorted.begin(), sorted.end());
    auto at = [&](double q) {
      return sorted[std::min(sorted.size() - 1,
                             static_cast<std::size_t>(q * static_cast<double>(sorted.size())))];
    };
    std::ofstream(args.frame_stats)
        << "{\"frames\":" << sorted.size() << ",\"p50_ms\":" << at(0.5)
        << ",\"p99_ms\":" << at(0.99) << ",\"max_ms\":" << sorted.back() << "}\n";
  }
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(window);
  glfwTerminate();
  return exit_code;
}
