#include "heatlink/master/gateway/dtu_registry.h"

#include <algorithm>

namespace heatlink::master {

DtuRegistry::DtuRegistry(GatewayConfig config, Log log, WallClock clock)
    : config_(std::move(config)), log_(std::move(log)), clock_(std::move(clock)) {
  for (const auto& entry : config_.dtus) longest_id_ = std::max(longest_id_, entry.first.size());
}

const DtuModel* DtuRegistry::model_for_id(const std::string& id, bool& parked) const {
  parked = false;
  if (const auto known = config_.dtus.find(id); known != config_.dtus.end()) {
    return config_.model(known->second);
  }
  if (config_.unknown == UnknownDtus::reject) return nullptr;
  parked = true;
  return config_.model(config_.unknown_model);
}

bool DtuRegistry::longer_known(std::string_view prefix) const {
  for (auto it = config_.dtus.lower_bound(std::string(prefix));
       it != config_.dtus.end() && it->first.starts_with(prefix); ++it) {
    if (it->first.size() > prefix.size()) return true;
  }
  return false;
}

bool DtuRegistry::admit() {
  std::lock_guard lock(mutex_);
  ++stats_.accepted;
  if (stats_.connections >= config_.max_connections ||
      stats_.unregistered >= config_.max_unregistered) {
    ++stats_.refused;
    return false;
  }
  ++stats_.connections;
  ++stats_.unregistered;
  return true;
}

void DtuRegistry::on_registered(const std::shared_ptr<DtuEndpoint>& endpoint, const DtuModel& model,
                                bool parked) {
  std::shared_ptr<DtuEndpoint> stale;
  std::string previous;
  {
    std::lock_guard lock(mutex_);
    --stats_.unregistered;
    ++stats_.online;
    Entry& entry = dtus_[endpoint->id()];
    stale = entry.endpoint.lock();
    if (stale == endpoint) stale.reset();
    if (stale) {
      --stats_.online;  // the stale one stops counting now; it closes on its own
      ++stats_.replaced;
      previous = entry.state.remote;
    }
    entry.endpoint = endpoint;
    DtuState& s = entry.state;
    s.id = endpoint->id();
    s.model = parked ? "unassigned" : model.name;
    s.parked = parked;
    s.online = true;
    s.remote = endpoint->remote();
    s.connected_at = s.last_seen = clock_();
    ++s.registrations;
  }
  if (stale) stale->close("replaced by a newer connection from " + endpoint->remote());
  log("DTU " + endpoint->id() + " registered from " + endpoint->remote() +
      (parked ? " (unknown: parked as unassigned)" : "") +
      (previous.empty() ? "" : "; closing the stale connection from " + previous));
}

void DtuRegistry::on_closed(const DtuEndpoint& endpoint, const std::string& reason, bool silent,
                            bool rejected) {
  bool was_current = false;
  {
    std::lock_guard lock(mutex_);
    --stats_.connections;
    if (!endpoint.registered()) --stats_.unregistered;
    if (rejected) ++stats_.rejected;
    if (silent) ++stats_.silent_drops;
    if (endpoint.registered()) {
      Entry& entry = dtus_[endpoint.id()];
      was_current = entry.endpoint.lock().get() == &endpoint;
      if (was_current) {
        entry.state.online = false;
        entry.state.last_drop = reason;
        --stats_.online;
      }
    }
  }
  if (endpoint.registered() && !was_current) return;  // replaced: already said
  log((endpoint.registered() ? "DTU " + endpoint.id() : "connection") + " from " +
      endpoint.remote() + " closed: " + reason);
}

void DtuRegistry::on_traffic(const std::string& id, const DtuTraffic& traffic) {
  std::lock_guard lock(mutex_);
  DtuState& s = dtus_[id].state;
  s.bytes_in += traffic.in;
  s.bytes_out += traffic.out;
  s.heartbeats += traffic.heartbeats;
  s.garbage_packets += traffic.garbage;
  s.unsolicited_bytes += traffic.unsolicited;
  if (traffic.in > 0) s.last_seen = clock_();
}

std::shared_ptr<DtuEndpoint> DtuRegistry::endpoint(const std::string& id) const {
  std::lock_guard lock(mutex_);
  const auto it = dtus_.find(id);
  return it == dtus_.end() ? nullptr : it->second.endpoint.lock();
}

std::vector<DtuState> DtuRegistry::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<DtuState> out;
  out.reserve(dtus_.size());
  for (const auto& [id, entry] : dtus_) out.push_back(entry.state);
  return out;
}

std::optional<DtuState> DtuRegistry::state(const std::string& id) const {
  std::lock_guard lock(mutex_);
  const auto it = dtus_.find(id);
  if (it == dtus_.end()) return std::nullopt;
  return it->second.state;
}

GatewayStats DtuRegistry::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void DtuRegistry::log(const std::string& line) const {
  if (log_) log_(line);
}

}  // namespace heatlink::master
