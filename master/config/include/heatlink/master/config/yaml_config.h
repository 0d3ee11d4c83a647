// What the YAML configuration loaders share (master.yaml, the base information, the gateway's
// file): an error thrown inside a loader only, the readers that throw it, and the wrapper that
// turns it - and yaml-cpp's own - into "file:line:column: key: what".
#pragma once

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "heatlink/protocol/text_position.h"

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

// No mapping under `node` gives a key twice: yaml-cpp keeps both, and a reader would take
// one of them silently.
inline void check_unique_keys(const std::string& file, const YAML::Node& node, int depth = 0) {
  if (depth > 64) fail(file, node, "", "nested deeper than 64 levels");
  if (node.IsSequence()) {
    for (const YAML::Node& item : node) check_unique_keys(file, item, depth + 1);
    return;
  }
  if (!node.IsMap()) return;
  std::map<std::string, int> seen;  // key -> its line
  for (const auto& kv : node) {
    if (kv.first.IsScalar()) {
      const auto [first, fresh] = seen.try_emplace(kv.first.Scalar(), kv.first.Mark().line + 1);
      if (!fresh)
        fail(file, kv.first, kv.first.Scalar(),
             "given twice in one mapping (first at line " + std::to_string(first->second) + ")");
    }
    check_unique_keys(file, kv.second, depth + 1);
  }
}

// The text of `file` is UTF-8, else "file:line:column: not UTF-8 (byte 0xC3)" at the first
// byte that is not (the column counts characters; the JSON the master serves could not carry it).
inline void check_utf8(const std::string& file, std::string_view text) {
  const auto bad = protocol::invalid_utf8(text);
  if (!bad) return;
  throw ConfigError{file + ":" + std::to_string(bad->at.line) + ":" +
                    std::to_string(bad->at.column) + ": " + bad->what};
}

// YAML text of `file`: UTF-8, every mapping in it with each key once.
inline YAML::Node load_yaml_text(const std::string& file, const std::string& text) {
  check_utf8(file, text);
  YAML::Node root = YAML::Load(text);
  check_unique_keys(file, root);
  return root;
}

// A YAML file read whole, as load_yaml_text; a directory or an unreadable file named.
inline YAML::Node load_yaml_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ConfigError{path + ": a directory, not a file"};
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError{path + ": cannot read the file"};
  std::ostringstream text;
  text << in.rdbuf();
  return load_yaml_text(path, text.str());
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
  T out{};
  try {
    out = node.as<T>();
  } catch (const YAML::Exception&) {
    fail(file, node, key, std::string("expected ") + expected);
  }
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(out))
      fail(file, node, key, std::string("expected ") + expected + ", finite");
  }
  return out;
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
