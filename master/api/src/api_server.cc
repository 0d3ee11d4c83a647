#include "heatlink/master/api/api_server.h"

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

namespace heatlink::master::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr const char* kStreamPath = "/api/v1/monitoring/stream";

// One Storage per thread answering requests, borrowed for a request.
class StoragePool {
 public:
  void add(std::unique_ptr<Storage> s) { free_.push_back(std::move(s)); }
  std::unique_ptr<Storage> take() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [this] { return !free_.empty(); });
    auto s = std::move(free_.back());
    free_.pop_back();
    return s;
  }
  void give_back(std::unique_ptr<Storage> s) {
    {
      std::lock_guard lock(mutex_);
      free_.push_back(std::move(s));
    }
    ready_.notify_one();
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<std::unique_ptr<Storage>> free_;
};

}  // namespace

struct ApiServer::Impl : std::enable_shared_from_this<ApiServer::Impl> {
  Impl(Api& a, OpenStorage o, ApiServerOptions opts)
      : api(a), open_storage(std::move(o)), options(std::move(opts)), acceptor(io) {}

  Api& api;
  OpenStorage open_storage;
  ApiServerOptions options;
  asio::io_context io;
  tcp::acceptor acceptor;
  StoragePool pool;
  std::vector<std::thread> threads;
  std::atomic<std::size_t> connections{0};
  std::atomic<bool> stopping{false};
  std::mutex sessions_mutex;
  struct Session;
  std::vector<std::weak_ptr<Session>> sessions;  // in the order they came; closed when stopping
  // Open connections by address. Its own mutex: a session may end (and count itself out)
  // while sessions_mutex is held.
  std::mutex addresses_mutex;
  std::map<std::string, std::size_t> per_address;
  std::uint16_t port = 0;

  Response answer(const Request& request) {
    if (options.web && WebFiles::serves(request.target)) return options.web->answer(request);
    auto storage = pool.take();
    Response r = api.handle(request, *storage);
    pool.give_back(std::move(storage));
    return r;
  }

  void do_accept() {
    acceptor.async_accept(asio::make_strand(io),
                          [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                            if (ec == asio::error::operation_aborted || self->stopping) return;
                            if (!ec) self->admit(std::move(socket));
                            self->do_accept();
                          });
  }

  // A new connection. Over max_connections, or over max_connections_per_address from its
  // address, the oldest connection waiting for a request (of that address, for the latter)
  // is closed to make room - idle sockets held open by someone must not keep people out - and
  // only when none waits is the newcomer refused.
  void admit(tcp::socket socket) {
    beast::error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    const std::string peer = ec ? std::string() : remote.address().to_string();
    std::shared_ptr<Session> session;
    std::shared_ptr<Session> giving_way;
    {
      std::lock_guard lock(sessions_mutex);
      std::erase_if(sessions, [](const auto& w) { return w.expired(); });
      const bool full = connections.load() >= options.max_connections;
      const bool crowded = connections_from(peer) >= options.max_connections_per_address;
      if (full || crowded) {
        giving_way = oldest_idle(crowded ? peer : std::string());
        if (!giving_way) {
          socket.close(ec);  // every place is in use: refused at once
          return;
        }
        giving_way->idle = false;  // closing: not chosen twice
      }
      session = std::make_shared<Session>(shared_from_this(), std::move(socket), peer);
      sessions.push_back(session);
    }
    if (giving_way) asio::post(giving_way->stream.get_executor(), [s = giving_way] { s->close(); });
    session->do_read_header();
  }

  std::size_t connections_from(const std::string& peer) {
    std::lock_guard lock(addresses_mutex);
    const auto it = per_address.find(peer);
    return it == per_address.end() ? 0 : it->second;
  }

  // With sessions_mutex held: the session that has waited longest for a request (of `peer`
  // unless empty), or null.
  std::shared_ptr<Session> oldest_idle(const std::string& peer) {
    for (const auto& weak : sessions) {
      auto s = weak.lock();
      if (s && s->idle && (peer.empty() || s->peer == peer)) return s;
    }
    return nullptr;
  }

  // One HTTP connection (paired do_x / on_x); EOF is a normal close.
  struct Session : std::enable_shared_from_this<Session> {
    Session(std::shared_ptr<Impl> s, tcp::socket socket, std::string from)
        : server(std::move(s)),
          stream(std::move(socket)),
          timer(stream.get_executor()),
          peer(std::move(from)) {
      ++server->connections;
      std::lock_guard lock(server->addresses_mutex);
      ++server->per_address[peer];
    }
    ~Session() {
      --server->connections;
      std::lock_guard lock(server->addresses_mutex);
      if (const auto it = server->per_address.find(peer);
          it != server->per_address.end() && --it->second == 0)
        server->per_address.erase(it);
    }

    std::shared_ptr<Impl> server;
    beast::tcp_stream stream;
    asio::steady_timer timer;  // the stream's next look for changes
    beast::flat_buffer buffer;
    std::optional<http::request_parser<http::string_body>> parser;
    http::response<http::string_body> response;
    std::string peer;
    std::atomic<bool> idle{false};  // waiting for a request to begin: may give way to another
    Request stream_request;         // a stream's request, repeated against /changes
    EpochSeconds stream_since = 0;
    std::string pending;               // a stream's event being written
    std::array<char, 4096> drained{};  // what linger() reads and drops

    void do_read_header() {
      if (server->stopping) return close();
      parser.emplace();
      parser->header_limit(8 * 1024);
      // The parser checks a Content-Length against this as the header ends: the largest body
      // any route takes here, the route's own in on_read_header().
      parser->body_limit(server->options.import_body_limit);
      stream.expires_after(server->options.request_timeout);
      idle = true;
      http::async_read_header(stream, buffer, *parser,
                              [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                self->on_read_header(ec);
                              });
    }

    void on_read_header(beast::error_code ec) {
      idle = false;
      if (ec) return on_error(ec);
      const std::string_view target = parser->get().target();
      const bool import = target.find("/import") != std::string_view::npos;
      const std::size_t limit =
          import ? server->options.import_body_limit : server->options.body_limit;
      if (parser->content_length() && *parser->content_length() > limit)
        return on_error(http::error::body_limit);
      parser->body_limit(limit);
      http::async_read(
          stream, buffer, *parser,
          [self = shared_from_this()](beast::error_code e, std::size_t) { self->on_read(e); });
    }

    void on_error(beast::error_code ec) {
      if (ec == http::error::end_of_stream) return close();
      if (ec == http::error::body_limit)
        return write(error(413, "too_large", "the request body is too large"), false);
      if (ec == http::error::header_limit)
        return write(error(431, "too_large", "the request's headers exceed 8 KiB"), false);
      if (ec.category() == http::make_error_code(http::error::bad_method).category())
        return write(error(400, "malformed", "malformed HTTP request: " + ec.message()), false);
      // A timeout (a slow client) or a reset: nobody to answer.
      close();
    }

    static Response error(int status, const std::string& code, const std::string& message) {
      Response r;
      r.status = status;
      r.body = nlohmann::json{{"error", {{"code", code}, {"message", message}}}}.dump();
      return r;
    }

    Request request_of(const http::request<http::string_body>& req) const {
      Request r;
      r.method = std::string(req.method_string());
      r.target = std::string(req.target());
      for (const auto& field : req) {
        std::string name(field.name_string());
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers[name] = std::string(field.value());
      }
      r.body = req.body();
      r.peer = peer;
      return r;
    }

    void on_read(beast::error_code ec) {
      if (ec) return on_error(ec);
      stream.expires_never();
      const auto& req = parser->get();
      Request request = request_of(req);
      Response r = server->answer(request);
      const std::string_view path =
          std::string_view(request.target).substr(0, std::string_view(request.target).find('?'));
      if (path == kStreamPath && r.status == 200 && request.method == "GET")
        return start_stream(std::move(request));
      write(std::move(r), req.keep_alive(), request.method == "HEAD");
    }

    // A HEAD answer says the length of the body a GET would get, without it.
    void write(Response r, bool keep_alive, bool head = false) {
      response = {};
      response.result(static_cast<unsigned>(r.status));
      response.version(11);
      response.set(http::field::server, "heatlink");
      response.set(http::field::content_type, r.content_type);
      for (const auto& [name, value] : r.headers) response.insert(name, value);
      response.keep_alive(keep_alive);
      const std::size_t length = r.body.size();
      response.body() = head ? std::string() : std::move(r.body);
      response.prepare_payload();
      if (head) response.content_length(length);
      stream.expires_after(std::chrono::seconds(30));
      http::async_write(stream, response,
                        [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                          if (ec) return self->close();
                          if (!keep_alive) return self->linger();
                          self->do_read_header();
                        });
    }

    void close() {
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream.socket().close(ignored);
    }

    // After a last answer (413 to a body still arriving, say): stop sending, and read and drop
    // what the client still sends for a moment, so that closing does not reset the connection
    // before the client has read the answer.
    void linger() {
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      stream.expires_after(std::chrono::seconds(2));
      drain();
    }

    void drain() {
      stream.async_read_some(asio::buffer(drained),
                             [self = shared_from_this()](beast::error_code ec, std::size_t) {
                               if (ec) return self->close();
                               self->drain();
                             });
    }

    // Server-sent events: the headers, then an event whenever /changes has some.
    void start_stream(Request request) {
      stream_request = std::move(request);
      const auto question = stream_request.target.find('?');
      stream_request.target =
          "/api/v1/monitoring/changes?" + (question == std::string::npos
                                               ? std::string()
                                               : stream_request.target.substr(question + 1) + "&");
      stream_since = now_of(server->answer(with_since(0)));
      pending =
          "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
          "X-Content-Type-Options: nosniff\r\nConnection: keep-alive\r\n\r\n: streaming\n\n";
      write_event();
    }

    Request with_since(EpochSeconds since) const {
      Request r = stream_request;
      r.target += "since=" + std::to_string(since);
      return r;
    }

    static EpochSeconds now_of(const Response& r) {
      const auto body = nlohmann::json::parse(r.body, nullptr, false);
      if (body.is_discarded() || !body.contains("now")) return 0;
      return body["now"].get<EpochSeconds>();
    }

    void write_event() {
      stream.expires_after(std::chrono::seconds(30));
      asio::async_write(stream, asio::buffer(pending),
                        [self = shared_from_this()](beast::error_code ec, std::size_t) {
                          if (ec) return self->close();
                          self->wait_for_changes();
                        });
    }

    // The server stops: whatever the session waits for ends now, and it starts nothing new.
    void end() {
      timer.cancel();
      close();
    }

    void wait_for_changes() {
      if (server->stopping) return close();
      timer.expires_after(server->options.stream_interval);
      timer.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (ec) return;
        self->look_for_changes();
      });
    }

    void look_for_changes() {
      const Response r = server->answer(with_since(stream_since));
      if (r.status != 200) {  // signed out, permission taken away: the stream ends
        pending = "event: end\ndata: " + r.body + "\n\n";
        asio::async_write(
            stream, asio::buffer(pending),
            [self = shared_from_this()](beast::error_code, std::size_t) { self->close(); });
        return;
      }
      const auto body = nlohmann::json::parse(r.body, nullptr, false);
      stream_since = body.value("now", stream_since);
      pending = body.value("items", nlohmann::json::array()).empty()
                    ? std::string(": idle\n\n")
                    : "event: changes\ndata: " + r.body + "\n\n";
      write_event();
    }
  };
};

ApiServer::ApiServer(Api& api, OpenStorage open_storage, ApiServerOptions options)
    : impl_(std::make_shared<Impl>(api, std::move(open_storage), std::move(options))) {}

ApiServer::~ApiServer() {
  stop();
}

std::string ApiServer::start() {
  Impl& s = *impl_;
  const unsigned threads = std::max(1u, s.options.threads);
  for (unsigned i = 0; i < threads; ++i) {
    auto opened = s.open_storage();
    if (auto* e = std::get_if<StorageError>(&opened)) return "API: " + e->message;
    s.pool.add(std::move(std::get<std::unique_ptr<Storage>>(opened)));
  }
  beast::error_code ec;
  const auto address = asio::ip::make_address(s.options.host, ec);
  if (ec) return "API: not an address: " + s.options.host;
  const tcp::endpoint endpoint(address, s.options.port);
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return "API: cannot listen on " + s.options.host + ":" + std::to_string(s.options.port) + ": " +
           ec.message();
  s.port = s.acceptor.local_endpoint().port();
  s.do_accept();
  for (unsigned i = 0; i < threads; ++i) s.threads.emplace_back([&s] { s.io.run(); });
  return "";
}

std::uint16_t ApiServer::port() const {
  return impl_->port;
}

void ApiServer::stop() {
  Impl& s = *impl_;
  if (s.threads.empty()) return;
  // Close the acceptor and every connection, and let the threads run out of work: every
  // handler completes, and nothing (sessions, the server) is left behind.
  s.stopping = true;
  asio::post(s.acceptor.get_executor(), [&s] {
    beast::error_code ignored;
    s.acceptor.close(ignored);
  });
  {
    std::lock_guard lock(s.sessions_mutex);
    for (const auto& w : s.sessions)
      if (auto session = w.lock())
        asio::post(session->stream.get_executor(), [session] { session->end(); });
    s.sessions.clear();
  }
  // A handler blocked elsewhere must not hold the process: after 5 s the threads are stopped.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (s.connections.load() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (s.connections.load() > 0) s.io.stop();
  for (auto& t : s.threads) t.join();
  s.threads.clear();
}

}  // namespace heatlink::master::api
