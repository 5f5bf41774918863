#pragma once
// JobActivity: the job-wide view of what every rank is doing, kept on the node that serves the
// store (node 0, or the leader): the latest NodeActivity of every node of the current round —
// its own from its ActivityBoard, the others' as their agents publish them — and when each
// arrived. The hang detector asks it whether any rank of the job moved lately; the status view
// reads it whole. Rows are replaced node by node (latest wins); a new round starts it afresh.
// A plain value holder with no I/O; agent thread only.

#include <chrono>
#include <map>
#include <optional>
#include <vector>

#include "agent/rank_activity.hpp"

namespace dlaunch::agent {

class JobActivity {
 public:
  using Steady = std::chrono::steady_clock;

  // A new round (or attempt): every node's rows are dropped; `world_size` ranks are expected.
  void begin_round(int round, int world_size);
  // The latest rows of one node (its own board's, or a document another node published).
  void update(NodeActivity node, Steady::time_point received = Steady::now());
  void drop_node(int node_rank);

  int round() const { return round_; }
  int world_size() const { return world_size_; }
  const std::map<int, NodeActivity>& nodes() const { return nodes_; }
  // When `node_rank`'s latest rows arrived (nullopt: never this round).
  std::optional<Steady::time_point> received(int node_rank) const;

  // Every known rank, by global rank.
  std::vector<RankActivity> ranks() const;
  const RankActivity* find_rank(int rank) const;
  // Global ranks of the round that no node has reported yet.
  std::vector<int> unreported_ranks() const;
  // The latest progress of any rank through any source, and the latest start of a rank (a
  // fresh start counts as progress to whoever decides the job is stuck). Epoch when none.
  WallClock::time_point last_progress() const;
  // True while at least one known rank runs.
  bool any_running() const;

 private:
  int round_ = 0;
  int world_size_ = 0;
  std::map<int, NodeActivity> nodes_;           // by node rank
  std::map<int, Steady::time_point> received_;  // by node rank
};

}  // namespace dlaunch::agent
