// What the YAML configuration loaders share: an error thrown inside a loader only, and the
// wrapper that turns it - and yaml-cpp's own - into "file:line:column: key: what".
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <variant>

namespace heatlink::master {

struct ConfigError {
  std::string text;
};

// Runs `body` (which reads `path`), returning its value or the error in words.
template <class F>
auto load_guarded(const std::string& path, F&& body)
    -> std::variant<decltype(body()), std::string> {
  try {
    return body();
  } catch (const ConfigError& e) {
    return e.text;
  } catch (const YAML::BadFile&) {
    return path + ": cannot read the file";
  } catch (const YAML::Exception& e) {
    return path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
           ": " + e.msg;
  }
}

}  // namespace heatlink::master
