#pragma once
// JobNodes: the leader's read-only view of the job's nodes (Rendezvous::nodes_view()), for the
// status endpoint, metrics and hang detection. A snapshot: built on the agent's loop when asked,
// never updated afterwards.
//
// A node is one of:
//   kMember   in the current round's plan (it has a node rank and runs workers);
//   kSpare    joined, but the running round is full (--nnodes MAX reached): it waits for the next;
//   kJoining  joined and waiting for a round to form (every node while a round gathers, and a
//             node that came while a round with room runs: that round restarts to take it in);
//   kLost     gone during a round or between rounds (its connection closed, its heartbeats or
//             lease lapsed, or it left); the newest lost nodes are kept, with their last status.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rendezvous/rendezvous_protocol.hpp"

namespace dlaunch::rendezvous {

struct NodeView {
  enum class State { kMember, kSpare, kJoining, kLost };
  NodeInfo info;
  int node_rank = -1;  // in the current round; -1 when not a member
  State state = State::kJoining;
  // Since the leader last heard from the node: its heartbeat (built-in backend) or its last
  // status document or message (etcd backend, where liveness is the node's lease). nullopt for
  // a lost node.
  std::optional<std::chrono::milliseconds> last_seen_age;
  nlohmann::json status;  // its last publish_node_status() document; null when none came
  std::string lost_why;   // kLost: why
};

struct JobNodes {
  int round = 0;      // the current (or forming) round, also TORCHELASTIC_RESTART_COUNT
  std::string phase;  // "gathering", "running", "stopping" (collecting results), "closing"
  int restarts_used = 0;
  int max_restarts = 0;
  int restarts_left() const {
    return max_restarts > restarts_used ? max_restarts - restarts_used : 0;
  }
  int min_nodes = 1, max_nodes = 1;
  // Members by node rank, then spares and joining nodes by join order, then the lost ones.
  std::vector<NodeView> nodes;
};

const char* state_name(NodeView::State state);  // "member", "spare", "joining", "lost"
nlohmann::json to_json(const JobNodes& nodes);

}  // namespace dlaunch::rendezvous
