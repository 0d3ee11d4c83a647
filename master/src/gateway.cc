#include "heatlink/master/gateway.h"

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "dtu_session.h"

namespace heatlink::master {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// ---- GatewayConfig

const DtuModel* GatewayConfig::model(const std::string& name) const {
  if (name.empty()) return models.empty() ? nullptr : &models.front();
  for (const DtuModel& m : models) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::string GatewayConfig::problem() const {
  if (models.empty()) return "models: at least one DTU model is needed";
  for (const DtuModel& m : models) {
    if (m.heartbeat_interval.count() <= 0) return "models: " + m.name + ": heartbeat_s must be > 0";
  }
  for (const auto& [id, model_name] : dtus) {
    const DtuModel* m = model(model_name);
    if (m == nullptr) return "dtus: " + id + ": no model '" + model_name + "'";
    if (id.empty() || id.size() > protocol::dtu::kMaxIdLength)
      return "dtus: " + id + ": an ID has 1-40 bytes";
    if (m->convention == protocol::dtu::Convention::ddp && id.size() != protocol::dtu::kDdpIdLength)
      return "dtus: " + id + ": a DDP ID has exactly 11 bytes";
  }
  if (unknown == UnknownDtus::park && model(unknown_model) == nullptr)
    return "unknown_model: no model '" + unknown_model + "'";
  if (unknown_id_length == 0 || unknown_id_length > protocol::dtu::kMaxIdLength)
    return "unknown_id_length: 1-40";
  if (missed_heartbeats == 0) return "missed_heartbeats: at least 1";
  if (max_buffer < protocol::kMaxFrameSize) return "max_buffer: at least 272 bytes (one frame)";
  return {};
}

// ---- Gateway

struct Gateway::Acceptor {
  explicit Acceptor(asio::io_context& io) : acceptor(io) {}
  tcp::acceptor acceptor;
};

Gateway::Gateway(asio::io_context& io, GatewayConfig config, Log log)
    : io_(io),
      config_(std::move(config)),
      log_(std::move(log)),
      acceptor_(std::make_unique<Acceptor>(io)) {
  for (const auto& entry : config_.dtus) longest_id_ = std::max(longest_id_, entry.first.size());
}

Gateway::~Gateway() = default;

IoStatus Gateway::start() {
  if (const std::string problem = config_.problem(); !problem.empty()) return {problem};
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(config_.host, ec);
  if (ec) return {"listen address '" + config_.host + "': " + ec.message()};
  tcp::acceptor& a = acceptor_->acceptor;
  const tcp::endpoint endpoint(address, config_.port);
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return {"listen on " + config_.host + ":" + std::to_string(config_.port) + ": " + ec.message()};
  }
  port_ = a.local_endpoint().port();
  do_accept();
  return {};
}

void Gateway::stop() {
  asio::post(io_, [this] {
    boost::system::error_code ignored;
    acceptor_->acceptor.close(ignored);
  });
  std::vector<std::shared_ptr<DtuSession>> live;
  {
    std::lock_guard lock(mutex_);
    for (const auto& weak : sessions_) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  for (const auto& s : live) s->close("the gateway stopped");
}

void Gateway::do_accept() {
  acceptor_->acceptor.async_accept(
      asio::make_strand(io_), [this](const boost::system::error_code& ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !acceptor_->acceptor.is_open()) return;
        if (!ec) {
          bool refused = false;
          {
            std::lock_guard lock(mutex_);
            ++stats_.accepted;
            refused = stats_.connections >= config_.max_connections ||
                      stats_.unregistered >= config_.max_unregistered;
            if (refused) {
              ++stats_.refused;
            } else {
              ++stats_.connections;
              ++stats_.unregistered;
            }
          }
          if (refused) {
            boost::system::error_code ignored;
            socket.close(ignored);
          } else {
            auto session = std::make_shared<DtuSession>(*this, std::move(socket));
            {
              std::lock_guard lock(mutex_);
              if (sessions_.size() > 2 * stats_.connections + 64) {
                std::erase_if(sessions_, [](const auto& w) { return w.expired(); });
              }
              sessions_.push_back(session);
            }
            session->start();
          }
        }
        do_accept();
      });
}

const DtuModel* Gateway::model_for_id(const std::string& id, bool& parked) const {
  parked = false;
  if (const auto known = config_.dtus.find(id); known != config_.dtus.end()) {
    return config_.model(known->second);
  }
  if (config_.unknown == UnknownDtus::reject) return nullptr;
  parked = true;
  return config_.model(config_.unknown_model);
}

bool Gateway::longer_known(std::string_view prefix) const {
  for (auto it = config_.dtus.lower_bound(std::string(prefix));
       it != config_.dtus.end() && it->first.starts_with(prefix); ++it) {
    if (it->first.size() > prefix.size()) return true;
  }
  return false;
}

void Gateway::on_registered(const std::shared_ptr<DtuSession>& session, const DtuModel& model,
                            bool parked) {
  std::shared_ptr<DtuSession> stale;
  std::string previous;
  {
    std::lock_guard lock(mutex_);
    --stats_.unregistered;
    ++stats_.online;
    Entry& entry = dtus_[session->id()];
    stale = entry.session.lock();
    if (stale == session) stale.reset();
    if (stale) {
      --stats_.online;  // the stale one stops counting now; it closes on its own strand
      ++stats_.replaced;
      previous = entry.state.remote;
    }
    entry.session = session;
    DtuState& s = entry.state;
    s.id = session->id();
    s.model = parked ? "unassigned" : model.name;
    s.parked = parked;
    s.online = true;
    s.remote = session->remote();
    s.connected_at = s.last_seen = std::chrono::system_clock::now();
    ++s.registrations;
  }
  if (stale) stale->close("replaced by a newer connection from " + session->remote());
  log("DTU " + session->id() + " registered from " + session->remote() +
      (parked ? " (unknown: parked as unassigned)" : "") +
      (previous.empty() ? "" : "; closing the stale connection from " + previous));
}

void Gateway::on_closed(DtuSession& session, const std::string& reason, bool silent,
                        bool rejected) {
  bool was_current = false;
  {
    std::lock_guard lock(mutex_);
    --stats_.connections;
    if (!session.registered()) --stats_.unregistered;
    if (rejected) ++stats_.rejected;
    if (silent) ++stats_.silent_drops;
    if (session.registered()) {
      Entry& entry = dtus_[session.id()];
      was_current = entry.session.lock().get() == &session;
      if (was_current) {
        entry.state.online = false;
        entry.state.last_drop = reason;
        --stats_.online;
      }
    }
  }
  if (session.registered() && !was_current) return;  // replaced: already said
  log((session.registered() ? "DTU " + session.id() : "connection") + " from " + session.remote() +
      " closed: " + reason);
}

void Gateway::on_traffic(const std::string& id, std::uint64_t in, std::uint64_t out,
                         std::uint64_t heartbeats, std::uint64_t garbage,
                         std::uint64_t unsolicited) {
  std::lock_guard lock(mutex_);
  DtuState& s = dtus_[id].state;
  s.bytes_in += in;
  s.bytes_out += out;
  s.heartbeats += heartbeats;
  s.garbage_packets += garbage;
  s.unsolicited_bytes += unsolicited;
  if (in > 0) s.last_seen = std::chrono::system_clock::now();
}

std::vector<DtuState> Gateway::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<DtuState> out;
  out.reserve(dtus_.size());
  for (const auto& [id, entry] : dtus_) out.push_back(entry.state);
  return out;
}

std::optional<DtuState> Gateway::state(const std::string& id) const {
  std::lock_guard lock(mutex_);
  const auto it = dtus_.find(id);
  if (it == dtus_.end()) return std::nullopt;
  return it->second.state;
}

GatewayStats Gateway::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void Gateway::run(const std::string& id, std::shared_ptr<protocol::link::Procedure> procedure,
                  Done done) {
  std::shared_ptr<DtuSession> session;
  {
    std::lock_guard lock(mutex_);
    if (const auto it = dtus_.find(id); it != dtus_.end()) session = it->second.session.lock();
  }
  if (!session) {
    asio::post(io_, [id, done = std::move(done)] { done({"DTU " + id + " is offline"}); });
    return;
  }
  session->enqueue(std::move(procedure), std::move(done));
}

void Gateway::log(const std::string& line) const {
  if (log_) log_(line);
}

}  // namespace heatlink::master
