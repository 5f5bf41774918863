#pragma once
// HttpServer: a listener that speaks only HTTP, for the endpoints that are not on the store port:
// every agent's TORCHELASTIC_HEALTH_CHECK_PORT (TCP) and its local socket (an abstract Unix
// socket, so nothing is created in the log directory and nothing is left behind by a kill -9;
// its name is in the agent's endpoint file). On the local socket the kernel tells who connects
// (SO_PEERCRED): this user (or root) is trusted and needs no token.
//
// The factories bind and listen at once and throw std::system_error whose what() names the
// address. Create through them (shared ownership; the accept loop holds a weak pointer).
// Loop thread only.

#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include "rendezvous/endpoint.hpp"
#include "rendezvous/http_service.hpp"

namespace dlaunch::rendezvous {

class HttpServer : public std::enable_shared_from_this<HttpServer> {
 public:
  static std::shared_ptr<HttpServer> listen_tcp(boost::asio::io_context& io, const Endpoint& bind,
                                                std::shared_ptr<const HttpRoutes> routes,
                                                HttpLimits limits = {});
  // `name` without the leading NUL of the abstract namespace.
  static std::shared_ptr<HttpServer> listen_local(boost::asio::io_context& io,
                                                  const std::string& name,
                                                  std::shared_ptr<const HttpRoutes> routes,
                                                  HttpLimits limits = {});

  HttpServer(boost::asio::io_context& io, std::shared_ptr<const HttpRoutes> routes,
             HttpLimits limits);
  ~HttpServer();

  std::uint16_t port() const { return port_; }  // TCP only
  const std::string& local_name() const { return local_name_; }
  HttpService::Stats stats() const { return service_->stats(); }
  // Stops listening and closes every connection.
  void close();

 private:
  void accept_tcp();
  void accept_local();

  boost::asio::io_context& io_;
  std::shared_ptr<HttpService> service_;
  boost::asio::ip::tcp::acceptor tcp_;
  boost::asio::local::stream_protocol::acceptor local_;
  std::uint16_t port_ = 0;
  std::string local_name_;
  bool closed_ = false;
};

// Whether the peer of a connected Unix socket is this process's user or root.
bool peer_is_same_user(int fd);

}  // namespace dlaunch::rendezvous
