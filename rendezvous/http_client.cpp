#include "rendezvous/http_client.hpp"

#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "rendezvous/endpoint.hpp"

namespace dlaunch::rendezvous {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

[[noreturn]] void fail(const HttpTarget& target, const char* what,
                       const boost::system::error_code& error) {
  const std::string reason =
      error == beast::error::timeout ? std::string("timed out") : error.message();
  throw std::runtime_error(std::string("cannot ") + what + " " + target.describe() + ": " + reason);
}

// Sends the request on a connected stream and reads the answer, all within the stream's expiry.
template <class Stream>
HttpResult exchange(asio::io_context& io, Stream& stream, const HttpTarget& target,
                    const std::string& path, const std::string& token) {
  http::request<http::string_body> request(http::verb::get, path, 11);
  request.set(http::field::host, target.local() ? std::string("localhost")
                                                : Endpoint{target.host, target.port}.to_string());
  request.set(http::field::user_agent, "dlaunch");
  request.set(http::field::connection, "close");
  if (!token.empty()) request.set(http::field::authorization, "Bearer " + token);
  boost::system::error_code error;
  http::async_write(stream, request,
                    [&](const boost::system::error_code& e, std::size_t) { error = e; });
  io.run();
  io.restart();
  if (error) fail(target, "send to", error);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256 * 1024 * 1024);
  http::async_read(stream, buffer, parser,
                   [&](const boost::system::error_code& e, std::size_t) { error = e; });
  io.run();
  if (error) fail(target, "read from", error);
  const auto& response = parser.get();
  HttpResult result;
  result.status = static_cast<int>(response.result_int());
  if (auto it = response.find(http::field::content_type); it != response.end()) {
    result.content_type = std::string(it->value());
  }
  result.body = response.body();
  return result;
}

}  // namespace

std::string HttpTarget::describe() const {
  if (local()) return "unix:@" + local_name;
  return "http://" + Endpoint{host, port}.to_string();
}

HttpTarget parse_http_target(const std::string& text) {
  HttpTarget target;
  std::string rest = text;
  if (rest.rfind("unix:@", 0) == 0) {
    target.local_name = rest.substr(6);
    if (target.local_name.empty()) throw std::invalid_argument("empty socket name in " + text);
    return target;
  }
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  if (rest.rfind("https://", 0) == 0) {
    throw std::invalid_argument("https is not served: use http:// (" + text + ")");
  }
  if (const auto slash = rest.find('/'); slash != std::string::npos) {
    target.path = rest.substr(slash);
    rest = rest.substr(0, slash);
  }
  const Endpoint endpoint = parse_endpoint(rest, 0);
  if (endpoint.port == 0) throw std::invalid_argument("no port in " + text + " (HOST:PORT)");
  target.host = endpoint.host;
  target.port = endpoint.port;
  return target;
}

HttpResult http_get(const HttpTarget& target, const std::string& path, const std::string& token,
                    std::chrono::milliseconds timeout) {
  asio::io_context io;
  boost::system::error_code error;
  if (target.local()) {
    beast::basic_stream<asio::local::stream_protocol> stream(io);
    stream.expires_after(timeout);
    stream.async_connect(
        asio::local::stream_protocol::endpoint(std::string(1, '\0') + target.local_name),
        [&](const boost::system::error_code& e) { error = e; });
    io.run();
    io.restart();
    if (error) fail(target, "connect to", error);
    return exchange(io, stream, target, path, token);
  }
  asio::ip::tcp::resolver resolver(io);
  const auto endpoints = resolver.resolve(target.host, std::to_string(target.port), error);
  if (error) fail(target, "resolve", error);
  beast::tcp_stream stream(io);
  stream.expires_after(timeout);
  stream.async_connect(endpoints, [&](const boost::system::error_code& e,
                                      const asio::ip::tcp::endpoint&) { error = e; });
  io.run();
  io.restart();
  if (error) fail(target, "connect to", error);
  return exchange(io, stream, target, path, token);
}

}  // namespace dlaunch::rendezvous
