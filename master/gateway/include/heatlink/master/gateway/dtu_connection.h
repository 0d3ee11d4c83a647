// One DTU connection's logic, without a socket or a clock (DESIGN.md rules 1 and 4): which
// DTU it is (by a known ID, which names its model and so its convention; DDP by its first
// byte), heartbeats filtered out before anything parses the serial bytes, a registration
// timeout and then a limit of `missed_heartbeats` silent heartbeat intervals, and link
// procedures run over the DTU's serial line one at a time.
//
// The owner feeds it bytes and the time, calls on_timer() at deadline(), sends what the
// `send` hook gives it and closes its socket when the `closed` hook is called. The live
// gateway's DtuSession owns one on an Asio strand; the harness's in-process gateway owns one
// on the simulation's virtual clock.
//
// Not thread-safe: its owner serialises every call (a strand, or one thread).
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "heatlink/master/gateway/dtu_registry.h"
#include "heatlink/protocol/dtu.h"
#include "heatlink/protocol/link.h"

namespace heatlink::master {

using protocol::link::Micros;

struct DtuConnectionHooks {
  // Bytes to write to the DTU, in order.
  std::function<void(std::vector<std::uint8_t> bytes)> send;
  // The DTU registered as `model` (the owner tells the registry with its shared pointer).
  std::function<void(const DtuModel& model, bool parked)> registered;
  // The connection is over: the owner tells the registry and closes its socket. Queued
  // procedures fail right after this returns.
  std::function<void(const std::string& reason, bool silent, bool rejected)> closed;
};

class DtuConnection {
 public:
  // `registry` must outlive the connection. The registration timeout runs from `now`.
  DtuConnection(DtuRegistry& registry, std::string remote, DtuConnectionHooks hooks, Micros now);

  // Bytes from the DTU.
  void on_bytes(protocol::Bytes bytes, Micros now);
  // `n` bytes were written to the DTU.
  void on_sent(std::size_t n);
  // The time passed deadline(): the liveness limit or a procedure's timeout.
  void on_timer(Micros now);
  // When on_timer() wants to be called (none once closed).
  std::optional<Micros> deadline() const;

  void enqueue(std::shared_ptr<protocol::link::Procedure> procedure, ProcedureDone done,
               Micros now);
  // Closes the connection (the owner's decision: the gateway stopped, a newer connection).
  void close(const std::string& reason) { shut(reason); }

  const std::string& id() const noexcept { return id_; }
  const std::string& remote() const noexcept { return remote_; }
  bool registered() const noexcept { return registered_; }
  bool closed() const noexcept { return closed_; }

 private:
  struct Job {
    std::shared_ptr<protocol::link::Procedure> procedure;
    ProcedureDone done;
    std::unique_ptr<protocol::link::Exchange> exchange;
  };

  void identify();
  void attach_decoder(protocol::dtu::Convention convention, std::size_t id_length,
                      const std::string& heartbeat);
  void decode(protocol::Bytes bytes, Micros now);
  void on_registration(const std::string& registration);
  void send(std::vector<std::uint8_t> bytes);
  Micros liveness_limit() const;
  void start_next_job(Micros now);
  void apply(const protocol::link::Exchange::Step& step, Micros now);
  void finish_job(const IoStatus& status, Micros now);
  void shut(const std::string& reason, bool silent = false, bool rejected = false);
  void flush_counters();

  DtuRegistry& registry_;
  std::string remote_;
  DtuConnectionHooks hooks_;
  std::vector<std::uint8_t> probe_;  // bytes before the DTU's convention is known
  std::optional<protocol::dtu::UpstreamDecoder> decoder_;
  protocol::dtu::Profile profile_;  // how to wrap bytes sent down
  const DtuModel* model_ = nullptr;
  std::string id_;
  std::string keyed_id_;      // the known ID with a key whose registration this is, if one
  std::string registration_;  // as the DTU registered: packets naming anything else are garbage
  bool registered_ = false;
  bool closed_ = false;
  Micros last_heard_ = 0;
  std::deque<Job> jobs_;
  bool job_running_ = false;
  Micros exchange_deadline_ = 0;
  DtuTraffic traffic_;  // counted here, handed to the registry after each read or write
};

}  // namespace heatlink::master
