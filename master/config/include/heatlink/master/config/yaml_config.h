// What the YAML configuration loaders share (master.yaml, the base information, the gateway's
// file): an error thrown inside a loader only, the readers that throw it, and the wrapper that
// turns it - and yaml-cpp's own - into "file:line:column: key: what".
#pragma once

#include <yaml-cpp/yaml.h>

#include <set>
#include <string>
#include <variant>

namespace heatlink::master {

struct ConfigError {
  std::string text;
};

// Stops a loader: "file:line:column: key: what" at `node`.
[[noreturn]] inline void fail(const std::string& file, const YAML::Node& node,
                              const std::string& key, const std::string& what) {
  const YAML::Mark mark = node.Mark();
  throw ConfigError{file + ":" + std::to_string(mark.line + 1) + ":" +
                    std::to_string(mark.column + 1) + ": " + key + ": " + what};
}

// Every key of the mapping `map` (at `where`) is one of `keys`.
inline void check_keys(const std::string& file, const YAML::Node& map,
                       const std::set<std::string>& keys, const std::string& where) {
  if (!map.IsMap()) fail(file, map, where, "expected a mapping");
  for (const auto& kv : map) {
    const auto key = kv.first.as<std::string>();
    if (keys.count(key) == 0) fail(file, kv.first, key, "unknown key in " + where);
  }
}

// The value at `key` of `map` as a T, `fallback` when absent; `expected` names it in errors.
template <class T>
T value(const std::string& file, const YAML::Node& map, const char* key, T fallback,
        const char* expected) {
  const YAML::Node node = map[key];
  if (!node) return fallback;
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    fail(file, node, key, std::string("expected ") + expected);
  }
}

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
