#include "run_command.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "heatlink/harness/run.h"
#include "heatlink/sim/pace.h"
#include "host_port.h"

namespace heatlink::cli {

namespace {

namespace fs = std::filesystem;

struct RunArgs {
  std::string path;
  std::optional<std::uint64_t> seed;
  bool live = false;
  std::string junit, trace, work_dir;
  double pace = 0;
  bool verbose = false;
  bool check_only = false;
  std::string control, events;
};

// The scenarios a path names: the file, or the directory's *.yaml files in name order.
std::vector<std::string> scenario_files(const std::string& path) {
  if (!fs::is_directory(path)) return {path};
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(path)) {
    if (entry.is_regular_file() && entry.path().extension() == ".yaml")
      files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string self_binary() {
  std::error_code ec;
  const auto self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "heatlink" : self.string();
}

int run(const RunArgs& args) {
  const auto files = scenario_files(args.path);
  if (files.empty()) {
    std::cerr << "heatlink run: " << args.path << ": no scenario (*.yaml) there\n";
    return 2;
  }
  std::vector<harness::Scenario> scenarios;
  bool loaded_all = true;
  for (const std::string& file : files) {
    auto loaded = harness::load_scenario(file);
    if (const auto* e = std::get_if<harness::ScenarioError>(&loaded)) {
      std::cerr << "heatlink run: " << e->to_string() << '\n';
      if (!args.check_only) return 2;
      loaded_all = false;
      continue;
    }
    if (args.check_only) std::cout << "ok " << file << '\n';
    scenarios.push_back(std::get<harness::Scenario>(std::move(loaded)));
  }
  if (args.check_only) return loaded_all ? 0 : 2;
  std::optional<std::pair<std::string, std::uint16_t>> control;
  if (!args.control.empty() && !(control = parse_host_port(args.control, true))) {
    std::cerr << "heatlink run: --control: expected HOST:PORT, found '" << args.control << "'\n";
    return 2;
  }
  // Progress lines go to stdout (the reports then to stderr) or to a file.
  std::ostream* progress = nullptr;
  std::unique_ptr<std::ofstream> progress_file;
  if (args.events == "-") {
    progress = &std::cout;
  } else if (!args.events.empty()) {
    progress_file = std::make_unique<std::ofstream>(args.events, std::ios::trunc);
    if (!*progress_file) {
      std::cerr << "heatlink run: cannot write " << args.events << '\n';
      return 2;
    }
    progress = progress_file.get();
  }
  std::ostream& console = progress == &std::cout ? std::cerr : std::cout;
  std::unique_ptr<std::ofstream> trace;
  if (!args.trace.empty()) {
    trace = std::make_unique<std::ofstream>(args.trace, std::ios::trunc);
    if (!*trace) {
      std::cerr << "heatlink run: cannot write " << args.trace << '\n';
      return 2;
    }
  }
  const std::string work =
      args.work_dir.empty()
          ? (fs::temp_directory_path() / ("heatlink-run-" + std::to_string(::getpid()))).string()
          : args.work_dir;
  std::vector<harness::RunReport> reports;
  for (const harness::Scenario& scenario : scenarios) {
    harness::RunOptions options;
    options.seed = args.seed;
    options.work_dir = (fs::path(work) / scenario.meta.id).string();
    options.trace = trace.get();
    options.binary = self_binary();
    options.pace = args.pace;
    options.control = control;
    if (progress != nullptr) {
      options.progress = [progress](const std::string& line) {
        *progress << line << '\n';
        progress->flush();  // a panel follows it as the run goes
      };
    }
    if (args.verbose) options.log = [](const std::string& line) { std::cerr << line << '\n'; };
    reports.push_back(args.live ? harness::run_live(scenario, options)
                                : harness::run_deterministic(scenario, options));
    harness::write_console(console, reports.back());
    console.flush();
  }
  if (args.work_dir.empty()) fs::remove_all(work);
  if (!args.junit.empty()) {
    std::ofstream junit(args.junit, std::ios::trunc);
    harness::write_junit(junit, reports, HEATLINK_VERSION);
    if (!junit) {
      std::cerr << "heatlink run: cannot write " << args.junit << '\n';
      return 2;
    }
  }
  const bool all = std::all_of(reports.begin(), reports.end(),
                               [](const harness::RunReport& r) { return r.passed(); });
  return all ? 0 : 1;
}

}  // namespace

void add_run_command(CLI::App& app, int& status) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* r = app.add_subcommand("run", "Run scenarios (docs/scenarios.md) and report");
  r->add_option("scenario", args->path, "a scenario file, or a directory of them")->required();
  r->add_option("--seed", args->seed, "override the scenarios' seed");
  r->add_flag("--live", args->live,
              "run `heatlink master` and `heatlink sim` as processes over real TCP");
  r->add_option("--pace", args->pace,
                "live runs and runs with --control: simulated seconds per second (default: the "
                "scenario's)")
      ->check(CLI::Range(1e-6, sim::Pace::kMaxFactor));
  r->add_option("--control", args->control,
                "serve the simulator's control API on HOST:PORT while the run goes (the panel "
                "attaches there); a deterministic run is then paced");
  r->add_option("--events", args->events,
                "write the run's progress as JSON Lines here (- for stdout; the reports then go "
                "to stderr)");
  r->add_option("--junit", args->junit, "write a JUnit XML report here");
  r->add_option("--trace", args->trace, "write the trace (JSON Lines) here");
  r->add_option("--work-dir", args->work_dir,
                "keep each run's database and logs here (default: a temporary directory)");
  r->add_flag("--verbose,-v", args->verbose, "print the timeline and the master's log");
  r->add_flag("--check", args->check_only,
              "load and validate the scenarios only (every file, each error named), run nothing");
  r->callback([args, &status] { status = run(*args); });
}

}  // namespace heatlink::cli
