#include "heatlink/sim/gprs_link.h"

#include <algorithm>
#include <array>

namespace heatlink::sim {

namespace {

constexpr std::array<std::pair<FaultKind, const char*>, 19> kNames = {{
    {FaultKind::latency, "latency"},
    {FaultKind::bandwidth, "bandwidth"},
    {FaultKind::slicer, "slicer"},
    {FaultKind::black_hole, "black_hole"},
    {FaultKind::stall_then_close, "stall_then_close"},
    {FaultKind::reset, "reset"},
    {FaultKind::slow_close, "slow_close"},
    {FaultKind::close_after_bytes, "close_after_bytes"},
    {FaultKind::loss, "loss"},
    {FaultKind::duplicate, "duplicate"},
    {FaultKind::reorder, "reorder"},
    {FaultKind::corrupt, "corrupt"},
    {FaultKind::partition, "partition"},
    {FaultKind::outage, "outage"},
    {FaultKind::nat_idle_timeout, "nat_idle_timeout"},
    {FaultKind::pdp_loss, "pdp_loss"},
    {FaultKind::first_packet_penalty, "first_packet_penalty"},
    {FaultKind::heartbeat_loss, "heartbeat_loss"},
    {FaultKind::duplicate_registration, "duplicate_registration"},
}};

}  // namespace

const char* fault_kind_name(FaultKind kind) noexcept {
  for (const auto& [k, name] : kNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

std::vector<std::string_view> fault_kind_names() {
  std::vector<std::string_view> names;
  for (const auto& [kind, name] : kNames) names.emplace_back(name);
  return names;
}

std::optional<FaultKind> parse_fault_kind(std::string_view name) noexcept {
  for (const auto& [k, n] : kNames) {
    if (name == n) return k;
  }
  return std::nullopt;
}

GprsLink::GprsLink(EventQueue& queue, ServerEnd& server, std::uint64_t seed, std::string name,
                   Trace* trace, std::uint64_t first_connection)
    : queue_(queue),
      server_(server),
      random_(RandomStream::derive(seed, "gprs/" + name)),
      name_(std::move(name)),
      trace_(trace),
      next_connection_(first_connection) {}

void GprsLink::record(std::string_view kind, protocol::Bytes bytes) {
  if (trace_ != nullptr) trace_->record(queue_.now(), "gprs/" + name_, kind, bytes);
}

bool GprsLink::applies(const LinkFault& f, Direction d) const noexcept {
  return f.direction == Direction::both || f.direction == d;
}

bool GprsLink::has(FaultKind kind, Direction d) const noexcept {
  return std::any_of(faults_.begin(), faults_.end(), [&](const auto& entry) {
    return entry.second.kind == kind && applies(entry.second, d);
  });
}

void GprsLink::touch() {
  last_traffic_ = queue_.now();
}

void GprsLink::arm_nat_timer() {
  for (const auto& [id, f] : faults_) {
    if (f.kind != FaultKind::nat_idle_timeout) continue;
    const Micros due = last_traffic_ + f.period;
    queue_.schedule_at(due, [this, fault = id, connection = connection_] {
      if (faults_.count(fault) == 0 || connection != connection_ || !connection_) return;
      if (queue_.now() - last_traffic_ >= faults_[fault].period) {
        nat_dead_ = true;  // silently: neither end is told
        record("nat_mapping_expired");
      } else {
        arm_nat_timer();
      }
    });
    return;
  }
}

void GprsLink::open(std::uint32_t local_ip) {
  const std::uint64_t connection = next_connection_++;
  connection_ = connection;
  nat_dead_ = false;
  registration_sent_ = false;
  up_ = Pipe{};
  down_ = Pipe{};
  touch();
  if (has(FaultKind::partition, Direction::up) || has(FaultKind::black_hole, Direction::up)) {
    record("syn_lost");  // the DTU's connect times out
    return;
  }
  queue_.schedule_after(connect_latency, [this, connection, local_ip] {
    if (connection_ != connection) return;
    record("connected");
    server_.accepted(connection, local_ip, *this);
    if (dtu_ != nullptr) dtu_->on_connected();
    arm_nat_timer();
  });
}

void GprsLink::send(protocol::Bytes bytes) {
  if (!connection_) return;
  if (nat_dead_) {
    // A new mapping carries the packet to a server that knows no such connection: it answers
    // with a RST, which is how the DTU learns. The server's old socket stays half-open.
    const std::uint64_t connection = *connection_;
    connection_.reset();
    record("rst_after_nat_expiry");
    queue_.schedule_after(connect_latency, [this, connection] {
      (void)connection;
      if (dtu_ != nullptr) dtu_->on_closed();
    });
    return;
  }
  std::vector<std::uint8_t> chunk(bytes.begin(), bytes.end());
  // The first packet on a connection is the registration, even where a heartbeat looks the same.
  const bool first = !registration_sent_;
  registration_sent_ = true;
  if (!first && dtu_ != nullptr && has(FaultKind::heartbeat_loss, Direction::up) &&
      chunk == protocol::dtu::heartbeat(dtu_->config().profile)) {
    for (const auto& [id, f] : faults_) {
      if (f.kind == FaultKind::heartbeat_loss && random_.chance(f.probability)) {
        record("heartbeat_lost", chunk);
        return;
      }
    }
  }
  if (first && has(FaultKind::duplicate_registration, Direction::up)) carry(Direction::up, chunk);
  carry(Direction::up, std::move(chunk));
}

void GprsLink::carry(Direction d, std::vector<std::uint8_t> bytes) {
  Pipe& pipe = d == Direction::up ? up_ : down_;
  const std::uint64_t connection = *connection_;
  if (has(FaultKind::partition, d) || has(FaultKind::black_hole, d)) {
    record("dropped", bytes);
    return;
  }
  const Micros idle = queue_.now() - last_traffic_;
  touch();
  Micros at = queue_.now();
  bool close_after = false;
  for (const auto& [id, f] : faults_) {
    if (!applies(f, d)) continue;
    switch (f.kind) {
      case FaultKind::latency:
        at += f.delay + random_.uniform_int(0, f.jitter);
        break;
      case FaultKind::first_packet_penalty:
        if (idle >= f.period) at += f.delay;
        break;
      case FaultKind::loss:
        if (random_.chance(f.probability)) {
          record("lost", bytes);
          return;
        }
        break;
      case FaultKind::corrupt:
        for (auto& b : bytes) {
          if (random_.chance(f.probability))
            b = static_cast<std::uint8_t>(b ^ (1u << random_.uniform_int(0, 7)));
        }
        break;
      case FaultKind::close_after_bytes:
        if (pipe.bytes + bytes.size() >= f.amount) {
          bytes.resize(static_cast<std::size_t>(f.amount > pipe.bytes ? f.amount - pipe.bytes : 0));
          close_after = true;
        }
        break;
      case FaultKind::stall_then_close: {
        record("stalled", bytes);
        queue_.schedule_after(f.delay, [this, connection] {
          if (connection_ == connection) reset_connection("stall_then_close");
        });
        return;
      }
      case FaultKind::outage:
        // Held by the network; TCP delivers it once the outage ends.
        record("held", bytes);
        queue_.schedule_after(seconds(1), [this, d, connection, bytes] {
          if (connection_ == connection) carry(d, bytes);
        });
        return;
      default:
        break;
    }
  }
  pipe.bytes += bytes.size();
  for (const auto& [id, f] : faults_) {
    if (applies(f, d) && f.kind == FaultKind::bandwidth && f.amount > 0) {
      const Micros start = std::max(at, pipe.busy_until);
      pipe.busy_until = start + static_cast<Micros>(bytes.size() * 8 * 1'000'000 / f.amount);
      at = pipe.busy_until;
    }
  }
  // Re-chunking: pieces of `amount` bytes, `delay` apart.
  std::vector<std::vector<std::uint8_t>> pieces;
  std::uint64_t slice = 0;
  Micros gap = 0;
  for (const auto& [id, f] : faults_) {
    if (applies(f, d) && f.kind == FaultKind::slicer && f.amount > 0) {
      slice = f.amount;
      gap = f.delay;
    }
  }
  if (slice == 0) {
    pieces.push_back(std::move(bytes));
  } else {
    for (std::size_t i = 0; i < bytes.size(); i += slice) {
      pieces.emplace_back(bytes.begin() + static_cast<std::ptrdiff_t>(i),
                          bytes.begin() + static_cast<std::ptrdiff_t>(
                                              std::min<std::size_t>(i + slice, bytes.size())));
    }
  }
  for (auto& piece : pieces) {
    at = std::max(at, pipe.last_delivery);  // TCP keeps the order
    pipe.last_delivery = at;
    bool twice = false;
    bool swap = false;
    for (const auto& [id, f] : faults_) {
      if (!applies(f, d)) continue;
      if (f.kind == FaultKind::duplicate) twice = twice || random_.chance(f.probability);
      if (f.kind == FaultKind::reorder) swap = swap || random_.chance(f.probability);
    }
    if (swap && !pipe.held_for_reorder) {
      pipe.held_for_reorder = std::move(piece);  // goes out after the next piece
      continue;
    }
    if (twice) deliver(d, connection, at, piece);
    deliver(d, connection, at, std::move(piece));
    if (pipe.held_for_reorder) {
      deliver(d, connection, at, std::move(*pipe.held_for_reorder));
      pipe.held_for_reorder.reset();
    }
    at += gap;
  }
  if (close_after) {
    queue_.schedule_at(at, [this, connection] {
      if (connection_ == connection) reset_connection("close_after_bytes");
    });
  }
}

void GprsLink::deliver(Direction d, std::uint64_t connection, Micros at,
                       std::vector<std::uint8_t> bytes) {
  queue_.schedule_at(at, [this, d, connection, bytes = std::move(bytes)] {
    if (connection_ != connection || bytes.empty()) return;
    record(d == Direction::up ? "to_server" : "to_dtu", bytes);
    if (d == Direction::up) {
      server_.received(connection, bytes);
    } else if (dtu_ != nullptr) {
      dtu_->on_data(bytes);
    }
  });
}

void GprsLink::close() {
  if (!connection_) return;
  const std::uint64_t connection = *connection_;
  connection_.reset();
  Micros delay = connect_latency;
  for (const auto& [id, f] : faults_) {
    if (f.kind == FaultKind::slow_close) delay += f.delay;
  }
  record("fin_from_dtu");
  if (has(FaultKind::partition, Direction::up) || nat_dead_) return;  // the FIN never arrives
  queue_.schedule_after(delay, [this, connection] { server_.closed(connection); });
}

void GprsLink::abandon() {
  if (!connection_) return;
  record("abandoned");  // the server keeps a half-open socket
  connection_.reset();
}

void GprsLink::server_send(std::uint64_t connection, protocol::Bytes bytes) {
  if (connection_ != connection) return;  // a stale mapping: the carrier drops it silently
  if (nat_dead_) {
    record("dropped_by_nat", bytes);
    return;
  }
  carry(Direction::down, {bytes.begin(), bytes.end()});
}

void GprsLink::server_close(std::uint64_t connection) {
  if (connection_ != connection) return;
  record("fin_from_server");
  if (has(FaultKind::partition, Direction::down) || nat_dead_) return;  // the DTU never hears
  connection_.reset();
  Micros delay = connect_latency;
  for (const auto& [id, f] : faults_) {
    if (f.kind == FaultKind::slow_close) delay += f.delay;
  }
  queue_.schedule_after(delay, [this] {
    if (dtu_ != nullptr) dtu_->on_closed();
  });
}

void GprsLink::reset_connection(std::string_view why) {
  if (!connection_) return;
  const std::uint64_t connection = *connection_;
  connection_.reset();
  record(std::string("reset:") + std::string(why));
  server_.closed(connection);
  if (dtu_ != nullptr) dtu_->on_closed();
}

std::uint64_t GprsLink::start(const LinkFault& fault) {
  const std::uint64_t id = next_fault_++;
  record(std::string("fault_start:") + fault_kind_name(fault.kind));
  switch (fault.kind) {
    case FaultKind::reset:  // an event, not a state
      reset_connection("reset");
      return id;
    case FaultKind::pdp_loss:
      // The modem reports the lost context to the DTU; nobody tells the server.
      if (connection_) {
        connection_.reset();
        if (dtu_ != nullptr) dtu_->on_closed();
      }
      return id;
    default:
      break;
  }
  LinkFault& started = faults_[id] = fault;
  if (fault.kind == FaultKind::nat_idle_timeout) arm_nat_timer();
  if (fault.lasting > 0) {
    started.ends_at = queue_.now() + fault.lasting;
    queue_.schedule_at(started.ends_at, [this, id] { stop(id); });
  }
  return id;
}

bool GprsLink::stop(std::uint64_t id) {
  const auto it = faults_.find(id);
  if (it == faults_.end()) return false;
  record(std::string("fault_stop:") + fault_kind_name(it->second.kind));
  faults_.erase(it);
  return true;
}

void GprsLink::heal_all() {
  record("heal_all");
  faults_.clear();
}

std::vector<std::pair<std::uint64_t, LinkFault>> GprsLink::active() const {
  return {faults_.begin(), faults_.end()};
}

}  // namespace heatlink::sim
