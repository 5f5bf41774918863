#pragma once
// HttpService: serves HTTP connections handed to it by a listener: node 0's store port (whose
// connection reader hands over a socket whose first bytes are an HTTP method), an HttpServer of
// its own (the health-check port, the agent's local socket). It owns the routes, the limits and
// the registry of live connections, so a listener's close() ends them all and the number of
// them is bounded: a connection over `max_connections` gets a 503 and is closed.
//
// Limits keep garbage harmless to the store that shares the loop: a header over header_bytes
// gets 431, a body (no route takes one) over body_bytes 413, unparsable bytes 400; a request
// must arrive whole within request_timeout of its connection's start (idle_timeout after a
// previous answer on a kept-alive connection), so a client that never finishes (slowloris) is
// closed; an answer must be written within write_timeout.
//
// Create with std::make_shared; connections hold a shared_ptr to it. Loop thread only.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>

#include "rendezvous/http_routes.hpp"

namespace dlaunch::rendezvous {

class HttpConnection;

struct HttpLimits {
  std::size_t header_bytes = 8 * 1024;
  std::size_t body_bytes = 4 * 1024;
  std::chrono::milliseconds request_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds handler_timeout{60'000};  // then 504
  std::chrono::milliseconds write_timeout{10'000};
  int max_requests = 10'000;  // per connection, then it is closed after the answer
  std::size_t max_connections = 128;
};

class HttpService : public std::enable_shared_from_this<HttpService> {
 public:
  using Socket = boost::asio::generic::stream_protocol::socket;

  HttpService(boost::asio::io_context& io, std::shared_ptr<const HttpRoutes> routes,
              HttpLimits limits = {});

  // Serves `socket`; `initial` holds bytes already read from it. `peer` names it in log lines
  // and HttpRequest::peer; `trusted` peers need no token.
  void adopt(Socket socket, std::string peer, bool trusted, std::string initial = {});
  // Closes every connection; later adopt()s close at once.
  void close();

  boost::asio::io_context& io() { return io_; }
  const HttpRoutes& routes() const { return *routes_; }
  const HttpLimits& limits() const { return limits_; }

  struct Stats {
    std::size_t open = 0;
    std::uint64_t accepted = 0;  // connections served
    std::uint64_t refused = 0;   // over max_connections
    std::uint64_t requests = 0;  // answered
    std::uint64_t errors = 0;    // 4xx/5xx for malformed, oversized or slow requests
  };
  Stats stats() const;

  // For connections.
  void forget(std::uint64_t id) { connections_.erase(id); }
  void count_request() { ++requests_; }
  void count_error() { ++errors_; }

 private:
  boost::asio::io_context& io_;
  std::shared_ptr<const HttpRoutes> routes_;
  HttpLimits limits_;
  std::unordered_map<std::uint64_t, std::weak_ptr<HttpConnection>> connections_;
  std::uint64_t next_id_ = 1;
  std::uint64_t accepted_ = 0, refused_ = 0, requests_ = 0, errors_ = 0;
  bool closed_ = false;
};

}  // namespace dlaunch::rendezvous
