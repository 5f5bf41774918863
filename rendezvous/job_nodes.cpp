#include "rendezvous/job_nodes.hpp"

namespace dlaunch::rendezvous {

const char* state_name(NodeView::State state) {
  switch (state) {
    case NodeView::State::kMember:
      return "member";
    case NodeView::State::kSpare:
      return "spare";
    case NodeView::State::kJoining:
      return "joining";
    case NodeView::State::kLost:
      return "lost";
  }
  return "lost";
}

nlohmann::json to_json(const JobNodes& view) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& node : view.nodes) {
    nlohmann::json j = {{"id", node.info.id},          {"host", node.info.hostname},
                        {"addr", node.info.addr},      {"nproc", node.info.nproc},
                        {"node_rank", node.node_rank}, {"state", state_name(node.state)},
                        {"status", node.status}};
    j["last_seen_seconds"] =
        node.last_seen_age
            ? nlohmann::json(static_cast<double>(node.last_seen_age->count()) / 1000.0)
            : nlohmann::json(nullptr);
    if (!node.lost_why.empty()) j["lost"] = node.lost_why;
    nodes.push_back(std::move(j));
  }
  return {{"round", view.round},
          {"phase", view.phase},
          {"restarts_used", view.restarts_used},
          {"max_restarts", view.max_restarts},
          {"restarts_left", view.restarts_left()},
          {"min_nodes", view.min_nodes},
          {"max_nodes", view.max_nodes},
          {"nodes", nodes}};
}

}  // namespace dlaunch::rendezvous
