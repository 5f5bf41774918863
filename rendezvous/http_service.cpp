#include "rendezvous/http_service.hpp"

#include "rendezvous/http_connection.hpp"

namespace dlaunch::rendezvous {

HttpService::HttpService(boost::asio::io_context& io, std::shared_ptr<const HttpRoutes> routes,
                         HttpLimits limits)
    : io_(io), routes_(std::move(routes)), limits_(limits) {}

void HttpService::adopt(Socket socket, std::string peer, bool trusted, std::string initial) {
  if (closed_) {
    boost::system::error_code ignored;
    socket.close(ignored);
    return;
  }
  const std::uint64_t id = next_id_++;
  auto connection = std::make_shared<HttpConnection>(shared_from_this(), std::move(socket), id,
                                                     std::move(peer), trusted, std::move(initial));
  connections_.emplace(id, connection);
  if (connections_.size() > limits_.max_connections) {
    ++refused_;
    connection->refuse();
    return;
  }
  ++accepted_;
  connection->start();
}

void HttpService::close() {
  closed_ = true;
  auto connections = std::move(connections_);
  connections_.clear();
  for (auto& [id, weak] : connections) {
    if (auto connection = weak.lock()) connection->close();
  }
}

HttpService::Stats HttpService::stats() const {
  return Stats{connections_.size(), accepted_, refused_, requests_, errors_};
}

}  // namespace dlaunch::rendezvous
