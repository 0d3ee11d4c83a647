// A child process of a live run (`heatlink master`, `heatlink sim`): started with its output
// in files, stopped with a signal. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace heatlink::harness {

class Process {
 public:
  Process() = default;
  ~Process() { stop(); }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Starts `argv` with stdout and stderr appended to the given files. Empty, or why not.
  std::string start(const std::vector<std::string>& argv, const std::string& out,
                    const std::string& err);
  // Kills with `signal` and waits for the end (SIGKILL: kill -9).
  void kill(int signal);
  // SIGTERM, then SIGKILL after a grace period.
  void stop();
  bool running();

 private:
  pid_t pid_ = -1;
};

// A TCP port on 127.0.0.1 free at the moment of asking.
unsigned short free_port();

// The lines appended to a file since the last call.
class LogTail {
 public:
  explicit LogTail(std::string path) : path_(std::move(path)) {}
  std::vector<std::string> new_lines();

 private:
  std::string path_;
  std::size_t offset_ = 0;
  std::string partial_;
};

}  // namespace heatlink::harness
