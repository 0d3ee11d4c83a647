#include "heatlink/sim/control_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <deque>
#include <nlohmann/json.hpp>

#include "heatlink/protocol/frame_scan.h"

namespace heatlink::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// One traffic event as JSON: when, where, what, the bytes, and what they say.
std::string traffic_event(Micros when, std::string_view source, std::string_view kind,
                          protocol::Bytes bytes) {
  nlohmann::ordered_json j{{"t", static_cast<double>(when) / 1e6},
                           {"source", source},
                           {"kind", kind},
                           {"hex", protocol::to_hex(bytes)}};
  const auto frame = protocol::scan_any(bytes, protocol::Protocol::any);
  if (frame.status == protocol::mbus::ScanStatus::complete) {
    if (frame.protocol == protocol::Protocol::mbus) {
      j["summary"] = std::string("mbus ") + protocol::mbus::frame_type_name(frame.mbus.type) + " " +
                     protocol::mbus::control_name(frame.mbus.c) +
                     " a=" + std::to_string(frame.mbus.a);
    } else {
      j["summary"] = std::string("cjt188 ") + protocol::cjt188::control_name(frame.cjt188.control) +
                     " " + frame.cjt188.address.to_string();
    }
  }
  return j.dump();
}

constexpr std::size_t kBodyLimit = 64 * 1024;
constexpr std::size_t kStreamBacklog = 4096;  // events a slow stream may lag before it is cut
}  // namespace

// A traffic stream: events queued and written one after another.
struct Stream : std::enable_shared_from_this<Stream> {
  explicit Stream(beast::tcp_stream s) : socket(std::move(s)) {}
  beast::tcp_stream socket;
  std::deque<std::string> queue;
  bool writing = false;
  bool dead = false;

  void push(std::string event) {
    if (dead) return;
    if (queue.size() >= kStreamBacklog) {
      dead = true;  // too slow to follow: better cut than unbounded memory
      beast::error_code ignored;
      socket.socket().close(ignored);
      return;
    }
    queue.push_back(std::move(event));
    write();
  }
  void write() {
    if (writing || queue.empty() || dead) return;
    writing = true;
    asio::async_write(socket, asio::buffer(queue.front()),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        self->writing = false;
                        if (ec) {
                          self->dead = true;
                          return;
                        }
                        self->queue.pop_front();
                        self->write();
                      });
  }
};

struct ControlServer::Impl : std::enable_shared_from_this<ControlServer::Impl> {
  Impl(asio::io_context& io_, ControlApi& api_) : io(io_), api(api_), acceptor(io_) {}
  asio::io_context& io;
  ControlApi& api;
  tcp::acceptor acceptor;
  std::vector<std::shared_ptr<Stream>> streams;
  bool closed = false;

  void do_accept() {
    acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
      if (self->closed) return;
      if (!ec) std::make_shared<Session>(self, beast::tcp_stream(std::move(socket)))->do_read();
      self->do_accept();
    });
  }

  // One HTTP connection: read a request, answer it, read the next (paired do_x / on_x).
  struct Session : std::enable_shared_from_this<Session> {
    Session(std::shared_ptr<Impl> server_, beast::tcp_stream stream_)
        : server(std::move(server_)), stream(std::move(stream_)) {}
    std::shared_ptr<Impl> server;
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    std::optional<http::request_parser<http::string_body>> parser;
    http::response<http::string_body> response;

    void do_read() {
      parser.emplace();
      parser->body_limit(kBodyLimit);
      stream.expires_after(std::chrono::seconds(30));
      http::async_read(
          stream, buffer, *parser,
          [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
      if (ec == http::error::end_of_stream || server->closed)
        return;  // the client is done: a normal close
      if (ec) {
        if (ec == http::error::body_limit) {
          answer(413, R"({"error":"the body exceeds 64 KiB"})", false);
        } else if (ec == http::error::header_limit) {
          answer(431, R"({"error":"the request's headers exceed 8 KiB"})", false);
        } else if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
          // Not HTTP as Beast reads it: say so, then hang up (the stream is out of step).
          answer(400, nlohmann::json{{"error", "malformed HTTP request: " + ec.message()}}.dump(),
                 false);
        }
        return;  // timeouts and resets: nobody left to answer
      }
      const auto& request = parser->get();
      const std::string target(request.target());
      if (request.method() == http::verb::get && target == "/api/v1/traffic") return start_stream();
      const ApiResponse r = server->api.handle(
          ApiRequest{std::string(request.method_string()), target, request.body()});
      answer(r.status, r.body, request.keep_alive());
    }

    void answer(int status, std::string body, bool keep_alive) {
      response = {};
      response.result(static_cast<unsigned>(status));
      response.version(11);
      response.set(http::field::content_type, "application/json");
      response.keep_alive(keep_alive);
      response.body() = std::move(body);
      response.prepare_payload();
      http::async_write(stream, response,
                        [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                          if (ec || !keep_alive) {
                            beast::error_code ignored;
                            self->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
                            return;
                          }
                          self->do_read();
                        });
    }

    void start_stream() {
      stream.expires_never();
      auto s = std::make_shared<Stream>(std::move(stream));
      s->push(
          "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n");
      server->streams.push_back(s);
    }
  };
};

ControlServer::ControlServer(asio::io_context& io, ControlApi& api, const std::string& host,
                             std::uint16_t port, std::string& error)
    : impl_(std::make_shared<Impl>(io, api)) {
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) {
    error = "not an address: " + host;
    return;
  }
  const tcp::endpoint endpoint(address, port);
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error = "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message();
    return;
  }
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->do_accept();
}

ControlServer::~ControlServer() {
  impl_->closed = true;
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
  for (auto& s : impl_->streams) s->socket.socket().close(ignored);
}

void ControlServer::stream(Trace& trace) {
  trace.add_listener(
      [this](Micros when, std::string_view source, std::string_view kind, protocol::Bytes bytes) {
        if (streams() > 0) publish(traffic_event(when, source, kind, bytes));
      });
}

void ControlServer::publish(std::string_view json) {
  auto& streams = impl_->streams;
  streams.erase(
      std::remove_if(streams.begin(), streams.end(), [](const auto& s) { return s->dead; }),
      streams.end());
  for (auto& s : streams) s->push("data: " + std::string(json) + "\n\n");
}

std::size_t ControlServer::streams() const noexcept {
  return impl_->streams.size();
}

}  // namespace heatlink::sim
