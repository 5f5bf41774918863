#pragma once
// StoreServer: the c10d TCPStore-compatible server on MASTER_PORT (DESIGN.md "One port").
// One listening socket serves four kinds of connection, told apart by their first bytes:
// torch 1.13–2.1 workers (v1), torch ≥ 2.2 workers (v2, VALIDATE + PING), dlaunch agents
// (kAgentMagic + job token, then v2 ops on a separate key space that workers cannot reach), and
// read-only HTTP clients (status, metrics, probes: serve_http()), whose first byte is a method's
// upper-case letter, which no TCPStore opcode and no agent hello can be.
//
// The constructor binds and listens at once (SO_REUSEADDR, never SO_REUSEPORT; backlog
// somaxconn; RLIMIT_NOFILE raised) and throws std::system_error whose what() is one line naming
// host:port ("cannot serve the store on 0.0.0.0:6105: Address already in use"). Serving starts
// with the constructor too; everything runs on the given io_context, which the caller runs.
// Not thread-safe: call it from the io_context's thread (or before it runs).
//
// Scale: a connection storm of N ranks needs a listen backlog of about N; the kernel caps it at
// net.core.somaxconn (and half-open ones at net.ipv4.tcp_max_syn_backlog): raise both past the
// rank count for more than ~4k ranks per server, or clients retry their connects.

#include <array>
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
#include "rendezvous/http_service.hpp"
#include "rendezvous/wire.hpp"

namespace dlaunch::rendezvous {

class ServerCore;
class KeySpace;

struct StoreServerOptions {
  // The job token agents must present in their hello (issue 4's --rdzv_token), compared in
  // constant time. Empty: the hello carries an empty token, so any program that speaks the
  // dlaunch agent hello gets in; torch workers never send it.
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

  // Starts a clean worker key space for a new attempt; call once the previous attempt's workers
  // are stopped and before spawning the next ones. Closes the previous attempt's worker
  // connections (and refuses any accepted before this call that speaks a worker dialect later),
  // wipes keys, queues, waiters and the init/ counter. Agent connections and the agent space
  // are untouched. Returns the epoch number (0 before the first call).
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

  // Tells `observer(peer, open)` when an agent connection is accepted (token checked) and when
  // it ends. A closed connection is the fastest sign of a killed agent (a cut link shows only
  // through missed heartbeats). Match `peer` with StoreClient::local_endpoint() of the agent.
  // Runs on the loop, never inside a server call.
  void set_agent_observer(
      std::function<void(const boost::asio::ip::tcp::endpoint& peer, bool open)> observer);

  // The agents' key space, for synchronous use by this node's agent on the loop thread.
  KeySpace& agent_keys();

  // Answers connections that open with an HTTP method from `routes` (until then they are
  // closed as garbage). Call again to replace the routes.
  void serve_http(std::shared_ptr<const HttpRoutes> routes, HttpLimits limits = {});

  // Stops listening and closes every connection; in-process waits end with kClosed.
  void close();

  struct Stats {
    std::size_t connections = 0;         // accepted and open (any dialect, or not yet known)
    std::size_t worker_connections = 0;  // v1/v2 connections of the current epoch
    std::int64_t worker_keys = 0;
    std::int64_t agent_keys = 0;
    // Open connections by what they speak; `unclassified` have sent nothing yet (torch 1.13
    // opens a callback socket that never does).
    std::size_t v1 = 0, v2 = 0, agent = 0, http = 0, unclassified = 0;
    std::size_t worker_waiters = 0, agent_waiters = 0;  // blocked WAITs and BARRIERs
    std::uint64_t worker_bytes = 0, agent_bytes = 0;    // keys, values and queued items
    std::uint64_t accepted_total = 0;  // every connection the port accepted
    std::uint64_t refused_total = 0;   // closed at their opening (and HTTP over its limit)
    std::array<std::uint64_t, kOpCount> ops_total{};  // requests by operation
    HttpService::Stats http_service;
  };
  Stats stats() const;
  // The workers' key space, for tests and diagnostics.
  KeySpace& worker_keys();

 private:
  boost::asio::io_context& io_;
  std::shared_ptr<ServerCore> core_;
};

}  // namespace dlaunch::rendezvous
