#pragma once
// ServerCore: what the store server and its connections share: the listening socket and its
// accept loop, the registry of live connections, the workers' space (with its epochs), the
// agents' space, the agents' token and the filter on worker peers. StoreServer is its public
// face; connections hold a shared_ptr to it, so it outlives the last of them. One io_context
// thread touches it.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>

#include "rendezvous/endpoint.hpp"
#include "rendezvous/key_space.hpp"
#include "rendezvous/worker_space.hpp"

namespace dlaunch::rendezvous {

class StoreConnection;

class ServerCore : public std::enable_shared_from_this<ServerCore> {
 public:
  ServerCore(boost::asio::io_context& io, std::string agent_token);

  // Binds and listens; throws std::system_error naming host:port.
  void listen(const Endpoint& endpoint);
  void start_accepting();
  void close();
  bool closed() const { return closed_; }

  boost::asio::io_context& io() { return io_; }
  const boost::asio::ip::tcp::endpoint& local_endpoint() const { return local_; }
  WorkerSpace& workers() { return workers_; }
  KeySpace& agent_space() { return agent_space_; }
  ClientId next_client_id() { return next_client_++; }

  bool agent_token_matches(std::string_view token) const;
  // Called (posted to the loop) when an agent connection is accepted (open) and when it ends.
  using AgentObserver = std::function<void(const boost::asio::ip::tcp::endpoint& peer, bool open)>;
  void set_agent_observer(AgentObserver observer) { agent_observer_ = std::move(observer); }
  void agent_connection_changed(const boost::asio::ip::tcp::endpoint& peer, bool open);
  // nullopt: every peer may open a worker connection; else loopback and these only.
  // allow_worker_peer() extends a restriction and is a no-op without one.
  void set_worker_peers(std::optional<std::vector<boost::asio::ip::address>> allowed);
  void allow_worker_peer(const boost::asio::ip::address& address);
  bool worker_peer_allowed(const boost::asio::ip::address& address) const;

  void forget(ClientId id) { connections_.erase(id); }

  std::size_t connection_count() const { return connections_.size(); }

 private:
  void accept_next();
  void on_accept(const boost::system::error_code& error, boost::asio::ip::tcp::socket socket);
  void adopt(boost::asio::ip::tcp::socket socket, const boost::asio::ip::tcp::endpoint& peer);

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer accept_retry_;
  boost::asio::ip::tcp::endpoint local_;
  boost::asio::ip::tcp::endpoint accepted_peer_;
  std::string agent_token_;
  AgentObserver agent_observer_;
  std::optional<std::vector<boost::asio::ip::address>> worker_peers_;
  WorkerSpace workers_;
  KeySpace agent_space_;
  std::unordered_map<ClientId, std::weak_ptr<StoreConnection>> connections_;
  ClientId next_client_ = 1;
  bool closed_ = false;
  bool accepting_ = false;
};

}  // namespace dlaunch::rendezvous
