#include "heatlink/gui/traffic_log.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>

namespace heatlink::gui {

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A plain socket: the stream is read line by line until stop() shuts it down.
int connect_to(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return -1;
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  return fd;
}

}  // namespace

bool matches(const TrafficEvent& event, const TrafficFilter& filter) {
  if (filter.frames_only && event.hex.empty()) return false;
  if (filter.text.empty()) return true;
  return contains(event.source, filter.text) || contains(event.kind, filter.text) ||
         contains(event.summary, filter.text);
}

bool parse_traffic_event(const std::string& json, TrafficEvent& event) {
  const auto j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object() || !j.contains("t") || !j["t"].is_number() || !j.contains("source") ||
      !j["source"].is_string() || !j.contains("kind") || !j["kind"].is_string())
    return false;
  event.t = j["t"].get<double>();
  event.source = j["source"].get<std::string>();
  event.kind = j["kind"].get<std::string>();
  event.hex = j.value("hex", "");
  event.summary = j.value("summary", "");
  return true;
}

TrafficLog::~TrafficLog() {
  stop();
}

void TrafficLog::follow(const std::string& host, std::uint16_t port) {
  stop();
  std::lock_guard lock(socket_mutex_);
  stopping_ = false;
  thread_ = std::thread([this, host, port] { run(host, port); });
}

void TrafficLog::stop() {
  {
    std::lock_guard lock(socket_mutex_);
    stopping_ = true;
    if (socket_ >= 0) ::shutdown(socket_, SHUT_RDWR);
  }
  if (thread_.joinable()) thread_.join();
}

void TrafficLog::add(TrafficEvent event) {
  std::lock_guard lock(mutex_);
  events_.push_back(std::move(event));
  if (events_.size() > capacity_) events_.pop_front();
  ++received_;
}

void TrafficLog::clear() {
  std::lock_guard lock(mutex_);
  events_.clear();
}

std::vector<TrafficEvent> TrafficLog::latest(const TrafficFilter& filter, std::size_t limit) const {
  std::vector<TrafficEvent> out;
  std::lock_guard lock(mutex_);
  for (auto it = events_.rbegin(); it != events_.rend() && out.size() < limit; ++it)
    if (matches(*it, filter)) out.push_back(*it);
  return {out.rbegin(), out.rend()};
}

std::size_t TrafficLog::export_trace(std::ostream& out, const TrafficFilter& filter) const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const TrafficEvent& e : events_) {
    if (!matches(e, filter)) continue;
    nlohmann::json line{{"t", e.t}, {"source", e.source}, {"kind", e.kind}};
    if (!e.hex.empty()) line["hex"] = e.hex;
    out << line.dump() << '\n';
    ++n;
  }
  return n;
}

void TrafficLog::run(std::string host, std::uint16_t port) {
  auto stopping = [this] {
    std::lock_guard lock(socket_mutex_);
    return stopping_;
  };
  while (!stopping()) {
    const int fd = connect_to(host, port);
    if (fd < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    {
      std::lock_guard lock(socket_mutex_);
      socket_ = fd;
      if (stopping_) ::shutdown(fd, SHUT_RDWR);
    }
    const std::string request =
        "GET /api/v1/traffic HTTP/1.1\r\nHost: " + host + "\r\nAccept: text/event-stream\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) > 0) {
      connected_ = true;
      std::string pending;
      bool in_body = false;
      char buffer[16384];
      for (;;) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        pending.append(buffer, static_cast<std::size_t>(n));
        if (!in_body) {  // the response's headers end with an empty line
          const auto end = pending.find("\r\n\r\n");
          if (end == std::string::npos) continue;
          pending.erase(0, end + 4);
          in_body = true;
        }
        std::size_t start = 0;
        for (auto nl = pending.find('\n'); nl != std::string::npos;
             nl = pending.find('\n', start)) {
          const std::string line = pending.substr(start, nl - start);
          start = nl + 1;
          TrafficEvent event;
          if (line.starts_with("data: ") && parse_traffic_event(line.substr(6), event))
            add(std::move(event));
        }
        pending.erase(0, start);
      }
    }
    connected_ = false;
    {
      std::lock_guard lock(socket_mutex_);
      socket_ = -1;
      ::close(fd);
    }
    if (!stopping()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace heatlink::gui
