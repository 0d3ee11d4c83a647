// One DTU connection (see gateway.h). Lives on its own strand; kept alive by its pending
// reads, writes and timers (shared_from_this), as in the Beast examples.
#pragma once

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "heatlink/master/gateway.h"
#include "heatlink/protocol/dtu.h"
#include "heatlink/protocol/link.h"

namespace heatlink::master {

class DtuSession : public std::enable_shared_from_this<DtuSession> {
 public:
  DtuSession(Gateway& gateway, boost::asio::ip::tcp::socket socket);

  void start();
  // Closes the connection (from any thread); `reason` is kept in the DTU's state.
  void close(std::string reason);
  // Queues a procedure (from any thread).
  void enqueue(std::shared_ptr<protocol::link::Procedure> procedure, Gateway::Done done);

  // Set once, on the strand, before the gateway hears of the registration.
  const std::string& id() const noexcept { return id_; }
  bool registered() const noexcept { return registered_; }
  const std::string& remote() const noexcept { return remote_; }

 private:
  struct Job {
    std::shared_ptr<protocol::link::Procedure> procedure;
    Gateway::Done done;
    std::unique_ptr<protocol::link::Exchange> exchange;
  };

  void do_read();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  void identify();
  void attach_decoder(protocol::dtu::Convention convention, std::size_t id_length,
                      const std::string& heartbeat);
  void decode(protocol::Bytes bytes);
  void on_registration(const std::string& id);
  void on_serial(std::vector<std::uint8_t> bytes);
  void send(std::vector<std::uint8_t> bytes);
  void do_write();
  void on_write(const boost::system::error_code& ec, std::size_t n);
  void arm_liveness();
  void on_liveness(const boost::system::error_code& ec);
  void start_next_job();
  void apply(const protocol::link::Exchange::Step& step);
  void on_exchange_timer(const boost::system::error_code& ec, std::uint64_t generation);
  void finish_job(const IoStatus& status);
  void shut(const std::string& reason, bool silent = false, bool rejected = false);
  void flush_counters();

  Gateway& gateway_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer liveness_;
  boost::asio::steady_timer exchange_timer_;
  std::array<std::uint8_t, 512> read_buffer_{};
  std::vector<std::uint8_t> probe_;  // bytes before the DTU's convention is known
  std::optional<protocol::dtu::UpstreamDecoder> decoder_;
  protocol::dtu::Profile profile_;  // how to wrap bytes sent down
  const DtuModel* model_ = nullptr;
  std::string id_;
  std::string remote_;
  bool registered_ = false;
  bool closed_ = false;
  std::chrono::steady_clock::time_point last_heard_;
  std::deque<std::vector<std::uint8_t>> writes_;
  std::deque<Job> jobs_;
  bool job_running_ = false;
  std::uint64_t exchange_generation_ = 0;
  // Counted on the strand, handed to the gateway after each read or write.
  std::uint64_t in_ = 0, out_ = 0, heartbeats_ = 0, garbage_ = 0, unsolicited_ = 0;
};

}  // namespace heatlink::master
