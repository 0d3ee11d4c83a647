#include "heatlink/master/gateway/dtu_connection.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace heatlink::master {

namespace dtu = protocol::dtu;
namespace link = protocol::link;

namespace {

// An ID for a log line: printable as it is, otherwise hex.
std::string printable(const std::vector<std::uint8_t>& bytes) {
  std::string text;
  for (const std::uint8_t b : bytes) {
    if (b < 0x20 || b > 0x7E) return "0x" + protocol::to_hex(bytes);
    text.push_back(static_cast<char>(b));
  }
  return text;
}

Micros to_micros(Seconds s) {
  return std::chrono::duration_cast<std::chrono::microseconds>(s).count();
}

}  // namespace

DtuConnection::DtuConnection(DtuRegistry& registry, std::string remote, DtuConnectionHooks hooks,
                             Micros now)
    : registry_(registry), remote_(std::move(remote)), hooks_(std::move(hooks)), last_heard_(now) {}

// ---- reading

void DtuConnection::on_bytes(protocol::Bytes bytes, Micros now) {
  if (closed_) return;
  last_heard_ = now;
  traffic_.in += bytes.size();
  if (decoder_) {
    decode(bytes, now);
  } else {
    probe_.insert(probe_.end(), bytes.begin(), bytes.end());
    identify();
    if (decoder_) {
      std::vector<std::uint8_t> first;
      first.swap(probe_);
      decode(first, now);
    }
  }
  flush_counters();
}

// Which convention the first bytes speak: DDP packets start with 7B; the other conventions
// start with the ID, which names a known DTU and so its model.
void DtuConnection::identify() {
  const GatewayConfig& config = registry_.config();
  if (probe_.front() == dtu::kDdpMark) {
    attach_decoder(dtu::Convention::ddp, dtu::kDdpIdLength, {});
    return;
  }
  const std::string text(probe_.begin(), probe_.end());
  // A longer known ID may still arrive: "1380000000" could be the start of "13800000001".
  if (registry_.longer_known(text)) return;
  for (std::size_t length = std::min(text.size(), registry_.longest_known_id()); length > 0;
       --length) {
    const auto known = config.dtus.find(text.substr(0, length));
    if (known == config.dtus.end()) continue;
    const DtuModel* model = config.model(known->second);
    if (model == nullptr || model->convention == dtu::Convention::ddp) continue;
    // A key the registration carries after the ID: "ID#key".
    const auto key = config.keys.find(known->first);
    const std::size_t key_length = key == config.keys.end() ? 0 : 1 + key->second.size();
    if (key_length > 0) keyed_id_ = known->first;
    attach_decoder(model->convention, length + key_length, model->heartbeat);
    return;
  }
  if (config.unknown == UnknownDtus::reject) {
    return shut("unknown DTU " + printable(probe_), false, true);
  }
  if (probe_.size() < config.unknown_id_length) return;
  const DtuModel* model = config.model(config.unknown_model);
  attach_decoder(model->convention == dtu::Convention::ddp ? dtu::Convention::id_on_connect
                                                           : model->convention,
                 config.unknown_id_length, model->heartbeat);
}

void DtuConnection::attach_decoder(dtu::Convention convention, std::size_t id_length,
                                   const std::string& heartbeat) {
  decoder_.emplace(convention, id_length, heartbeat);
  profile_.convention = convention;
}

void DtuConnection::decode(protocol::Bytes bytes, Micros now) {
  for (dtu::Event& e : decoder_->feed(bytes)) {
    if (closed_) return;
    if (!e.id.empty() && registered_ && e.id != registration_ &&
        e.kind != dtu::EventKind::invalid) {
      ++traffic_.garbage;  // a DDP packet naming another DTU
      continue;
    }
    switch (e.kind) {
      case dtu::EventKind::registered:
        if (registered_) {
          ++traffic_.heartbeats;  // registered again on this connection: a sign of life
          if (profile_.convention == dtu::Convention::ddp) send(dtu::registration_ack(profile_));
        } else {
          registration_ = e.id;
          on_registration(e.id);
          start_next_job(now);
        }
        break;
      case dtu::EventKind::heartbeat:
        ++traffic_.heartbeats;
        if (profile_.convention == dtu::Convention::ddp) send(dtu::registration_ack(profile_));
        break;
      case dtu::EventKind::data:
        if (!registered_) return shut("data before registration", false, true);
        if (!job_running_) {
          traffic_.unsolicited += e.bytes.size();
        } else {
          apply(jobs_.front().exchange->on_bytes(e.bytes, now), now);
        }
        break;
      case dtu::EventKind::logout:
        return shut("the DTU logged out");
      case dtu::EventKind::invalid:
      case dtu::EventKind::ack:  // a server's packet from a DTU
        ++traffic_.garbage;
        break;
    }
  }
  const std::size_t limit = registry_.config().max_buffer;
  if (!closed_ && decoder_->buffered() > limit) {
    shut("more than " + std::to_string(limit) + " bytes without a packet", false, true);
  }
}

void DtuConnection::on_registration(const std::string& registration) {
  // "ID#key" from a DTU whose registration carries a key; a known ID with a key followed by
  // anything else carries none.
  const auto separator = registration.find(dtu::kKeySeparator);
  const bool keyless = !keyed_id_.empty() && separator != keyed_id_.size();
  const std::string id = keyless ? keyed_id_ : registration.substr(0, separator);
  const std::string key = keyless || separator == std::string::npos
                              ? std::string()
                              : registration.substr(separator + 1);
  if (const auto why = registry_.distrust(id, key, remote_); !why.empty())
    return shut("DTU " + printable({id.begin(), id.end()}) + " refused: " + why, false, true);
  bool parked = false;
  const DtuModel* model = registry_.model_for_id(id, parked);
  if (model == nullptr) {
    return shut("unknown DTU " + printable({id.begin(), id.end()}), false, true);
  }
  if (!parked && model->convention != profile_.convention) {
    return shut(std::string("DTU ") + id + " speaks " + dtu::convention_name(profile_.convention) +
                    ", its model " + model->name + " " + dtu::convention_name(model->convention),
                false, true);
  }
  id_ = id;
  profile_.id = id;
  model_ = model;
  registered_ = true;
  if (profile_.convention == dtu::Convention::ddp) send(dtu::registration_ack(profile_));
  hooks_.registered(*model, parked);
}

// ---- writing

void DtuConnection::send(std::vector<std::uint8_t> bytes) {
  if (closed_ || bytes.empty()) return;
  hooks_.send(std::move(bytes));
}

void DtuConnection::on_sent(std::size_t n) {
  traffic_.out += n;
  flush_counters();
}

// A simulated district's answer takes a few milliseconds of wall time however fast it runs.
constexpr Micros kScaledReplyFloor = 15'000;

// ---- time: the registration timeout, then missed heartbeats; a procedure's timeouts

Micros DtuConnection::liveness_limit() const {
  const GatewayConfig& config = registry_.config();
  return registered_ ? to_micros(model_->heartbeat_interval * config.missed_heartbeats)
                     : to_micros(config.registration_timeout);
}

std::optional<Micros> DtuConnection::deadline() const {
  if (closed_) return std::nullopt;
  const Micros liveness = last_heard_ + liveness_limit();
  return job_running_ ? std::min(liveness, exchange_deadline_) : liveness;
}

void DtuConnection::on_timer(Micros now) {
  if (closed_) return;
  if (now >= last_heard_ + liveness_limit()) {
    const GatewayConfig& config = registry_.config();
    if (!registered_) {
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%g", config.registration_timeout.count());
      return shut(std::string("no registration within ") + seconds + " s", false, true);
    }
    return shut("silent for " + std::to_string(config.missed_heartbeats) + " heartbeat intervals",
                true);
  }
  if (job_running_ && now >= exchange_deadline_) {
    apply(jobs_.front().exchange->on_deadline(now), now);
  }
}

// ---- procedures, one at a time

void DtuConnection::enqueue(std::shared_ptr<link::Procedure> procedure, ProcedureDone done,
                            Micros now) {
  if (closed_) {
    done({"DTU " + id_ + ": the connection closed"});
    return;
  }
  jobs_.push_back(Job{std::move(procedure), std::move(done), nullptr});
  start_next_job(now);
}

void DtuConnection::start_next_job(Micros now) {
  if (job_running_ || jobs_.empty() || closed_ || !registered_) return;
  Job& job = jobs_.front();
  link::Timing timing;
  timing.baud = model_->bus_baud;
  timing.latency = to_micros(model_->latency);
  if (const double scale = registry_.config().time_scale; scale > 1) {
    // A district run `scale` times faster: its bus and its network take that much less time.
    timing.baud = static_cast<unsigned>(std::min(model_->bus_baud * scale, 1e9));
    timing.latency = std::max(static_cast<Micros>(static_cast<double>(timing.latency) / scale),
                              kScaledReplyFloor);
    timing.slave_slack = static_cast<Micros>(static_cast<double>(timing.slave_slack) / scale);
  }
  timing.store_and_forward = model_->store_and_forward;
  job.exchange = std::make_unique<link::Exchange>(*job.procedure, timing);
  job_running_ = true;
  apply(job.exchange->start(now), now);
}

void DtuConnection::apply(const link::Exchange::Step& step, Micros now) {
  if (!step.send.empty()) send(dtu::server_data(profile_, step.send));
  if (step.done) return finish_job({}, now);
  exchange_deadline_ = step.deadline;
}

void DtuConnection::finish_job(const IoStatus& status, Micros now) {
  Job job = std::move(jobs_.front());
  jobs_.pop_front();
  job_running_ = false;
  job.done(status);
  start_next_job(now);
}

// ---- closing

void DtuConnection::shut(const std::string& reason, bool silent, bool rejected) {
  if (closed_) return;
  closed_ = true;
  flush_counters();
  // The state first: whoever sees the connection close then finds the reason recorded.
  hooks_.closed(reason, silent, rejected);
  std::deque<Job> jobs;
  jobs.swap(jobs_);
  job_running_ = false;
  for (Job& job : jobs) job.done({"DTU " + id_ + ": the connection closed (" + reason + ")"});
}

void DtuConnection::flush_counters() {
  if (!registered_ || traffic_.empty()) return;
  registry_.on_traffic(id_, remote_, traffic_);
  traffic_ = {};
}

}  // namespace heatlink::master
