#include "rendezvous/store_server.hpp"

#include "rendezvous/fd_limit.hpp"
#include "rendezvous/local_store.hpp"
#include "rendezvous/logging.hpp"
#include "rendezvous/server_core.hpp"

namespace dlaunch::rendezvous {

StoreServer::StoreServer(boost::asio::io_context& io, const Endpoint& bind,
                         StoreServerOptions options)
    : io_(io), core_(std::make_shared<ServerCore>(io, std::move(options.agent_token))) {
  const auto fd_limit = raise_fd_limit();
  core_->listen(bind);
  core_->start_accepting();
  log().debug("store: serving on {} (open files limit {})", bind.to_string(), fd_limit);
}

StoreServer::~StoreServer() {
  close();
}

std::uint16_t StoreServer::port() const {
  return core_->local_endpoint().port();
}

boost::asio::ip::tcp::endpoint StoreServer::local_endpoint() const {
  return core_->local_endpoint();
}

std::uint64_t StoreServer::begin_worker_epoch() {
  return core_->workers().begin_epoch();
}

std::uint64_t StoreServer::worker_epoch() const {
  return core_->workers().epoch();
}

std::shared_ptr<AsyncStore> StoreServer::agent_store() {
  // The aliasing pointer keeps the whole core (and so the space) alive with the store.
  std::shared_ptr<KeySpace> space(core_, &core_->agent_space());
  return std::make_shared<LocalStore>(io_, std::move(space), core_->next_client_id());
}

void StoreServer::restrict_worker_peers(std::vector<boost::asio::ip::address> allowed) {
  core_->set_worker_peers(std::move(allowed));
}

void StoreServer::allow_worker_peer(const boost::asio::ip::address& address) {
  core_->allow_worker_peer(address);
}

void StoreServer::allow_all_worker_peers() {
  core_->set_worker_peers(std::nullopt);
}

void StoreServer::close() {
  core_->close();
}

void StoreServer::serve_http(std::shared_ptr<const HttpRoutes> routes, HttpLimits limits) {
  if (auto* old = core_->http()) old->close();
  core_->set_http(std::make_shared<HttpService>(io_, std::move(routes), limits));
}

StoreServer::Stats StoreServer::stats() const {
  Stats stats;
  const auto& counters = core_->counters();
  stats.v1 = counters.open[static_cast<std::size_t>(Dialect::kV1)];
  stats.v2 = counters.open[static_cast<std::size_t>(Dialect::kV2)];
  stats.agent = counters.open[static_cast<std::size_t>(Dialect::kAgent)];
  stats.connections = core_->connection_count();
  const std::size_t known = stats.v1 + stats.v2 + stats.agent;
  stats.unclassified = stats.connections > known ? stats.connections - known : 0;
  if (auto* http = core_->http()) {
    stats.http_service = http->stats();
    stats.http = stats.http_service.open;
    stats.connections += stats.http;
  }
  stats.worker_connections = core_->workers().connection_count();
  stats.worker_keys = core_->workers().keys().num_keys();
  stats.agent_keys = core_->agent_space().num_keys();
  stats.worker_waiters = core_->workers().keys().waiter_count();
  stats.agent_waiters = core_->agent_space().waiter_count();
  stats.worker_bytes = core_->workers().keys().bytes_held();
  stats.agent_bytes = core_->agent_space().bytes_held();
  stats.accepted_total = counters.accepted;
  stats.refused_total = counters.refused + stats.http_service.refused;
  stats.ops_total = counters.ops;
  return stats;
}

KeySpace& StoreServer::worker_keys() {
  return core_->workers().keys();
}

KeySpace& StoreServer::agent_keys() {
  return core_->agent_space();
}

void StoreServer::set_agent_observer(
    std::function<void(const boost::asio::ip::tcp::endpoint& peer, bool open)> observer) {
  core_->set_agent_observer(std::move(observer));
}

}  // namespace dlaunch::rendezvous
