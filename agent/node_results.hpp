#pragma once
// One node's attempt as the rendezvous carries it to node 0, and node 0's job-wide view of a
// round. A node sends its worker records with, for each worker that failed, the last lines of
// its log and its error file's content (only that node can read them). Node 0 merges every
// node's records into one AttemptResult ordered by global rank, whose root cause is the worker
// the round's stop names (the first failure anywhere in the job).

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/worker_group.hpp"
#include "rendezvous/rendezvous_protocol.hpp"

namespace dlaunch::agent {

nlohmann::json attempt_to_json(const AttemptResult& attempt);
// Throws (nlohmann::json::exception) on malformed input.
AttemptResult attempt_from_json(const nlohmann::json& j);

struct NodeAttempt {
  int node_rank = 0;
  std::string host;  // "name (address)"
  AttemptResult attempt;
};

// `lost`: one line per node that vanished during the round ("node 2 (h, 10.0.0.3): ...").
AttemptResult merge_attempts(int round, std::vector<NodeAttempt> nodes,
                             const rendezvous::StopReason& stop,
                             const std::vector<std::string>& lost);

// "name (address)", or just one of them when they are the same or one is missing.
std::string host_text(const std::string& hostname, const std::string& addr);

}  // namespace dlaunch::agent
