// Frames captured from real meters (../shared/vectors/jmbus-wired-frames.json).
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test_frames.h"

namespace heatlink::protocol::testing {

struct CapturedFrame {
  std::string name;
  std::string comment;
  std::vector<std::uint8_t> bytes;
  bool valid = false;
};

inline std::vector<CapturedFrame> captured_frames() {
  std::ifstream in(HEATLINK_SHARED_DIR "/vectors/jmbus-wired-frames.json");
  EXPECT_TRUE(in.good()) << "cannot open " HEATLINK_SHARED_DIR "/vectors/jmbus-wired-frames.json";
  std::vector<CapturedFrame> out;
  if (!in) return out;
  const auto doc = nlohmann::json::parse(in);
  for (const auto& f : doc.at("frames")) {
    out.push_back(CapturedFrame{f.at("name").get<std::string>(), f.value("comment", ""),
                                hex(f.at("hex").get<std::string>()),
                                f.at("valid_long_frame").get<bool>()});
  }
  return out;
}

}  // namespace heatlink::protocol::testing
