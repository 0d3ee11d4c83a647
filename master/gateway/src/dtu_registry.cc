#include "heatlink/master/gateway/dtu_registry.h"

#include <algorithm>

#include "heatlink/master/gateway/network.h"

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

namespace {

// The host of a remote "10.64.0.2:40312" or "[::1]:40312".
std::string host_of(const std::string& remote) {
  const auto colon = remote.rfind(':');
  return colon == std::string::npos ? remote : remote.substr(0, colon);
}

// Compares in time independent of where the texts differ: a key is not guessed byte by byte.
bool same_key(const std::string& a, const std::string& b) {
  unsigned char differ = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < b.size(); ++i)
    differ |= static_cast<unsigned char>(i < a.size() ? a[i] ^ b[i] : 1);
  return differ == 0;
}

}  // namespace

std::string DtuRegistry::distrust(const std::string& id, const std::string& key,
                                  const std::string& remote) {
  std::string why;
  if (const auto expected = config_.keys.find(id); expected != config_.keys.end()) {
    if (key.empty())
      why = "its registration carries no key";
    else if (!same_key(key, expected->second))
      why = "the key of its registration is wrong";
  } else if (!key.empty()) {
    why = "a key where none is configured";
  }
  if (const auto nets = config_.networks.find(id); why.empty() && nets != config_.networks.end()) {
    const std::string host = host_of(remote);
    const bool inside = std::any_of(nets->second.begin(), nets->second.end(),
                                    [&](const auto& n) { return Network{n}.contains(host); });
    if (!inside) why = "connected from " + host + ", outside its networks";
  }
  if (why.empty()) return why;
  // Counted on the DTU, also on one of the configuration not seen since the start: someone
  // claims it before it ever came.
  std::lock_guard lock(mutex_);
  auto entry = dtus_.find(id);
  if (const auto listed = config_.dtus.find(id);
      entry == dtus_.end() && listed != config_.dtus.end()) {
    entry = dtus_.emplace(id, Entry{}).first;
    entry->second.state.id = id;
    entry->second.state.model = listed->second;
  }
  if (entry != dtus_.end()) {
    ++entry->second.state.refused_claims;
    entry->second.state.last_refused = remote + ": " + why;
  }
  return why;
}

bool DtuRegistry::admit(const std::shared_ptr<DtuEndpoint>& endpoint) {
  std::vector<std::shared_ptr<DtuEndpoint>> evicted;
  const std::string address = host_of(endpoint->remote());
  {
    std::lock_guard lock(mutex_);
    ++stats_.accepted;
    auto make_room = [&](const std::string& of) {
      auto oldest = give_way(of);
      if (!oldest) return false;
      evicted.push_back(std::move(oldest));
      return true;
    };
    // The registered connections and those waiting (not those closing to make room).
    const std::size_t staying = stats_.connections - stats_.unregistered + waiting_.size();
    if (staying >= config_.max_connections && !make_room("")) {
      ++stats_.refused;
      return false;
    }
    if (waiting_per_address_[address] >= config_.max_unregistered_per_address) make_room(address);
    if (waiting_.size() >= config_.max_unregistered) make_room("");
    stats_.evicted += evicted.size();
    ++stats_.connections;
    ++stats_.unregistered;
    waiting_index_[endpoint.get()] = waiting_.insert(waiting_.end(), {endpoint, address});
    ++waiting_per_address_[address];
  }
  for (const auto& e : evicted)
    e->close("gave way to a newer connection: too many connections that have not registered");
  return true;
}

void DtuRegistry::stop_waiting(const DtuEndpoint* endpoint) {
  const auto it = waiting_index_.find(endpoint);
  if (it == waiting_index_.end()) return;
  const auto count = waiting_per_address_.find(it->second->address);
  if (count != waiting_per_address_.end() && --count->second == 0)
    waiting_per_address_.erase(count);
  waiting_.erase(it->second);
  waiting_index_.erase(it);
}

std::shared_ptr<DtuEndpoint> DtuRegistry::give_way(const std::string& address) {
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
    if (!address.empty() && it->address != address) continue;
    auto endpoint = it->endpoint.lock();
    if (!endpoint) continue;
    stop_waiting(endpoint.get());
    return endpoint;
  }
  return nullptr;
}

bool DtuRegistry::room_to_park(const std::string& id) {
  if (dtus_.contains(id) || parked_ < config_.max_parked) return true;
  if (parked_offline_.empty()) return false;
  const std::string oldest = parked_offline_.begin()->second;
  parked_offline_.erase(parked_offline_.begin());
  dtus_.erase(oldest);
  --parked_;
  ++stats_.parked_forgotten;
  return true;
}

namespace {

std::int64_t epoch_of(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

void DtuRegistry::list_contenders(Entry& entry) {
  std::erase_if(entry.contenders, [](const Contender& c) { return c.endpoint.expired(); });
  entry.state.contenders.clear();
  for (const Contender& c : entry.contenders) {
    if (auto e = c.endpoint.lock()) entry.state.contenders.push_back(e->remote());
  }
}

void DtuRegistry::on_registered(const std::shared_ptr<DtuEndpoint>& endpoint, const DtuModel& model,
                                bool parked) {
  std::shared_ptr<DtuEndpoint> stale;
  std::string previous;
  bool contender = false;
  bool refused_park = false;
  {
    std::lock_guard lock(mutex_);
    --stats_.unregistered;
    stop_waiting(endpoint.get());
    if (parked && !room_to_park(endpoint->id())) {
      refused_park = true;
    }
  }
  if (refused_park) {
    log("DTU " + endpoint->id() + " from " + endpoint->remote() +
        " refused: " + std::to_string(config_.max_parked) + " unknown DTUs parked, all online");
    endpoint->close("refused: every place for an unknown DTU is taken");
    return;
  }
  {
    std::lock_guard lock(mutex_);
    const bool known = dtus_.contains(endpoint->id());
    Entry& entry = dtus_[endpoint->id()];
    if (parked && !known) {
      ++parked_;
    } else if (entry.offline_order != 0) {
      parked_offline_.erase({entry.offline_order, endpoint->id()});
      entry.offline_order = 0;
    }
    DtuState& s = entry.state;
    const auto now = clock_();
    auto holder = entry.endpoint.lock();
    if (holder == endpoint) holder.reset();
    ++s.registrations;
    // A holder heard from within most of a heartbeat interval is alive: a DTU whose NAT
    // mapping died or that rebooted has missed its beat by the time it registers again. The
    // interval is wall time; the clock the master's, time_scale times faster.
    const auto quiet = std::chrono::duration_cast<std::chrono::system_clock::duration>(
        entry.heartbeat * 0.75 * config_.time_scale);
    if (holder && s.online && now - s.last_seen < quiet) {
      entry.contenders.push_back({endpoint, now});
      ++s.contested_claims;
      list_contenders(entry);
      contender = true;
      previous = s.remote;
    } else {
      ++stats_.online;
      if (holder) {
        --stats_.online;  // the stale one stops counting now; it closes on its own
        ++stats_.replaced;
        stale = holder;
        previous = s.remote;
      }
      entry.endpoint = endpoint;
      entry.heartbeat = model.heartbeat_interval;
      s.id = endpoint->id();
      s.model = parked ? "unassigned" : model.name;
      s.parked = parked;
      s.online = true;
      s.remote = endpoint->remote();
      s.connected_at = s.last_seen = now;
    }
  }
  if (contender) {
    log("DTU " + endpoint->id() + " claimed from " + endpoint->remote() +
        " while the session from " + previous + " is alive: the newcomer waits");
    return;
  }
  if (stale) stale->close("replaced by a newer connection from " + endpoint->remote());
  log("DTU " + endpoint->id() + " registered from " + endpoint->remote() +
      (parked ? " (unknown: parked as unassigned)" : "") +
      (previous.empty() ? "" : "; closing the stale connection from " + previous));
}

void DtuRegistry::on_closed(const DtuEndpoint& endpoint, const std::string& reason, bool silent,
                            bool rejected) {
  bool was_current = false;
  std::string took_over;
  {
    std::lock_guard lock(mutex_);
    --stats_.connections;
    if (!endpoint.registered()) {
      --stats_.unregistered;
      stop_waiting(&endpoint);
    }
    if (rejected) ++stats_.rejected;
    if (silent) ++stats_.silent_drops;
    const auto found = endpoint.registered() ? dtus_.find(endpoint.id()) : dtus_.end();
    if (found != dtus_.end()) {
      Entry& entry = found->second;
      std::erase_if(entry.contenders,
                    [&](const Contender& c) { return c.endpoint.lock().get() == &endpoint; });
      was_current = entry.endpoint.lock().get() == &endpoint;
      if (was_current) {
        // The newest contender that is still there takes the ID over.
        std::shared_ptr<DtuEndpoint> next;
        while (!next && !entry.contenders.empty()) {
          next = entry.contenders.back().endpoint.lock();
          entry.contenders.pop_back();
        }
        if (next) {
          entry.endpoint = next;
          entry.state.remote = took_over = next->remote();
          entry.state.connected_at = entry.state.last_seen = clock_();
        } else {
          entry.state.online = false;
          --stats_.online;
          if (entry.state.parked) {
            entry.offline_order = ++offline_order_;
            parked_offline_.insert({entry.offline_order, endpoint.id()});
          }
        }
        entry.state.last_drop = reason;
      }
      list_contenders(entry);
    }
  }
  if (endpoint.registered() && !was_current) return;  // replaced or a contender: already said
  log((endpoint.registered() ? "DTU " + endpoint.id() : "connection") + " from " +
      endpoint.remote() + " closed: " + reason +
      (took_over.empty() ? "" : "; the connection from " + took_over + " takes over"));
}

void DtuRegistry::on_traffic(const std::string& id, const std::string& remote,
                             const DtuTraffic& traffic) {
  std::lock_guard lock(mutex_);
  const auto found = dtus_.find(id);
  if (found == dtus_.end()) return;  // refused, or a parked ID forgotten
  Entry& entry = found->second;
  const auto holder = entry.endpoint.lock();
  // A contender's bytes are its own: they must not make the holder look alive.
  if (!holder || holder->remote() != remote) return;
  DtuState& s = entry.state;
  s.bytes_in += traffic.in;
  s.bytes_out += traffic.out;
  s.heartbeats += traffic.heartbeats;
  s.garbage_packets += traffic.garbage;
  s.unsolicited_bytes += traffic.unsolicited;
  if (traffic.in == 0) return;
  const auto now = clock_();
  s.last_seen = now;
  list_contenders(entry);
  if (entry.contenders.empty()) return;
  // The holder is alive while another connection claims its ID: two devices.
  if (!s.conflict)
    log("DTU " + id + ": two devices claim the ID (" + s.remote + " and " + s.contenders.front() +
        "): in conflict until an operator resolves it");
  s.conflict = true;
  std::string others;
  for (const std::string& c : s.contenders) others += (others.empty() ? "" : ", ") + c;
  s.conflict_detail = "the session from " + s.remote + " (since " +
                      std::to_string(epoch_of(s.connected_at)) + ") is alive while " + others +
                      " claim(s) the ID; " + std::to_string(s.contested_claims) +
                      " claim(s) from other connections, the last at " +
                      std::to_string(epoch_of(entry.contenders.back().claimed_at));
}

bool DtuRegistry::resolve_conflict(const std::string& id) {
  std::vector<std::shared_ptr<DtuEndpoint>> contenders;
  std::string kept;
  {
    std::lock_guard lock(mutex_);
    const auto it = dtus_.find(id);
    if (it == dtus_.end() || !it->second.state.conflict) return false;
    Entry& entry = it->second;
    for (const Contender& c : entry.contenders)
      if (auto e = c.endpoint.lock()) contenders.push_back(std::move(e));
    entry.state.conflict = false;
    entry.state.conflict_detail.clear();
    entry.state.contested_claims = 0;
    kept = entry.state.remote;
  }
  for (const auto& c : contenders) c->close("the operator kept the session from " + kept);
  log("DTU " + id + ": conflict resolved; the session from " + kept + " keeps the ID");
  return true;
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
  GatewayStats s = stats_;
  s.parked = parked_;
  return s;
}

void DtuRegistry::log(const std::string& line) const {
  if (log_) log_(line);
}

}  // namespace heatlink::master
