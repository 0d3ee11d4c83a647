// The live server end: every connection a simulated DTU opens becomes a real TCP connection
// to the server (a HeatLink master, or any DTU gateway), from a loopback address of its own
// (127.x.y.z from the DTU's carrier address), so that a reconnect arrives from a new address.
//
// Runs on the caller's io_context, on the same thread as the simulation: not thread-safe.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "heatlink/sim/gprs_link.h"

namespace heatlink::sim {

class TcpServerEnd final : public ServerEnd {
 public:
  TcpServerEnd(boost::asio::io_context& io, std::string host, std::uint16_t port);
  ~TcpServerEnd() override;

  void accepted(std::uint64_t connection, std::uint32_t remote_ip, GprsLink& link) override;
  void received(std::uint64_t connection, protocol::Bytes bytes) override;
  void closed(std::uint64_t connection) override;

  std::size_t open_connections() const noexcept { return connections_.size(); }

 private:
  struct Connection;
  void do_write(const std::shared_ptr<Connection>& c);
  void do_read(const std::shared_ptr<Connection>& c);
  void lost(const std::shared_ptr<Connection>& c);

  boost::asio::io_context& io_;
  std::string host_;
  std::uint16_t port_;
  std::map<std::uint64_t, std::shared_ptr<Connection>> connections_;
  // Connections the server ended, by number: a DTU that did not hear of it meets a reset.
  static constexpr std::size_t kClosedRemembered = 4096;
  std::map<std::uint64_t, GprsLink*> closed_;
};

}  // namespace heatlink::sim
