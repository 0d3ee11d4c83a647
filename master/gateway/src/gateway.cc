#include "heatlink/master/gateway/gateway.h"

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "dtu_session.h"

namespace heatlink::master {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// ---- Gateway

struct Gateway::Acceptor {
  explicit Acceptor(asio::io_context& io) : acceptor(io), pause(io) {}
  tcp::acceptor acceptor;
  asio::steady_timer pause;  // after a failed accept (out of descriptors): not in a busy loop
};

Gateway::Gateway(asio::io_context& io, GatewayConfig config, Log log, DtuRegistry::WallClock clock)
    : io_(io),
      problem_(config.problem()),
      registry_(std::move(config), std::move(log), std::move(clock)),
      acceptor_(std::make_unique<Acceptor>(io)) {}

Gateway::~Gateway() = default;

IoStatus Gateway::start() {
  if (!problem_.empty()) return {problem_};
  const GatewayConfig& config = registry_.config();
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(config.host, ec);
  if (ec) return {"listen address '" + config.host + "': " + ec.message()};
  tcp::acceptor& a = acceptor_->acceptor;
  const tcp::endpoint endpoint(address, config.port);
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return {"listen on " + config.host + ":" + std::to_string(config.port) + ": " + ec.message()};
  }
  port_ = a.local_endpoint().port();
  do_accept();
  return {};
}

void Gateway::stop() {
  asio::post(io_, [this] {
    boost::system::error_code ignored;
    acceptor_->acceptor.close(ignored);
    acceptor_->pause.cancel();
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
        if (ec) {
          acceptor_->pause.expires_after(std::chrono::milliseconds(100));
          acceptor_->pause.async_wait([this](const boost::system::error_code& e) {
            if (!e && acceptor_->acceptor.is_open()) do_accept();
          });
          return;
        }
        auto session = std::make_shared<DtuSession>(registry_, std::move(socket));
        if (registry_.admit(session)) {
          {
            std::lock_guard lock(mutex_);
            if (sessions_.size() > 2 * registry_.stats().connections + 64) {
              std::erase_if(sessions_, [](const auto& w) { return w.expired(); });
            }
            sessions_.push_back(session);
          }
          session->start();
        }
        do_accept();
      });
}

void Gateway::run(const std::string& id, std::shared_ptr<protocol::link::Procedure> procedure,
                  Done done) {
  if (auto endpoint = registry_.endpoint(id)) {
    endpoint->enqueue(std::move(procedure), std::move(done));
    return;
  }
  asio::post(io_, [id, done = std::move(done)] { done({"DTU " + id + " is offline"}); });
}

}  // namespace heatlink::master
