#pragma once
// ServerCore: what the store server and its connections share: the listening socket and its
// accept loop, the registry of live connections, the workers' space (with its epochs), the
// agents' space, the agents' token, the filter on worker peers, the HTTP service connections
// that open with an HTTP method are handed to, and the counters /metrics reads. StoreServer is
// its public face; connections hold a shared_ptr to it, so it outlives the last of them. One
// io_context thread touches it.

#include <array>
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
#include "rendezvous/http_service.hpp"
#include "rendezvous/key_space.hpp"
#include "rendezvous/wire.hpp"
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

  // HTTP on the store port: connections whose first byte opens an HTTP method go to `service`
  // (none set: they are closed like any other garbage).
  void set_http(std::shared_ptr<HttpService> service) { http_ = std::move(service); }
  HttpService* http() { return http_.get(); }
  // Takes over a connection that turned out to speak HTTP; `initial` is what it sent so far.
  void adopt_http(boost::asio::ip::tcp::socket socket, const boost::asio::ip::tcp::endpoint& peer,
                  std::string initial);

  // What the store has done since it started (for /metrics). `open` counts classified
  // connections by dialect (v1, v2, agent), the rest of connection_count() are not known yet.
  struct Counters {
    std::uint64_t accepted = 0;
    std::uint64_t refused = 0;  // closed at their opening: garbage, wrong token, peer, epoch
    std::array<std::uint64_t, kOpCount> ops{};
    std::array<std::size_t, 3> open{};
  };
  const Counters& counters() const { return counters_; }
  void count_op(Op op) { ++counters_.ops[static_cast<std::size_t>(op)]; }
  void count_refused() { ++counters_.refused; }
  void dialect_opened(Dialect dialect) { ++counters_.open[static_cast<std::size_t>(dialect)]; }
  void dialect_closed(Dialect dialect) { --counters_.open[static_cast<std::size_t>(dialect)]; }

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
  std::shared_ptr<HttpService> http_;
  Counters counters_;
  bool closed_ = false;
  bool accepting_ = false;
};

}  // namespace dlaunch::rendezvous
