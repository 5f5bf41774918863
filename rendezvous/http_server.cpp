#include "rendezvous/http_server.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <system_error>

#include "rendezvous/logging.hpp"

namespace dlaunch::rendezvous {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

std::system_error listen_error(const boost::system::error_code& error, const std::string& what) {
  return std::system_error(std::error_code(error.value(), std::system_category()),
                           "cannot serve HTTP on " + what);
}

}  // namespace

bool peer_is_same_user(int fd) {
  struct ucred cred {};
  socklen_t length = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) return false;
  return cred.uid == ::geteuid() || cred.uid == 0;
}

HttpServer::HttpServer(asio::io_context& io, std::shared_ptr<const HttpRoutes> routes,
                       HttpLimits limits)
    : io_(io),
      service_(std::make_shared<HttpService>(io, std::move(routes), limits)),
      tcp_(io),
      local_(io) {}

HttpServer::~HttpServer() {
  close();
}

std::shared_ptr<HttpServer> HttpServer::listen_tcp(asio::io_context& io, const Endpoint& bind,
                                                   std::shared_ptr<const HttpRoutes> routes,
                                                   HttpLimits limits) {
  auto server = std::make_shared<HttpServer>(io, std::move(routes), limits);
  boost::system::error_code error;
  tcp::resolver resolver(io);
  const auto results =
      resolver.resolve(bind.host, std::to_string(bind.port),
                       tcp::resolver::passive | tcp::resolver::numeric_service, error);
  if (error || results.empty()) throw listen_error(error, bind.to_string());
  const tcp::endpoint endpoint = results.begin()->endpoint();
  auto& acceptor = server->tcp_;
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(tcp::acceptor::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) throw listen_error(error, bind.to_string());
  server->port_ = acceptor.local_endpoint().port();
  server->accept_tcp();
  return server;
}

std::shared_ptr<HttpServer> HttpServer::listen_local(asio::io_context& io, const std::string& name,
                                                     std::shared_ptr<const HttpRoutes> routes,
                                                     HttpLimits limits) {
  auto server = std::make_shared<HttpServer>(io, std::move(routes), limits);
  const asio::local::stream_protocol::endpoint endpoint(std::string(1, '\0') + name);
  boost::system::error_code error;
  auto& acceptor = server->local_;
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) throw listen_error(error, "the local socket @" + name);
  server->local_name_ = name;
  server->accept_local();
  return server;
}

void HttpServer::accept_tcp() {
  tcp_.async_accept([weak = weak_from_this()](const boost::system::error_code& error,
                                              tcp::socket socket) {
    auto self = weak.lock();
    if (!self || self->closed_ || error == asio::error::operation_aborted) return;
    if (!error) {
      boost::system::error_code ignored;
      const auto peer = socket.remote_endpoint(ignored);
      const auto protocol = socket.local_endpoint(ignored).protocol();
      socket.set_option(tcp::no_delay(true), ignored);
      HttpService::Socket generic(self->io_,
                                  asio::generic::stream_protocol(protocol.family(), IPPROTO_TCP),
                                  socket.release());
      self->service_->adopt(std::move(generic),
                            Endpoint{peer.address().to_string(), peer.port()}.to_string(), false);
    } else {
      log().warn("http: accept failed: {}", error.message());
    }
    self->accept_tcp();
  });
}

void HttpServer::accept_local() {
  local_.async_accept([weak = weak_from_this()](const boost::system::error_code& error,
                                                asio::local::stream_protocol::socket socket) {
    auto self = weak.lock();
    if (!self || self->closed_ || error == asio::error::operation_aborted) return;
    if (!error) {
      const bool trusted = peer_is_same_user(socket.native_handle());
      HttpService::Socket generic(self->io_, asio::generic::stream_protocol(AF_UNIX, 0),
                                  socket.release());
      self->service_->adopt(std::move(generic), "local", trusted);
    } else {
      log().warn("http: accept failed on the local socket: {}", error.message());
    }
    self->accept_local();
  });
}

void HttpServer::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  tcp_.close(ignored);
  local_.close(ignored);
  service_->close();
}

}  // namespace dlaunch::rendezvous
