#include "rendezvous/server_core.hpp"

#include <boost/asio/post.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <system_error>

#include <boost/asio/post.hpp>

#include "rendezvous/job_token.hpp"
#include "rendezvous/logging.hpp"
#include "rendezvous/store_connection.hpp"

namespace dlaunch::rendezvous {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// The kernel caps the backlog at net.core.somaxconn; ask for at least that much.
int listen_backlog() {
  int somaxconn = SOMAXCONN;
  std::ifstream file("/proc/sys/net/core/somaxconn");
  int configured = 0;
  if (file >> configured && configured > somaxconn) somaxconn = configured;
  return somaxconn;
}

std::system_error bind_error(const boost::system::error_code& error, const Endpoint& endpoint) {
  return std::system_error(std::error_code(error.value(), std::system_category()),
                           "cannot serve the store on " + endpoint.to_string());
}

// A v4 peer on a dual-stack socket shows up as ::ffff:a.b.c.d; compare it as v4.
asio::ip::address normalized(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

}  // namespace

ServerCore::ServerCore(asio::io_context& io, std::string agent_token)
    : io_(io), acceptor_(io), accept_retry_(io), agent_token_(std::move(agent_token)) {}

void ServerCore::listen(const Endpoint& endpoint) {
  boost::system::error_code error;
  tcp::resolver resolver(io_);
  const auto results =
      resolver.resolve(endpoint.host, std::to_string(endpoint.port),
                       tcp::resolver::passive | tcp::resolver::numeric_service, error);
  if (error) throw bind_error(error, endpoint);
  boost::system::error_code first_error;
  for (const auto& entry : results) {
    const tcp::endpoint candidate = entry.endpoint();
    boost::system::error_code attempt;
    acceptor_.open(candidate.protocol(), attempt);
    // SO_REUSEADDR lets a restarted agent rebind past TIME_WAIT; never SO_REUSEPORT, so that a
    // stray worker that tries to serve on the same port fails instead of sharing it.
    if (!attempt) acceptor_.set_option(tcp::acceptor::reuse_address(true), attempt);
    if (!attempt && candidate.address().is_v6() && candidate.address().is_unspecified()) {
      acceptor_.set_option(asio::ip::v6_only(false), attempt);
    }
    if (!attempt) acceptor_.bind(candidate, attempt);
    if (!attempt) acceptor_.listen(listen_backlog(), attempt);
    if (!attempt) acceptor_.non_blocking(true, attempt);
    if (!attempt) {
      local_ = acceptor_.local_endpoint(attempt);
      if (!attempt) return;
    }
    if (!first_error) first_error = attempt;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }
  if (!first_error) first_error = asio::error::host_not_found;
  throw bind_error(first_error, endpoint);
}

void ServerCore::start_accepting() {
  if (accepting_) return;
  accepting_ = true;
  accept_next();
}

void ServerCore::accept_next() {
  if (closed_) return;
  // The peer's address comes with the accept: no getpeername() per connection.
  acceptor_.async_accept(
      accepted_peer_,
      [self = shared_from_this()](const boost::system::error_code& error, tcp::socket socket) {
        self->on_accept(error, std::move(socket));
      });
}

void ServerCore::on_accept(const boost::system::error_code& error, tcp::socket socket) {
  if (closed_ || error == asio::error::operation_aborted) return;
  if (error) {
    // Out of descriptors or memory: back off briefly instead of spinning on the ready listener.
    log().warn("store: accept failed: {}; retrying", error.message());
    accept_retry_.expires_after(std::chrono::milliseconds(50));
    accept_retry_.async_wait([self = shared_from_this()](const boost::system::error_code& e) {
      if (!e) self->accept_next();
    });
    return;
  }
  adopt(std::move(socket), accepted_peer_);
  // In a connection storm the queue holds many more: take them now rather than one per trip
  // through the event loop (bounded, so established clients are served meanwhile).
  for (int i = 0; i < 64 && !closed_; ++i) {
    boost::system::error_code again;
    tcp::socket next(io_);
    tcp::endpoint peer;
    acceptor_.accept(next, peer, again);
    if (again) break;  // would_block, or an error the async accept will report
    adopt(std::move(next), peer);
  }
  accept_next();
}

void ServerCore::adopt(tcp::socket socket, const tcp::endpoint& peer) {
  const ClientId id = next_client_++;
  ++counters_.accepted;
  auto connection =
      std::make_shared<StoreConnection>(shared_from_this(), std::move(socket), peer, id);
  connections_.emplace(id, connection);
  connection->start();
}

void ServerCore::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  accept_retry_.cancel();
  auto connections = std::move(connections_);
  connections_.clear();
  for (auto& [id, weak] : connections) {
    if (auto connection = weak.lock()) connection->close("");
  }
  if (http_) http_->close();
  workers_.keys().clear();
  agent_space_.clear();
}

void ServerCore::adopt_http(tcp::socket socket, const tcp::endpoint& peer, std::string initial) {
  if (!http_ || closed_) {
    ++counters_.refused;
    boost::system::error_code ignored;
    socket.close(ignored);
    return;
  }
  const int family = peer.protocol().family();
  HttpService::Socket generic(io_, asio::generic::stream_protocol(family, IPPROTO_TCP),
                              socket.release());
  http_->adopt(std::move(generic), Endpoint{peer.address().to_string(), peer.port()}.to_string(),
               false, std::move(initial));
}

bool ServerCore::agent_token_matches(std::string_view token) const {
  return token_matches(token, agent_token_);
}

void ServerCore::agent_connection_changed(const tcp::endpoint& peer, bool open) {
  if (!agent_observer_ || closed_) return;
  // Posted: the observer may call back into the server (close it, restrict peers) safely.
  asio::post(io_, [observer = agent_observer_, peer, open] { observer(peer, open); });
}

void ServerCore::set_worker_peers(std::optional<std::vector<asio::ip::address>> allowed) {
  if (allowed) {
    for (auto& address : *allowed) address = normalized(address);
  }
  worker_peers_ = std::move(allowed);
}

void ServerCore::allow_worker_peer(const asio::ip::address& address) {
  if (worker_peers_) worker_peers_->push_back(normalized(address));
}

bool ServerCore::worker_peer_allowed(const asio::ip::address& address) const {
  if (!worker_peers_) return true;
  const auto peer = normalized(address);
  if (peer.is_loopback()) return true;
  return std::find(worker_peers_->begin(), worker_peers_->end(), peer) != worker_peers_->end();
}

}  // namespace dlaunch::rendezvous
