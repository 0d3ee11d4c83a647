// `heatlink master`'s configuration file and the base information it imports
// (docs/master.md). Errors name file:line:column and the key.
#pragma once

#include <string>
#include <variant>

#include "heatlink/master/analysis/fault_monitor.h"
#include "heatlink/master/engine/dispatcher.h"
#include "heatlink/master/engine/reading_engine.h"
#include "heatlink/master/storage/storage.h"

namespace heatlink::master {

enum class LogLevel : std::uint8_t { debug, info, warning };

struct MasterConfig {
  std::string database = "sqlite:heatlink.db";
  std::string gateway_config;    // path, relative paths resolved against the config's folder
  std::string base_information;  // path, likewise; empty: none
  LogLevel log_level = LogLevel::info;
  DispatcherOptions dispatcher;  // name, schedules, claims, jobs
  EngineOptions reading;
  FaultMonitorOptions faults;
  // The web API (docs/api.md): "HOST:PORT", or "off".
  std::string api_listen = "127.0.0.1:8080";
  unsigned api_threads = 2;
  // The browser UI's files: empty for the build's own (bin/../web beside the binary), a
  // directory (relative to master.yaml), or "off".
  std::string api_web;
  bool api_secure_cookies = false;  // the API is reached through HTTPS: cookies say Secure
};

std::variant<MasterConfig, std::string> load_master_config(const std::string& path);
// The settings master.yaml shares with a scenario (name, log_level, schedules, reading,
// faults, claims) from the value of the top-level key `under` of `text`; defaults when the
// key is absent. Errors name `file`:line:column and the key.
std::variant<MasterConfig, std::string> parse_master_settings(const std::string& text,
                                                              const std::string& file,
                                                              const std::string& under);

}  // namespace heatlink::master
