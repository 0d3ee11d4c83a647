#include "heatlink/master/api/web_files.h"

#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

namespace heatlink::master::api {

namespace {

namespace fs = std::filesystem;

constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

std::string content_type_of(const fs::path& file) {
  static const std::map<std::string, std::string, std::less<>> types = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".ttf", "font/ttf"},
      {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"},
  };
  const auto found = types.find(file.extension().string());
  return found == types.end() ? "application/octet-stream" : found->second;
}

// gzip of `text` (RFC 1952), or empty when it would not be smaller.
std::string gzip(const std::string& text) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
    return {};
  std::string out(deflateBound(&z, static_cast<uLong>(text.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const bool done = deflate(&z, Z_FINISH) == Z_STREAM_END;
  out.resize(z.total_out);
  deflateEnd(&z);
  return done && out.size() < text.size() ? out : std::string();
}

bool compressible(const std::string& content_type) {
  return content_type.starts_with("text/") || content_type == "application/json" ||
         content_type == "image/svg+xml";
}

bool accepts_gzip(const Request& request) {
  const auto found = request.headers.find("accept-encoding");
  return found != request.headers.end() && found->second.find("gzip") != std::string::npos;
}

std::string_view path_of(const std::string& target) {
  return std::string_view(target).substr(0, target.find_first_of("?#"));
}

}  // namespace

std::string WebFiles::load(const std::string& root) {
  files_.clear();
  std::error_code ec;
  if (!fs::is_regular_file(fs::path(root) / "index.html", ec))
    return root + ": no index.html (build the UI: make build)";
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    if (!in.good() && !in.eof()) return it->path().string() + ": cannot be read";
    const std::string relative = fs::relative(it->path(), root, ec).generic_string();
    File file{content_type_of(it->path()), std::move(body).str(), {}};
    if (compressible(file.content_type) && file.body.size() > 1024) file.gzipped = gzip(file.body);
    files_["/" + relative] = std::move(file);
  }
  if (ec) return root + ": " + ec.message();
  return {};
}

bool WebFiles::serves(const std::string& path) {
  const std::string_view p = path_of(path);
  return !(p == "/api" || p.starts_with("/api/") || p == "/metrics");
}

Response WebFiles::answer(const Request& request) const {
  Response r;
  r.headers = {{"Content-Security-Policy", kContentSecurityPolicy},
               {"X-Content-Type-Options", "nosniff"},
               {"X-Frame-Options", "DENY"},
               {"Referrer-Policy", "no-referrer"}};
  if (request.method != "GET" && request.method != "HEAD") {
    r.status = 405;
    r.content_type = "text/plain; charset=utf-8";
    r.headers.emplace_back("Allow", "GET, HEAD");
    r.body = "405 method not allowed\n";
    return r;
  }
  const std::string_view path = path_of(request.target);
  auto found = files_.find(path == "/" ? std::string_view("/index.html") : path);
  // A page of the application (/monitoring, /base/meters): no extension in its last segment.
  const std::string_view last = path.substr(path.rfind('/') + 1);
  if (found == files_.end() && last.find('.') == std::string_view::npos &&
      !path.starts_with("/assets/"))
    found = files_.find("/index.html");
  if (found == files_.end()) {
    r.status = 404;
    r.content_type = "text/plain; charset=utf-8";
    r.headers.emplace_back("Cache-Control", "no-store");
    r.body = "404 not found\n";
    return r;
  }
  r.content_type = found->second.content_type;
  // Vite names the files under /assets/ by their content's hash: they never change.
  r.headers.emplace_back("Cache-Control", found->first.starts_with("/assets/")
                                              ? "public, max-age=31536000, immutable"
                                              : "no-cache");
  const File& file = found->second;
  const bool gzipped = !file.gzipped.empty() && accepts_gzip(request);
  if (!file.gzipped.empty()) r.headers.emplace_back("Vary", "Accept-Encoding");
  if (gzipped) r.headers.emplace_back("Content-Encoding", "gzip");
  r.body = gzipped ? file.gzipped : file.body;  // the server sends only the headers of a HEAD
  return r;
}

}  // namespace heatlink::master::api
