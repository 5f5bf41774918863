#include "agent/job_activity.hpp"

#include <algorithm>
#include <set>

namespace dlaunch::agent {

void JobActivity::begin_round(int round, int world_size) {
  round_ = round;
  world_size_ = world_size;
  nodes_.clear();
  received_.clear();
}

void JobActivity::update(NodeActivity node, Steady::time_point received) {
  const int node_rank = node.node_rank;
  nodes_[node_rank] = std::move(node);
  received_[node_rank] = received;
}

void JobActivity::drop_node(int node_rank) {
  nodes_.erase(node_rank);
  received_.erase(node_rank);
}

std::optional<JobActivity::Steady::time_point> JobActivity::received(int node_rank) const {
  auto it = received_.find(node_rank);
  if (it == received_.end()) return std::nullopt;
  return it->second;
}

std::vector<RankActivity> JobActivity::ranks() const {
  std::vector<RankActivity> all;
  for (const auto& [node_rank, node] : nodes_) {
    all.insert(all.end(), node.ranks.begin(), node.ranks.end());
  }
  std::sort(all.begin(), all.end(),
            [](const RankActivity& a, const RankActivity& b) { return a.rank < b.rank; });
  return all;
}

const RankActivity* JobActivity::find_rank(int rank) const {
  for (const auto& [node_rank, node] : nodes_) {
    for (const auto& r : node.ranks) {
      if (r.rank == rank) return &r;
    }
  }
  return nullptr;
}

std::vector<int> JobActivity::unreported_ranks() const {
  std::set<int> known;
  for (const auto& [node_rank, node] : nodes_) {
    for (const auto& r : node.ranks) known.insert(r.rank);
  }
  std::vector<int> missing;
  for (int rank = 0; rank < world_size_; ++rank) {
    if (!known.count(rank)) missing.push_back(rank);
  }
  return missing;
}

WallClock::time_point JobActivity::last_progress() const {
  WallClock::time_point latest{};
  for (const auto& [node_rank, node] : nodes_) {
    for (const auto& r : node.ranks) {
      latest = std::max({latest, r.last_any_progress(), r.start_time});
    }
  }
  return latest;
}

bool JobActivity::any_running() const {
  for (const auto& [node_rank, node] : nodes_) {
    for (const auto& r : node.ranks) {
      if (r.running()) return true;
    }
  }
  return false;
}

}  // namespace dlaunch::agent
