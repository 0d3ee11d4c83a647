#include "dtu_session.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace heatlink::master {

namespace asio = boost::asio;
namespace dtu = protocol::dtu;
namespace link = protocol::link;

namespace {

link::Micros steady_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// An ID for a log line: printable as it is, otherwise hex.
std::string printable(const std::vector<std::uint8_t>& bytes) {
  std::string text;
  for (const std::uint8_t b : bytes) {
    if (b < 0x20 || b > 0x7E) return "0x" + protocol::to_hex(bytes);
    text.push_back(static_cast<char>(b));
  }
  return text;
}

std::chrono::steady_clock::duration to_duration(Seconds s) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(s);
}

}  // namespace

DtuSession::DtuSession(Gateway& gateway, asio::ip::tcp::socket socket)
    : gateway_(gateway),
      socket_(std::move(socket)),
      liveness_(socket_.get_executor()),
      exchange_timer_(socket_.get_executor()) {
  boost::system::error_code ec;
  const auto endpoint = socket_.remote_endpoint(ec);
  remote_ = ec ? "?" : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

void DtuSession::start() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->last_heard_ = std::chrono::steady_clock::now();
    self->arm_liveness();
    self->do_read();
  });
}

void DtuSession::close(std::string reason) {
  asio::post(socket_.get_executor(),
             [self = shared_from_this(), reason = std::move(reason)] { self->shut(reason); });
}

void DtuSession::enqueue(std::shared_ptr<link::Procedure> procedure, Gateway::Done done) {
  asio::post(socket_.get_executor(), [self = shared_from_this(), procedure = std::move(procedure),
                                      done = std::move(done)]() mutable {
    if (self->closed_) {
      done({"DTU " + self->id_ + ": the connection closed"});
      return;
    }
    self->jobs_.push_back(Job{std::move(procedure), std::move(done), nullptr});
    self->start_next_job();
  });
}

// ---- reading

void DtuSession::do_read() {
  socket_.async_read_some(asio::buffer(read_buffer_),
                          [self = shared_from_this()](const boost::system::error_code& ec,
                                                      std::size_t n) { self->on_read(ec, n); });
}

void DtuSession::on_read(const boost::system::error_code& ec, std::size_t n) {
  if (closed_) return;
  if (ec == asio::error::eof) return shut("the DTU closed the connection");
  if (ec) return shut("read: " + ec.message());
  last_heard_ = std::chrono::steady_clock::now();
  in_ += n;
  const protocol::Bytes bytes(read_buffer_.data(), n);
  if (decoder_) {
    decode(bytes);
  } else {
    probe_.insert(probe_.end(), bytes.begin(), bytes.end());
    identify();
  }
  flush_counters();
  if (!closed_) do_read();
}

// Which convention the first bytes speak: DDP packets start with 7B; the other conventions
// start with the ID, which names a known DTU and so its model.
void DtuSession::identify() {
  const GatewayConfig& config = gateway_.config_;
  if (probe_.front() == dtu::kDdpMark) {
    attach_decoder(dtu::Convention::ddp, dtu::kDdpIdLength, {});
    return;
  }
  const std::string text(probe_.begin(), probe_.end());
  // A longer known ID may still arrive: "1380000000" could be the start of "13800000001".
  if (gateway_.longer_known(text)) return;
  for (std::size_t length = std::min(text.size(), gateway_.longest_known_id()); length > 0;
       --length) {
    const auto known = config.dtus.find(text.substr(0, length));
    if (known == config.dtus.end()) continue;
    const DtuModel* model = config.model(known->second);
    if (model == nullptr || model->convention == dtu::Convention::ddp) continue;
    attach_decoder(model->convention, length, model->heartbeat);
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

void DtuSession::attach_decoder(dtu::Convention convention, std::size_t id_length,
                                const std::string& heartbeat) {
  decoder_.emplace(convention, id_length, heartbeat);
  profile_.convention = convention;
  std::vector<std::uint8_t> first;
  first.swap(probe_);
  decode(first);
}

void DtuSession::decode(protocol::Bytes bytes) {
  for (dtu::Event& e : decoder_->feed(bytes)) {
    if (closed_) return;
    if (!e.id.empty() && registered_ && e.id != id_ && e.kind != dtu::EventKind::invalid) {
      ++garbage_;  // a DDP packet naming another DTU
      continue;
    }
    switch (e.kind) {
      case dtu::EventKind::registered:
        if (registered_) {
          ++heartbeats_;  // registered again on this connection: a sign of life, no more
          if (profile_.convention == dtu::Convention::ddp) send(dtu::registration_ack(profile_));
        } else {
          on_registration(e.id);
        }
        break;
      case dtu::EventKind::heartbeat:
        ++heartbeats_;
        if (profile_.convention == dtu::Convention::ddp) send(dtu::registration_ack(profile_));
        break;
      case dtu::EventKind::data:
        if (!registered_) return shut("data before registration", false, true);
        on_serial(std::move(e.bytes));
        break;
      case dtu::EventKind::logout:
        return shut("the DTU logged out");
      case dtu::EventKind::invalid:
      case dtu::EventKind::ack:  // a server's packet from a DTU
        ++garbage_;
        break;
    }
  }
  if (!closed_ && decoder_->buffered() > gateway_.config_.max_buffer) {
    shut("more than " + std::to_string(gateway_.config_.max_buffer) + " bytes without a packet",
         false, true);
  }
}

void DtuSession::on_registration(const std::string& id) {
  bool parked = false;
  const DtuModel* model = gateway_.model_for_id(id, parked);
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
  arm_liveness();
  gateway_.on_registered(shared_from_this(), *model, parked);
}

void DtuSession::on_serial(std::vector<std::uint8_t> bytes) {
  if (!job_running_) {
    unsolicited_ += bytes.size();
    return;
  }
  apply(jobs_.front().exchange->on_bytes(bytes, steady_micros()));
}

// ---- writing

void DtuSession::send(std::vector<std::uint8_t> bytes) {
  if (closed_ || bytes.empty()) return;
  writes_.push_back(std::move(bytes));
  if (writes_.size() == 1) do_write();
}

void DtuSession::do_write() {
  asio::async_write(socket_, asio::buffer(writes_.front()),
                    [self = shared_from_this()](const boost::system::error_code& ec,
                                                std::size_t n) { self->on_write(ec, n); });
}

void DtuSession::on_write(const boost::system::error_code& ec, std::size_t n) {
  if (closed_) return;
  if (ec) return shut("write: " + ec.message());
  out_ += n;
  flush_counters();
  writes_.pop_front();
  if (!writes_.empty()) do_write();
}

// ---- liveness: registration timeout, then missed heartbeats

void DtuSession::arm_liveness() {
  const GatewayConfig& config = gateway_.config_;
  const auto limit = registered_
                         ? to_duration(model_->heartbeat_interval * config.missed_heartbeats)
                         : to_duration(config.registration_timeout);
  liveness_.expires_at(last_heard_ + limit);
  liveness_.async_wait(
      [self = shared_from_this()](const boost::system::error_code& ec) { self->on_liveness(ec); });
}

void DtuSession::on_liveness(const boost::system::error_code& ec) {
  if (ec || closed_) return;  // re-armed (cancelled) or closed
  const GatewayConfig& config = gateway_.config_;
  if (!registered_) {
    const auto seconds = config.registration_timeout.count();
    return shut("no registration within " + std::to_string(seconds) + " s", false, true);
  }
  const auto limit = to_duration(model_->heartbeat_interval * config.missed_heartbeats);
  if (std::chrono::steady_clock::now() - last_heard_ >= limit) {
    return shut("silent for " + std::to_string(config.missed_heartbeats) + " heartbeat intervals",
                true);
  }
  arm_liveness();  // heard from since: wait for the rest of the interval
}

// ---- procedures, one at a time

void DtuSession::start_next_job() {
  if (job_running_ || jobs_.empty() || closed_) return;
  if (!registered_) return;
  Job& job = jobs_.front();
  link::Timing timing;
  timing.baud = model_->bus_baud;
  timing.latency = std::chrono::duration_cast<std::chrono::microseconds>(model_->latency).count();
  timing.store_and_forward = model_->store_and_forward;
  job.exchange = std::make_unique<link::Exchange>(*job.procedure, timing);
  job_running_ = true;
  apply(job.exchange->start(steady_micros()));
}

void DtuSession::apply(const link::Exchange::Step& step) {
  if (!step.send.empty()) send(dtu::server_data(profile_, step.send));
  if (step.done) return finish_job({});
  const auto generation = ++exchange_generation_;
  exchange_timer_.expires_at(
      std::chrono::steady_clock::time_point(std::chrono::microseconds(step.deadline)));
  exchange_timer_.async_wait(
      [self = shared_from_this(), generation](const boost::system::error_code& ec) {
        self->on_exchange_timer(ec, generation);
      });
}

void DtuSession::on_exchange_timer(const boost::system::error_code& ec, std::uint64_t generation) {
  if (ec || closed_ || !job_running_ || generation != exchange_generation_) return;
  apply(jobs_.front().exchange->on_deadline(steady_micros()));
}

void DtuSession::finish_job(const IoStatus& status) {
  Job job = std::move(jobs_.front());
  jobs_.pop_front();
  job_running_ = false;
  ++exchange_generation_;
  exchange_timer_.cancel();
  job.done(status);
  start_next_job();
}

// ---- closing

void DtuSession::shut(const std::string& reason, bool silent, bool rejected) {
  if (closed_) return;
  closed_ = true;
  liveness_.cancel();
  exchange_timer_.cancel();
  flush_counters();
  // The state first: whoever sees the connection close then finds the reason recorded.
  gateway_.on_closed(*this, reason, silent, rejected);
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  while (!jobs_.empty()) {
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    job.done({"DTU " + id_ + ": the connection closed (" + reason + ")"});
  }
  job_running_ = false;
}

void DtuSession::flush_counters() {
  if (!registered_) return;
  if (in_ + out_ + heartbeats_ + garbage_ + unsolicited_ == 0) return;
  gateway_.on_traffic(id_, in_, out_, heartbeats_, garbage_, unsolicited_);
  in_ = out_ = heartbeats_ = garbage_ = unsolicited_ = 0;
}

}  // namespace heatlink::master
