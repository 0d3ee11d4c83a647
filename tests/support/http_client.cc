#include "http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace heatlink::test {

namespace beast = boost::beast;
namespace http_ns = beast::http;

HttpReply http(std::uint16_t port, const std::string& method, const std::string& target,
               const std::string& body,
               const std::vector<std::pair<std::string, std::string>>& headers) {
  HttpReply reply;
  try {
    boost::asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(30));
    stream.connect(
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    http_ns::request<http_ns::string_body> request(http_ns::string_to_verb(method), target, 11);
    request.set(http_ns::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = body;
    request.prepare_payload();
    http_ns::write(stream, request);
    beast::flat_buffer buffer;
    http_ns::response_parser<http_ns::string_body> parser;
    parser.body_limit(256 << 20);
    if (method == "HEAD") parser.skip(true);  // the length of a body that does not come
    http_ns::read(stream, buffer, parser);
    const auto& response = parser.get();
    reply.status = static_cast<int>(response.result_int());
    for (const auto& field : response)
      reply.headers.emplace(std::string(field.name_string()), std::string(field.value()));
    reply.body = response.body();
  } catch (const std::exception&) {
    reply.status = 0;
  }
  return reply;
}

}  // namespace heatlink::test
