#pragma once
// StoreServer: the c10d TCPStore-compatible server on MASTER_PORT (DESIGN.md "One port").
// One listening socket serves three kinds of connection, told apart by their first bytes:
// torch 1.13–2.1 workers (v1), torch ≥ 2.2 workers (v2, VALIDATE + PING) and dlaunch agents
// (kAgentMagic + job token, then v2 ops on a separate key space that workers cannot reach).
//
// The constructor binds and listens at once (SO_REUSEADDR, never SO_REUSEPORT; backlog
// somaxconn; RLIMIT_NOFILE raised) and throws std::system_error whose what() is one line naming
// host:port ("cannot serve the store on 0.0.0.0:6105: Address already in use"). Serving starts
// with the constructor too; everything runs on the given io_context, which the caller runs.
// Not thread-safe: call it from the io_context's thread (or before it runs).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "rendezvous/async_store.hpp"
#include "rendezvous/endpoint.hpp"

namespace dlaunch::rendezvous {

class ServerCore;
class KeySpace;

struct StoreServerOptions {
  // The job token agents must present (issue 4's --rdzv_token). Empty: agents present an empty
  // one. Workers never present it: they cannot open agent connections either way.
  std::string agent_token;
};

class StoreServer {
 public:
  StoreServer(boost::asio::io_context& io, const Endpoint& bind, StoreServerOptions options = {});
  ~StoreServer();
  StoreServer(const StoreServer&) = delete;
  StoreServer& operator=(const StoreServer&) = delete;

  // The bound port (the ephemeral one when bound to port 0) and address.
  std::uint16_t port() const;
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  // Starts a clean worker key space for a new attempt; call before spawning its workers.
  // Closes the previous attempt's worker connections, wipes its keys, queues, waiters and the
  // init/ counter. Agent connections and the agent space are untouched. Returns the epoch
  // number (0 before the first call).
  std::uint64_t begin_worker_epoch();
  std::uint64_t worker_epoch() const;

  // An in-process client of the agent key space, for the agent on this node (no socket).
  std::shared_ptr<AsyncStore> agent_store();

  // Restricts who may open worker (v1/v2) connections to loopback plus `allowed` (issue 4's
  // token mode: loopback and the agents that joined); allow_worker_peer() adds one address to a
  // restriction (no-op without one); allow_all_worker_peers() lifts it (the default). Applies
  // to connections classified from now on.
  void restrict_worker_peers(std::vector<boost::asio::ip::address> allowed);
  void allow_worker_peer(const boost::asio::ip::address& address);
  void allow_all_worker_peers();

  // `handler` runs on the io_context with the peer of each agent connection that closes
  // while the server runs (not for those that close() closes).
  void on_agent_closed(std::function<void(const boost::asio::ip::tcp::endpoint& peer)> handler);

  // Stops listening and closes every connection; in-process waits end with kClosed.
  void close();

  struct Stats {
    std::size_t connections = 0;         // accepted and open (any dialect, or not yet known)
    std::size_t worker_connections = 0;  // v1/v2 connections of the current epoch
    std::int64_t worker_keys = 0;
    std::int64_t agent_keys = 0;
  };
  Stats stats() const;
  // The workers' key space, for tests and diagnostics.
  KeySpace& worker_keys();

 private:
  boost::asio::io_context& io_;
  std::shared_ptr<ServerCore> core_;
};

}  // namespace dlaunch::rendezvous
