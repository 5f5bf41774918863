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

void StoreServer::on_agent_closed(
    std::function<void(const boost::asio::ip::tcp::endpoint& peer)> handler) {
  core_->set_agent_closed_handler(std::move(handler));
}

void StoreServer::close() {
  core_->close();
}

StoreServer::Stats StoreServer::stats() const {
  Stats stats;
  stats.connections = core_->connection_count();
  stats.worker_connections = core_->workers().connection_count();
  stats.worker_keys = core_->workers().keys().num_keys();
  stats.agent_keys = core_->agent_space().num_keys();
  return stats;
}

KeySpace& StoreServer::worker_keys() {
  return core_->workers().keys();
}

}  // namespace dlaunch::rendezvous
