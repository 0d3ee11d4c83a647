// A problem in a YAML file a user wrote (a topology, a scenario): where, which key, and what
// is wrong.
#pragma once

#include <string>

namespace heatlink::sim {

struct YamlError {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based
  std::string key;
  std::string message;

  // "district.yaml:12:7: key 'cout': unknown key (did you mean 'count'?)"; only the message
  // when there is no file (a message that names its place itself).
  std::string to_string() const;
};

}  // namespace heatlink::sim
