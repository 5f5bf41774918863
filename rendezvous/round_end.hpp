#pragma once
// RoundEnd: what the leader knows once a round is decided: the plan, why it stopped, every
// member's result, the members that vanished, and the decision (restart or exit). The agent on
// the leader merges it into the job-wide summary.

#include <string>
#include <vector>

#include "rendezvous/rendezvous_protocol.hpp"
#include "rendezvous/round_policy.hpp"

namespace dlaunch::rendezvous {

struct LostNode {
  NodeInfo info;
  int node_rank = -1;
  std::string why;
};

struct RoundEnd {
  RoundPlan plan;  // the whole plan: every member
  StopReason stop;
  std::vector<RoundResult> results;  // one per member that reported
  std::vector<LostNode> lost;        // members that vanished
  Decision decision;
};

}  // namespace dlaunch::rendezvous
