#include "heatlink/gui/sim_link.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

namespace heatlink::gui {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct SimLink::Connection {
  asio::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
};

SimLink::SimLink(std::string host, std::uint16_t port, std::string bearer)
    : host_(std::move(host)), port_(port), bearer_(std::move(bearer)) {}

SimLink::~SimLink() = default;

LinkResult SimLink::call(const std::string& method, const std::string& path, const Json& body) {
  const std::string what = method + " " + path;
  for (int attempt = 0; attempt < 2; ++attempt) {  // a kept-alive connection may have gone
    try {
      if (!connection_) {
        connection_ = std::make_unique<Connection>();
        asio::ip::tcp::resolver resolver(connection_->io);
        connection_->stream.expires_after(std::chrono::seconds(3));
        connection_->stream.connect(resolver.resolve(host_, std::to_string(port_)));
      }
      http::request<http::string_body> request(http::string_to_verb(method), "/api/v1" + path, 11);
      request.set(http::field::host, host_);
      request.keep_alive(true);
      if (!bearer_.empty()) request.set(http::field::authorization, "Bearer " + bearer_);
      if (!body.is_null()) {
        request.set(http::field::content_type, "application/json");
        request.body() = body.dump();
      }
      request.prepare_payload();
      connection_->stream.expires_after(std::chrono::seconds(5));
      http::write(connection_->stream, request);
      http::response<http::string_body> response;
      http::read(connection_->stream, connection_->buffer, response);
      if (!response.keep_alive()) connection_.reset();
      Json answer = Json::parse(response.body(), nullptr, false);
      const int status = static_cast<int>(response.result_int());
      if (status >= 300) {
        const std::string message = answer.is_object() && answer.contains("error")
                                        ? answer["error"].dump()
                                        : response.body();
        return LinkError{status, what + ": " + std::to_string(status) + " " + message};
      }
      if (answer.is_discarded()) return LinkError{status, what + ": the answer is not JSON"};
      return answer;
    } catch (const boost::system::system_error& e) {  // its what() names Boost's source lines
      connection_.reset();
      if (attempt == 1) return LinkError{0, what + ": " + e.code().message()};
    } catch (const std::exception& e) {
      connection_.reset();
      if (attempt == 1) return LinkError{0, what + ": " + e.what()};
    }
  }
  return LinkError{0, what + ": no connection"};
}

}  // namespace heatlink::gui
