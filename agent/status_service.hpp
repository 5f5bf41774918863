#pragma once
// StatusService: the agent's HTTP endpoints and how they are found. It owns the route table
// (rendezvous/http_routes.hpp) with dlaunch's read-only routes, and serves it
//   * on the store port, when this node serves the store (the job's view: `GET /status`,
//     `/metrics`, `/livez`, `/readyz`, `/`, and whatever other parts add, e.g. `/stacks`);
//   * on this agent's local socket (the same routes; this user needs no token);
//   * on TORCHELASTIC_HEALTH_CHECK_PORT when set (this node's own `/livez`, `/readyz`,
//     `/metrics` and `/status`: what a per-node probe or scraper wants).
// It writes the agent's endpoint file (agent_endpoint.hpp) into the log directory while it runs.
//
// Content comes from the agent through `Inputs` on each request; nothing here can change the
// job (GET and HEAD only). With a token, everything but /livez and /readyz needs it.
// Owned by the Agent. Agent thread only.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "agent/agent_endpoint.hpp"
#include "agent/job_status.hpp"
#include "rendezvous/http_routes.hpp"
#include "rendezvous/http_server.hpp"

namespace dlaunch::rendezvous {
class StoreServer;
}

namespace dlaunch::agent {

class StatusService {
 public:
  // Fills `scratch` when it needs a view of its own (this node's rows alone) and returns the
  // inputs of one answer; `job_scope`: the view the store port gives (every node's rows).
  using Inputs = std::function<StatusInputs(bool job_scope, JobActivity& scratch)>;
  struct Options {
    std::string token;                         // --rdzv_token; empty: every route is open
    std::optional<std::uint16_t> health_port;  // TORCHELASTIC_HEALTH_CHECK_PORT
    std::string health_bind = "0.0.0.0";
    std::filesystem::path log_dir;  // the endpoint file's home; empty: no file
    bool local_socket = true;
  };

  StatusService(boost::asio::io_context& io, Options options, Inputs inputs);
  ~StatusService();
  StatusService(const StatusService&) = delete;
  StatusService& operator=(const StatusService&) = delete;

  // Opens the local socket and the health port and writes the endpoint file for `self` (its
  // `local` and `health_url` are filled in here). A port that cannot be bound is a warning:
  // the job runs without it.
  void start(AgentEndpoint self);
  // Serves the routes on `store` too (this node serves the store); `status_url` is the job's view.
  void serve_on(rendezvous::StoreServer& store);
  // The endpoint file follows a new node rank or job URL.
  void update(int node_rank, const std::string& status_url, bool serves_job);
  // Closes every listener and removes the endpoint file.
  void close();

  // The routes of the store port and the local socket: other parts of the agent add theirs.
  rendezvous::HttpRoutes& routes() { return *routes_; }
  const AgentEndpoint& endpoint() const { return self_; }
  std::uint16_t health_port() const { return health_ ? health_->port() : 0; }

 private:
  void add_routes(rendezvous::HttpRoutes& routes, bool job_scope);
  void write_endpoint_file();

  boost::asio::io_context& io_;
  Options options_;
  Inputs inputs_;
  std::shared_ptr<rendezvous::HttpRoutes> routes_;       // job scope where this node serves
  std::shared_ptr<rendezvous::HttpRoutes> node_routes_;  // the health port: this node's own
  std::shared_ptr<rendezvous::HttpServer> local_, health_;
  JobActivity scratch_;
  AgentEndpoint self_;
  bool file_written_ = false;
  bool closed_ = false;
};

}  // namespace dlaunch::agent
