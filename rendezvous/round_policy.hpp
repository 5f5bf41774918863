#pragma once
// The host's two decisions, as pure functions: who gets which node rank in a round, and what
// happens after a round ends (restart or exit, and whether it spends the job-wide budget).
//
// Node ranks: static rendezvous, the ranks the nodes were given; dynamic, the host first (it
// serves the store, so node 0 is always the node whose summary covers the job), then the
// others sorted by address, then by join order. Global ranks are prefix sums of nproc.
//
// After a round: a signal ends the job (128+N); success ends it (0); a node joining restarts
// for free; a node lost from an elastic job restarts for free (>= MIN must remain, which the
// host checks when it forms the next round); a worker failure, or a node lost from a
// fixed-size job, spends one restart while the budget lasts, else ends the job with the root
// cause's code (1 when the root cause is a lost node).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rendezvous/rendezvous_protocol.hpp"

namespace dlaunch::rendezvous {

struct Candidate {
  NodeInfo info;
  std::uint64_t seq = 0;  // join order at the host
  bool is_host = false;
};

// The round's members in node-rank order, at most `max_nodes` (the rest are spares).
std::vector<PlanMember> assign_node_ranks(std::vector<Candidate> candidates, bool dynamic,
                                          int max_nodes);

struct RoundOutcome {
  StopReason stop;
  bool all_succeeded = false;  // every member reported that all its workers exited 0
  bool worker_failed = false;  // some member's worker failed on its own
  std::optional<int> signal;   // some member's agent was told to stop with this signal
  bool member_lost = false;    // a member vanished during the round
  bool elastic = false;
  int restarts_used = 0;
  int max_restarts = 0;
};

struct Decision {
  bool restart = false;
  bool spends_budget = false;
  int code = 0;        // exit: the job's exit code
  std::string reason;  // exit: why (empty on success)
};

Decision decide_after_round(const RoundOutcome& outcome);

}  // namespace dlaunch::rendezvous
