#include "script.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "scenario_view.h"

namespace heatlink::gui {

namespace {

double seconds_of(const std::vector<std::string>& c, std::size_t i, double fallback) {
  return c.size() > i ? std::stod(c[i]) : fallback;
}

}  // namespace

std::string snapshot_json(const Snapshot& s, const ScenarioRun* run) {
  Json dtus = Json::array();
  for (const DtuView& d : s.dtus) {
    Json faults = Json::array();
    for (const LinkFault& f : d.faults)
      faults.push_back({{"id", f.id}, {"kind", f.kind}, {"direction", f.direction}});
    dtus.push_back({{"id", d.id}, {"state", d.state}, {"faults", faults}});
  }
  Json master = nullptr;
  if (s.master) {
    Json sessions = Json::object();
    for (const auto& [id, d] : s.master->dtus) sessions[id] = d.online;
    master = {{"attached", s.master->attached}, {"error", s.master->error}, {"dtus", sessions}};
  }
  Json scenario = nullptr;
  if (run != nullptr) {
    const ScenarioState st = run->state();
    static const char* phases[] = {"idle", "starting", "running", "passed", "failed", "error"};
    Json checks = Json::array();
    for (const CheckView& c : st.checks) {
      static const char* statuses[] = {"pending", "passed", "failed", "skipped"};
      checks.push_back({{"name", c.name},
                        {"phase", c.phase},
                        {"status", statuses[static_cast<int>(c.status)]},
                        {"final", c.final}});
    }
    Json sessions = Json::object();
    for (const auto& [id, d] : st.dtus)
      sessions[id] = {{"online", d.online}, {"registrations", d.registrations}};
    scenario = {{"scenario", st.scenario},  {"phase", phases[static_cast<int>(st.phase)]},
                {"error", st.error},        {"control", st.control_url},
                {"checks", checks},         {"master_dtus", sessions},
                {"exit_code", st.exit_code}};
  }
  return Json{{"scenario", scenario},
              {"master", master},
              {"attached", s.attached},
              {"error", s.error},
              {"virtual_time_s", s.virtual_time_s},
              {"paused", s.paused},
              {"dtus", dtus},
              {"concentrators", s.concentrators.size()},
              {"meters", s.meters.size()}}
      .dump();
}

std::string Script::parse(const std::string& text) {
  std::stringstream all(text);
  for (std::string part; std::getline(all, part, ';');) {
    std::stringstream words(part);
    std::vector<std::string> command;
    for (std::string w; words >> w;) command.push_back(w);
    if (command.empty()) continue;
    static const std::vector<std::string> known = {
        "wait-attached", "wait-online", "select-dtu",   "select-meter", "link-fault",
        "wait-fault",    "wait",        "dump",         "screenshot",   "tab",
        "quit",          "wait-master", "run-scenario", "wait-scenario"};
    if (std::find(known.begin(), known.end(), command[0]) == known.end())
      return "--script: unknown command '" + command[0] + "'";
    commands_.push_back(std::move(command));
  }
  return {};
}

void Script::step(PanelModel& model, const Snapshot& s, ViewState& view, ScriptActions& actions) {
  while (!done() && !actions.quit) {
    const auto& c = commands_[next_];
    const std::string& name = c[0];
    if (!waiting_) {
      started_ = Clock::now();
      waiting_ = true;
    }
    const double waited = std::chrono::duration<double>(Clock::now() - started_).count();
    auto fail = [&](const std::string& why) {
      std::cerr << "heatlink-panel: script: " << name << ": " << why << '\n';
      actions.quit = true;
      actions.exit_code = 1;
    };
    bool finished = true;
    try {
      if (name == "wait-attached") {
        finished = s.attached;
        if (!finished && waited > seconds_of(c, 1, 30)) return fail("not attached: " + s.error);
      } else if (name == "wait-online") {
        finished =
            s.attached && !s.dtus.empty() &&
            std::all_of(s.dtus.begin(), s.dtus.end(), [](const DtuView& d) { return d.online(); });
        if (!finished && waited > seconds_of(c, 1, 60)) return fail("DTUs not registered");
      } else if (name == "wait-master") {
        finished = s.master && s.master->attached && !s.dtus.empty() &&
                   std::all_of(s.dtus.begin(), s.dtus.end(), [&](const DtuView& d) {
                     const auto it = s.master->dtus.find(d.id);
                     return it != s.master->dtus.end() && it->second.online;
                   });
        if (!finished && waited > seconds_of(c, 1, 60))
          return fail("the master does not have every DTU online");
      } else if (name == "select-dtu") {
        view.dtu = static_cast<std::size_t>(std::stoul(c.at(1)));
      } else if (name == "select-meter") {
        view.meter = static_cast<std::size_t>(std::stoul(c.at(1)));
      } else if (name == "link-fault") {
        if (!view.dtu) return fail("no DTU selected");
        if (!outcome_) {
          LinkFaultSpec spec;
          spec.kind = c.at(1);
          for (std::size_t i = 2; i < c.size(); ++i) {
            const auto eq = c[i].find('=');
            if (eq == std::string::npos) return fail("expected key=value: " + c[i]);
            const std::string key = c[i].substr(0, eq);
            const std::string value = c[i].substr(eq + 1);
            if (key == "direction") {
              spec.direction = value;
            } else if (key == "probability") {
              spec.probability = std::stod(value);
            } else if (key == "delay_ms") {
              spec.delay_ms = std::stod(value);
            } else if (key == "jitter_ms") {
              spec.jitter_ms = std::stod(value);
            } else if (key == "period_s") {
              spec.period_s = std::stod(value);
            } else if (key == "amount") {
              spec.amount = std::stod(value);
            } else if (key == "duration_s") {
              spec.duration_s = std::stod(value);
            } else {
              return fail("unknown parameter " + key);
            }
          }
          auto outcome = std::make_shared<Outcome>();
          outcome_ = outcome;
          model.start_link_fault(*view.dtu, spec, [outcome](const std::string& error) {
            outcome->error = error;
            outcome->done = true;
          });
        }
        finished = outcome_->done;
        if (finished) {
          const std::string error = outcome_->error;
          outcome_.reset();
          if (!error.empty()) return fail(error);
        } else if (waited > 10) {
          return fail("the simulator did not answer");
        }
      } else if (name == "wait-fault") {
        finished = view.dtu && *view.dtu < s.dtus.size() &&
                   std::any_of(s.dtus[*view.dtu].faults.begin(), s.dtus[*view.dtu].faults.end(),
                               [&](const LinkFault& f) { return f.kind == c.at(1); });
        if (!finished && waited > seconds_of(c, 2, 10))
          return fail("the model does not show " + c.at(1));
      } else if (name == "run-scenario") {
        bool live = false;
        double pace = 0;
        std::optional<std::uint64_t> seed;
        for (std::size_t i = 2; i < c.size(); ++i) {
          if (c[i] == "live") {
            live = true;
          } else if (c[i].starts_with("pace=")) {
            pace = std::stod(c[i].substr(5));
          } else if (c[i].starts_with("seed=")) {
            seed = std::stoull(c[i].substr(5));
          } else {
            return fail("unknown option " + c[i]);
          }
        }
        if (const std::string e = start_scenario(view, c.at(1), live, pace, seed); !e.empty())
          return fail(e);
      } else if (name == "wait-scenario") {
        finished = view.run && view.run->finished();
        if (!view.run) return fail("no scenario run");
        if (!finished && waited > seconds_of(c, 1, 120)) return fail("the run did not end");
      } else if (name == "wait") {
        finished = waited >= seconds_of(c, 1, 1);
      } else if (name == "tab") {
        view.open_tab = c.at(1);
      } else if (name == "dump") {
        std::ofstream(c.at(1)) << snapshot_json(s, view.run.get()) << '\n';
      } else if (name == "screenshot") {
        actions.screenshot = c.at(1);
      } else if (name == "quit") {
        actions.quit = true;
      }
    } catch (const std::exception& e) {
      return fail(e.what());
    }
    if (!finished) return;
    waiting_ = false;
    ++next_;
    if (name == "screenshot") return;  // taken after this frame is drawn
  }
}

}  // namespace heatlink::gui
