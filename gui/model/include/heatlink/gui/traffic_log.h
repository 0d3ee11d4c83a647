// The simulator's traffic as the panel shows it: a thread follows GET /api/v1/traffic (server-
// sent events), keeps the latest events in a bounded ring, and hands out filtered copies.
// Frames carry simulated time; export writes them in the scenario trace format (JSON Lines of
// t, source, kind, hex), which `heatlink run --trace` writes too.
//
// Thread-safe: the follower thread appends, any thread reads.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace heatlink::gui {

struct TrafficEvent {
  double t = 0;         // simulated seconds
  std::string source;   // "hm660-1/ch1", "gprs/13800138000", "dtu/13800138000", ...
  std::string kind;     // "request", "reply", "to_server", "fault_start:loss", ...
  std::string hex;      // the bytes, if any
  std::string summary;  // a decoded headline of a whole frame, if any
};

struct TrafficFilter {
  std::string text;          // matched against source, kind and summary (empty: all)
  bool frames_only = false;  // only events that carry bytes
};

bool matches(const TrafficEvent& event, const TrafficFilter& filter);

// Parses one `data:` payload of the stream; false when it is not a traffic event.
bool parse_traffic_event(const std::string& json, TrafficEvent& event);

class TrafficLog {
 public:
  explicit TrafficLog(std::size_t capacity = 20000) : capacity_(capacity) {}
  ~TrafficLog();
  TrafficLog(const TrafficLog&) = delete;
  TrafficLog& operator=(const TrafficLog&) = delete;

  // Follows the stream of host:port on a thread until stop(); reconnects after a cut.
  void follow(const std::string& host, std::uint16_t port);
  void stop();

  void add(TrafficEvent event);
  void clear();
  // The latest `limit` events that pass `filter`, oldest first.
  std::vector<TrafficEvent> latest(const TrafficFilter& filter, std::size_t limit) const;
  std::uint64_t received() const { return received_.load(); }
  bool connected() const { return connected_.load(); }
  // Writes the kept events that pass `filter` as trace lines; answers how many.
  std::size_t export_trace(std::ostream& out, const TrafficFilter& filter) const;

 private:
  void run(std::string host, std::uint16_t port);

  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<TrafficEvent> events_;
  std::atomic<std::uint64_t> received_{0};
  std::atomic<bool> connected_{false};
  std::mutex socket_mutex_;
  bool stopping_ = false;  // under socket_mutex_
  int socket_ = -1;        // the follower's socket, shut down by stop(); under socket_mutex_
  std::thread thread_;
};

}  // namespace heatlink::gui
