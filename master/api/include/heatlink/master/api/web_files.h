// The browser UI's files (master/web, built by Vite into build/web), served by the API server
// next to the API: read once at start, so that only files that were there can be served and no
// path from a request ever reaches the file system.
//
// A path that names a file gets it; a path without a file extension (a page of the
// single-page application, /monitoring, /base/meters) gets index.html; anything else is 404.
// Vite's hashed files under /assets/ are cached for a year, index.html never. Text files are
// compressed once at load and sent gzipped to browsers that accept it. Every answer
// carries the UI's Content-Security-Policy: scripts, styles, fonts and connections from the
// master only (no CDN: a plant network has no internet).
//
// Thread-safe after load(): answer() only reads.
#pragma once

#include <cstddef>
#include <map>
#include <string>

#include "heatlink/master/api/api.h"

namespace heatlink::master::api {

class WebFiles {
 public:
  // Reads every file under `root`. Empty, or what failed (no index.html, an unreadable file).
  std::string load(const std::string& root);
  bool loaded() const { return !files_.empty(); }
  std::size_t file_count() const { return files_.size(); }

  // True for the paths the UI serves: everything but /api/... and /metrics.
  static bool serves(const std::string& path);
  // Answers a GET or HEAD for `request.target` (405 for another method).
  Response answer(const Request& request) const;

 private:
  struct File {
    std::string content_type;
    std::string body;
    std::string gzipped;  // empty: sent as it is (small, or does not compress)
  };
  std::map<std::string, File, std::less<>> files_;  // "/index.html", "/assets/index-3f2a.js"
};

}  // namespace heatlink::master::api
