#include "heatlink/gui/scenario_run.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "heatlink/gui/sim_link.h"

extern char** environ;

namespace heatlink::gui {

namespace {

constexpr std::size_t kNotesKept = 500;
constexpr std::size_t kOutputKept = 200;

CheckView::Status status_of(const Json& e) {
  if (e.value("skipped", false)) return CheckView::Status::skipped;
  return e.value("passed", false) ? CheckView::Status::passed : CheckView::Status::failed;
}

template <class T>
void keep_last(std::vector<T>& list, std::size_t n) {
  if (list.size() > n) list.erase(list.begin(), list.end() - static_cast<std::ptrdiff_t>(n));
}

void on_plan(ScenarioState& s, const Json& e) {
  s.scenario = e.value("scenario", "");
  s.title = e.value("title", "");
  s.duration_s = e.value("duration_s", 0.0);
  s.heal_at_s = e.value("heal_at_s", 0.0);
  if (e.contains("first_fault_s") && e["first_fault_s"].is_number())
    s.first_fault_s = e["first_fault_s"].get<double>();
  s.checks.clear();
  for (const Json& c : e.value("checks", Json::array())) {
    CheckView v;
    v.index = c.value("index", std::size_t{0});
    v.name = c.value("name", "");
    v.check = c.value("check", "");
    v.phase = c.value("phase", "");
    v.from_s = c.value("from_s", 0.0);
    v.to_s = c.value("to_s", 0.0);
    v.line = c.value("line", 0);
    s.checks.push_back(v);
  }
  for (const Json& d : e.value("dtus", Json::array()))
    if (d.is_string()) s.dtus[d.get<std::string>()];
  for (const Json& c : e.value("concentrators", Json::array())) {
    RunConcentrator& v = s.concentrators[c.value("name", "")];
    v.station = c.value("station", "");
    v.dtu = c.value("dtu", "");
  }
  s.phase = ScenarioState::Phase::running;
}

void on_note(ScenarioState& s, const Json& e) {
  const double t = e.value("t", 0.0);
  const std::string kind = e.value("kind", "");
  const std::string text = e.value("text", "");
  s.notes.emplace_back(t, kind + ": " + text);
  keep_last(s.notes, kNotesKept);
  if (kind != "dtu_online" && kind != "dtu_offline") return;
  // "13800000101 registered from ..." or "13800000101: silent for ..."
  const std::string dtu = text.substr(0, text.find_first_of(": "));
  RunDtu& d = s.dtus[dtu];
  d.online = kind == "dtu_online";
  (d.online ? d.registrations : d.drops) += 1;
  d.last = text.substr(std::min(text.size(), dtu.size() + 1));
}

void on_cycle(ScenarioState& s, const Json& e) {
  RunConcentrator& c = s.concentrators[e.value("concentrator", "")];
  c.cycles += 1;
  c.last_meters = e.value("meters", std::int64_t{0});
  c.last_read = e.value("read", std::int64_t{0});
  c.meters += c.last_meters;
  c.read += c.last_read;
  c.failed += e.value("failed", std::int64_t{0});
}

}  // namespace

std::size_t ScenarioState::count(CheckView::Status status) const {
  return static_cast<std::size_t>(std::count_if(
      checks.begin(), checks.end(), [status](const CheckView& c) { return c.status == status; }));
}

void ScenarioState::apply(const std::string& line) {
  const Json e = line.starts_with("{") ? Json::parse(line, nullptr, false) : Json();
  if (!e.is_object() || !e.contains("event")) {
    if (line.empty()) return;
    output.push_back(line);
    keep_last(output, kOutputKept);
    return;
  }
  const std::string event = e.value("event", "");
  if (event == "control") {
    control_url = e.value("url", "");
  } else if (event == "plan") {
    on_plan(*this, e);
  } else if (event == "note") {
    on_note(*this, e);
  } else if (event == "cycle") {
    on_cycle(*this, e);
  } else if (event == "check") {
    const auto index = e.value("index", std::size_t{0});
    if (index >= checks.size()) return;
    CheckView& c = checks[index];
    c.status = status_of(e);
    c.message = e.value("message", "");
    c.final = e.value("final", false);
  } else if (event == "done") {
    replay = e.value("replay", "");
    error = e.value("error", "");
    phase = e.value("passed", false) ? Phase::passed : Phase::failed;
  }
}

std::vector<std::string> ScenarioRun::command(const ScenarioRunOptions& o) {
  std::vector<std::string> args = {o.binary,   "run", o.file,       "--control", "127.0.0.1:0",
                                   "--events", "-",   "--work-dir", o.work_dir};
  if (o.live) args.emplace_back("--live");
  if (o.pace > 0) {
    args.emplace_back("--pace");
    args.push_back(std::to_string(o.pace));
  }
  if (o.seed) {
    args.emplace_back("--seed");
    args.push_back(std::to_string(*o.seed));
  }
  return args;
}

ScenarioRun::ScenarioRun(ScenarioRunOptions options) : options_(std::move(options)) {
  state_.file = options_.file;
  state_.live = options_.live;
  state_.work_dir = options_.work_dir;
  state_.phase = ScenarioState::Phase::starting;
  std::error_code ec;
  std::filesystem::create_directories(options_.work_dir, ec);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    state_.phase = ScenarioState::Phase::error;
    state_.error = std::string("pipe: ") + std::strerror(errno);
    return;
  }
  // The run's standard output (progress) and error (its report) both come down the pipe.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);  // its own group, to stop it
  posix_spawnattr_setpgroup(&attributes, 0);
  std::vector<std::string> args = command(options_);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int spawned =
      ::posix_spawn(&pid_, options_.binary.c_str(), &actions, &attributes, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(fds[1]);
  if (spawned != 0) {
    ::close(fds[0]);
    pid_ = -1;
    state_.phase = ScenarioState::Phase::error;
    state_.error = options_.binary + ": " + std::strerror(spawned);
    return;
  }
  reader_ = std::thread([this, fd = fds[0]] { follow(fd); });
}

ScenarioRun::~ScenarioRun() {
  stop();
  if (reader_.joinable()) reader_.join();
}

void ScenarioRun::follow(int fd) {
  std::string pending;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buffer, static_cast<std::size_t>(n));
    for (auto end = pending.find('\n'); end != std::string::npos; end = pending.find('\n')) {
      const std::string line = pending.substr(0, end);
      pending.erase(0, end + 1);
      std::lock_guard lock(mutex_);
      state_.apply(line);
    }
  }
  ::close(fd);
  int status = 0;
  const pid_t waited = ::waitpid(pid_, &status, 0);
  std::lock_guard lock(mutex_);
  reaped_ = true;
  if (!pending.empty()) state_.apply(pending);
  state_.exit_code = waited == pid_ && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  const bool ended =
      state_.phase == ScenarioState::Phase::passed || state_.phase == ScenarioState::Phase::failed;
  if (!ended) {
    state_.phase = ScenarioState::Phase::error;
    if (state_.error.empty()) {
      state_.error =
          waited == pid_ && WIFSIGNALED(status)
              ? "stopped (signal " + std::to_string(WTERMSIG(status)) + ")"
              : "the run ended without a verdict (exit " + std::to_string(state_.exit_code) + ")";
      if (!state_.output.empty()) state_.error += ": " + state_.output.back();
    }
  }
}

ScenarioState ScenarioRun::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

std::optional<std::pair<std::string, std::uint16_t>> ScenarioRun::control() const {
  std::lock_guard lock(mutex_);
  const std::string prefix = "http://";
  const std::string& url = state_.control_url;
  const auto colon = url.rfind(':');
  if (!url.starts_with(prefix) || colon == std::string::npos || colon < prefix.size())
    return std::nullopt;
  const int port = std::atoi(url.c_str() + colon + 1);
  if (port <= 0 || port > 65535) return std::nullopt;
  return std::pair{url.substr(prefix.size(), colon - prefix.size()),
                   static_cast<std::uint16_t>(port)};
}

bool ScenarioRun::finished() const {
  std::lock_guard lock(mutex_);
  return pid_ < 0 || reaped_;
}

void ScenarioRun::stop() {
  pid_t group = -1;
  {
    std::lock_guard lock(mutex_);
    if (pid_ < 0 || reaped_) return;
    group = pid_;
  }
  ::kill(-group, SIGTERM);
  for (int i = 0; i < 50 && !finished(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (!finished()) ::kill(-group, SIGKILL);
}

}  // namespace heatlink::gui
