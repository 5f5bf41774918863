#pragma once
// The status document: what `GET /status`, `dlaunch status --json` and the live page show. Built
// on each request from the agent's one model (JobActivity's rank rows, JobEvents' phase and
// counts, the rendezvous' node rows, the store's stats); nothing is kept here.
//
//   {"version": 1, "scope": "job"|"node", "status_url", "generated_ms",
//    "job":   {run_id, state, state_since_ms, reason, attempt, restarts_used, max_restarts,
//              restarts_left, start_ms, elapsed_s, attempt_start_ms, world_size, nnodes,
//              nproc_per_node, entrypoint, rdzv_backend, exit_code, ranks_by_state, nodes_by_state,
//              unreported_ranks, root_cause},
//    "nodes": [{node_rank, host, addr, first_rank, nproc, state, member_state, heartbeat_age_s,
//               reported_age_s, workers: {running, ...}, lost_why}],
//    "ranks": [RankActivity's JSON + uptime_s, output_age_s]   (omitted with ranks = false)
//    "store": {connections: {v1, v2, agent, http, unclassified}, waiting_clients, keys, bytes,
//              accepted_total, refused_total}}                (on the node that serves it)
//
// "scope" says whose view it is: "job" on the node that serves the store (every node's rows),
// "node" elsewhere (this node's rows; the job's view is at status_url). Functions only.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/agent_config.hpp"
#include "agent/job_activity.hpp"
#include "agent/job_events.hpp"
#include "agent/job_report.hpp"

namespace dlaunch::rendezvous {
class StoreServer;
}

namespace dlaunch::agent {

// One node of the job as the rendezvous knows it.
struct NodeRow {
  int node_rank = -1;
  std::string host;
  std::string addr;
  int first_rank = 0;
  int nproc = 0;
  std::string member_state = "member";    // member, spare, joining, lost
  std::optional<double> heartbeat_age_s;  // since the rendezvous last heard from it
  std::string lost_why;
};

// Everything one answer is made of, by reference to the agent's own objects.
struct StatusInputs {
  const AgentConfig* config = nullptr;
  const JobReport* report = nullptr;
  const JobEvents* events = nullptr;
  const JobActivity* activity = nullptr;
  const rendezvous::StoreServer* store = nullptr;  // when this node serves it
  std::vector<NodeRow> nodes;
  bool job_scope = false;
  std::string status_url;
};

nlohmann::json status_document(const StatusInputs& in, bool with_ranks,
                               WallClock::time_point now = WallClock::now());

// /readyz: the current round's workers run (job scope: every rank of the world; node scope:
// this node's). `why` says what is missing when not ready.
bool workers_ready(const StatusInputs& in, std::string* why = nullptr);

// A node's state for people: "running 4/4", or the worst of its ranks' ("failed"), or its
// rendezvous state when it is not a member.
std::string node_state(const NodeRow& node, const std::vector<const RankActivity*>& ranks);

}  // namespace dlaunch::agent
