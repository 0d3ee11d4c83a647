// What the YAML loaders (topologies here, scenarios in the harness) share: reading values with
// their place in the file, and failing with file, line, column and key. A YamlError is thrown
// inside a loader only; each loader returns it as a value.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "heatlink/sim/yaml_error.h"

namespace heatlink::sim {

class YamlReader {
 public:
  explicit YamlReader(std::string file) : file_(std::move(file)) {}

  const std::string& file() const noexcept { return file_; }

  // Throws a YamlError at `node`'s place.
  [[noreturn]] void fail(const YAML::Node& node, std::string_view key, std::string message) const;

  // Every key of `map` must be one of `allowed`; the nearest one is suggested. `where`
  // ("meta") goes into the message when given.
  void check_keys(const YAML::Node& map, std::span<const std::string_view> allowed,
                  std::string_view where = {}) const;
  void check_keys(const YAML::Node& map, std::initializer_list<std::string_view> allowed,
                  std::string_view where = {}) const {
    check_keys(map, std::span<const std::string_view>(allowed.begin(), allowed.size()), where);
  }

  // A mapping anywhere under `node` that gives a key twice is an error at the second one
  // (yaml-cpp keeps both and reads the first: a silent surprise for whoever wrote the second).
  void check_unique_keys(const YAML::Node& node) const;

  // The text of the file parsed, after checking that it is UTF-8 (else an error at the first
  // byte that is not) and that no mapping gives a key twice.
  YAML::Node load(std::string_view text) const;

  // A number is finite: .nan and .inf are no meter's energy, no fault's delay.
  template <class T>
  T value(const YAML::Node& node, std::string_view key, const char* expected) const {
    T out{};
    try {
      out = node.as<T>();
    } catch (const YAML::Exception&) {
      fail(node, key, std::string("expected ") + expected);
    }
    if constexpr (std::is_floating_point_v<T>) {
      if (!std::isfinite(out)) fail(node, key, std::string("expected ") + expected + ", finite");
    }
    return out;
  }

  template <class T>
  void optional(const YAML::Node& map, const char* key, T& out, const char* expected) const {
    if (const YAML::Node n = map[key]) out = value<T>(n, key, expected);
  }

  // `map[key]` as a number within [lo, hi], or `fallback` when absent.
  double number(const YAML::Node& map, const char* key, double fallback, double lo,
                double hi) const;

 private:
  std::string file_;
};

}  // namespace heatlink::sim
