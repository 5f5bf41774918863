#pragma once
// HttpConnection: one HTTP/1.1 connection of an HttpService: reads one request at a time with
// Beast (limits and deadlines from HttpLimits), lets the routes answer it, writes the answer,
// and keeps the connection for the next request when the client asks for that. Every way out
// (a deadline, a parse error, the peer closing, the service closing) ends in close().
//
// Owned by its pending operations (handlers hold shared_from_this()); the service keeps a weak
// reference. Loop thread only.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "rendezvous/http_service.hpp"

namespace dlaunch::rendezvous {

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(std::shared_ptr<HttpService> service, HttpService::Socket socket, std::uint64_t id,
                 std::string peer, bool trusted, std::string initial);

  void start();
  // Answers 503 (too many connections) and closes.
  void refuse();
  void close();

 private:
  using Body = boost::beast::http::string_body;

  void read_next(std::chrono::milliseconds timeout);
  void on_read(const boost::system::error_code& error);
  void handle();
  void on_answer(std::uint64_t seq, HttpResponse response);
  void send(HttpResponse response, bool keep_alive);
  void on_written(const boost::system::error_code& error, bool keep_alive);
  void arm(std::chrono::milliseconds timeout);

  std::shared_ptr<HttpService> service_;
  HttpService::Socket socket_;
  const std::uint64_t id_;
  const std::string peer_;
  const bool trusted_;
  boost::asio::steady_timer deadline_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<Body>> parser_;
  std::shared_ptr<boost::beast::http::response<Body>> out_;
  HttpRequest request_;
  bool keep_alive_ = false;
  bool head_ = false;
  int served_ = 0;
  std::uint64_t seq_ =
      0;  // of the request being answered; a late answer to an older one is dropped
  bool answering_ = false;
  bool closed_ = false;
};

// "/a%20b?x=1&y" -> path "/a b", query {x: "1", y: ""}.
void split_target(const std::string& target, std::string& path,
                  std::map<std::string, std::string>& query);

}  // namespace dlaunch::rendezvous
