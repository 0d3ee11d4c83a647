// The master's DTU gateway inside a deterministic run: the simulated GPRS links deliver their
// connections here instead of to a socket, and each becomes the same DtuConnection the live
// gateway runs (registration, heartbeats, liveness, one procedure at a time), on the
// simulation's virtual clock, with the gateway's DtuRegistry keeping state (DESIGN.md rule 2).
//
// Not thread-safe: runs on the simulation's queue.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "heatlink/master/gateway/dtu_connection.h"
#include "heatlink/sim/event_queue.h"
#include "heatlink/sim/gprs_link.h"

namespace heatlink::harness {

class InProcessGateway final : public sim::ServerEnd {
 public:
  using WallClock = master::DtuRegistry::WallClock;
  // `queue` must outlive the gateway; `wall` gives the simulated wall-clock time.
  InProcessGateway(sim::EventQueue& queue, master::GatewayConfig config, WallClock wall,
                   master::DtuRegistry::Log log = {});
  ~InProcessGateway() override;

  // sim::ServerEnd: the simulated network's side.
  void accepted(std::uint64_t connection, std::uint32_t remote_ip, sim::GprsLink& link) override;
  void received(std::uint64_t connection, protocol::Bytes bytes) override;
  void closed(std::uint64_t connection) override;

  // As master::Gateway::run(): `done` is called from the queue, never from inside run().
  void run(const std::string& id, std::shared_ptr<protocol::link::Procedure> procedure,
           master::ProcedureDone done);
  // Every connection closed, as when the master's process dies (the DTUs see a reset).
  void close_all(const std::string& reason);

  const master::DtuRegistry& registry() const noexcept { return registry_; }

 private:
  class Connection;
  sim::EventQueue& queue_;
  master::DtuRegistry registry_;
  std::map<std::uint64_t, std::shared_ptr<Connection>> connections_;
  std::map<std::uint64_t, sim::GprsLink*> links_;  // of every connection the DTU has not closed
};

}  // namespace heatlink::harness
