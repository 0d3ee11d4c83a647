#include "heatlink/harness/in_process_gateway.h"

#include <optional>

namespace heatlink::harness {

class InProcessGateway::Connection : public master::DtuEndpoint,
                                     public std::enable_shared_from_this<Connection> {
 public:
  Connection(InProcessGateway& gateway, std::uint64_t number, std::string remote,
             sim::GprsLink& link)
      : gateway_(gateway), number_(number), link_(link), remote_(std::move(remote)) {}

  void start() {
    master::DtuConnectionHooks hooks;
    hooks.send = [this](std::vector<std::uint8_t> bytes) {
      link_.server_send(number_, bytes);
      connection_->on_sent(bytes.size());
    };
    hooks.registered = [this](const master::DtuModel& model, bool parked) {
      gateway_.registry_.on_registered(shared_from_this(), model, parked);
    };
    hooks.closed = [this](const std::string& reason, bool silent, bool rejected) {
      gateway_.registry_.on_closed(*this, reason, silent, rejected);
      if (!peer_closed_) link_.server_close(number_);
      if (timer_) gateway_.queue_.cancel(*timer_);
      timer_.reset();
    };
    connection_.emplace(gateway_.registry_, remote_, std::move(hooks), gateway_.queue_.now());
    rearm();
  }

  void on_bytes(protocol::Bytes bytes) {
    connection_->on_bytes(bytes, gateway_.queue_.now());
    rearm();
  }

  void on_peer_closed(const std::string& reason) {
    peer_closed_ = true;
    connection_->close(reason);
  }

  // DtuEndpoint
  const std::string& id() const override { return connection_->id(); }
  const std::string& remote() const override { return remote_; }
  bool registered() const override { return connection_->registered(); }
  void close(std::string reason) override {
    // Never from inside a caller's own call: the registry closes a stale connection while
    // another registers.
    gateway_.queue_.schedule_after(
        0, [self = shared_from_this(), reason] { self->connection_->close(reason); });
  }
  void enqueue(std::shared_ptr<protocol::link::Procedure> procedure,
               master::ProcedureDone done) override {
    gateway_.queue_.schedule_after(0, [self = shared_from_this(), procedure = std::move(procedure),
                                       done = std::move(done)]() mutable {
      self->connection_->enqueue(std::move(procedure), std::move(done),
                                 self->gateway_.queue_.now());
      self->rearm();
    });
  }

  bool closed() const { return connection_->closed(); }

 private:
  void rearm() {
    const auto deadline = connection_->deadline();
    if (deadline == armed_) return;
    if (timer_) gateway_.queue_.cancel(*timer_);
    timer_.reset();
    armed_ = deadline;
    if (!deadline) return;
    const sim::Micros at = std::max(*deadline, gateway_.queue_.now());
    timer_ = gateway_.queue_.schedule_at(at, [weak = weak_from_this()] {
      auto self = weak.lock();
      if (!self) return;
      self->timer_.reset();
      self->armed_.reset();
      self->connection_->on_timer(self->gateway_.queue_.now());
      self->rearm();
    });
  }

  InProcessGateway& gateway_;
  std::uint64_t number_;
  sim::GprsLink& link_;
  std::string remote_;
  bool peer_closed_ = false;
  std::optional<sim::EventQueue::EventId> timer_;
  std::optional<sim::Micros> armed_;
  std::optional<master::DtuConnection> connection_;
};

InProcessGateway::InProcessGateway(sim::EventQueue& queue, master::GatewayConfig config,
                                   WallClock wall, master::DtuRegistry::Log log)
    : queue_(queue), registry_(std::move(config), std::move(log), std::move(wall)) {}

InProcessGateway::~InProcessGateway() = default;

void InProcessGateway::accepted(std::uint64_t connection, std::uint32_t remote_ip,
                                sim::GprsLink& link) {
  const std::string remote =
      std::to_string(remote_ip >> 24) + "." + std::to_string((remote_ip >> 16) & 0xFF) + "." +
      std::to_string((remote_ip >> 8) & 0xFF) + "." + std::to_string(remote_ip & 0xFF) + ":" +
      std::to_string(32768 + connection % 28000);  // an ephemeral port
  auto c = std::make_shared<Connection>(*this, connection, remote, link);
  c->start();
  if (!registry_.admit(c)) {
    link.server_close(connection);
    return;
  }
  std::erase_if(connections_, [](const auto& entry) { return entry.second->closed(); });
  links_[connection] = &link;
  connections_[connection] = c;
}

void InProcessGateway::received(std::uint64_t connection, protocol::Bytes bytes) {
  const auto it = connections_.find(connection);
  if (it == connections_.end() || it->second->closed()) {
    // A segment on a connection this side has closed: the kernel answers with a reset.
    if (const auto link = links_.find(connection); link != links_.end())
      link->second->server_close(connection);
    return;
  }
  const auto c = it->second;  // the connection may close while it reads
  c->on_bytes(bytes);
}

void InProcessGateway::closed(std::uint64_t connection) {
  const auto it = connections_.find(connection);
  if (it == connections_.end()) return;
  const auto c = it->second;
  connections_.erase(it);
  links_.erase(connection);
  c->on_peer_closed("the DTU closed the connection");
}

void InProcessGateway::run(const std::string& id,
                           std::shared_ptr<protocol::link::Procedure> procedure,
                           master::ProcedureDone done) {
  if (auto endpoint = registry_.endpoint(id)) {
    endpoint->enqueue(std::move(procedure), std::move(done));
    return;
  }
  queue_.schedule_after(0, [id, done = std::move(done)] { done({"DTU " + id + " is offline"}); });
}

void InProcessGateway::close_all(const std::string& reason) {
  auto connections = std::move(connections_);
  connections_.clear();
  for (auto& [number, c] : connections) c->close(reason);
}

}  // namespace heatlink::harness
