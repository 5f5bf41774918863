#include "rendezvous/rendezvous_protocol.hpp"

#include <stdexcept>

namespace dlaunch::rendezvous {
namespace {

const char* kind_name(StopReason::Kind kind) {
  switch (kind) {
    case StopReason::Kind::kFailure:
      return "failure";
    case StopReason::Kind::kSignal:
      return "signal";
    case StopReason::Kind::kLost:
      return "lost";
    case StopReason::Kind::kJoined:
      return "joined";
    case StopReason::Kind::kDone:
      return "done";
    case StopReason::Kind::kBarrier:
      return "barrier";
  }
  return "done";
}

StopReason::Kind kind_from(const std::string& name) {
  for (auto kind :
       {StopReason::Kind::kFailure, StopReason::Kind::kSignal, StopReason::Kind::kLost,
        StopReason::Kind::kJoined, StopReason::Kind::kDone, StopReason::Kind::kBarrier}) {
    if (name == kind_name(kind)) return kind;
  }
  throw std::invalid_argument("unknown stop reason '" + name + "'");
}

std::string node_text(int node_rank, const std::string& hostname, const std::string& addr) {
  std::string text = node_rank >= 0 ? "node " + std::to_string(node_rank) : "the agent";
  if (!hostname.empty() || !addr.empty()) {
    text += " (";
    text += hostname;
    if (!hostname.empty() && !addr.empty() && addr != hostname) text += ", ";
    if (addr != hostname) text += addr;
    text += ")";
  }
  return text;
}

}  // namespace

std::string NodeInfo::describe() const {
  return node_text(node_rank, hostname, addr);
}

const PlanMember* RoundPlan::find(const std::string& id) const {
  for (const auto& member : members) {
    if (member.id == id) return &member;
  }
  return nullptr;
}

std::string StopReason::describe() const {
  const std::string node = node_text(node_rank, hostname, addr);
  switch (kind) {
    case Kind::kFailure:
      if (rank < 0) return node + " failed: " + what;
      return "rank " + std::to_string(rank) + " on " + node + " failed: " + what;
    case Kind::kSignal:
      return node + " received " + what;
    case Kind::kLost:
      return node + " was lost: " + what;
    case Kind::kJoined:
      return node + " joined";
    case Kind::kDone:
      return "every worker finished";
    case Kind::kBarrier:
      return what;
  }
  return what;
}

nlohmann::json to_json(const NodeInfo& info) {
  return {{"t", "join"},           {"id", info.id},       {"run", info.run_id},
          {"host", info.hostname}, {"addr", info.addr},   {"ip", info.peer_ip},
          {"socks", info.sockets}, {"nproc", info.nproc}, {"node_rank", info.node_rank},
          {"nnodes", info.nnodes}};
}

NodeInfo node_info_from_json(const nlohmann::json& j) {
  NodeInfo info;
  info.id = j.at("id").get<std::string>();
  info.run_id = j.at("run").get<std::string>();
  info.hostname = j.at("host").get<std::string>();
  info.addr = j.at("addr").get<std::string>();
  info.peer_ip = j.at("ip").get<std::string>();
  info.sockets = j.at("socks").get<std::vector<std::string>>();
  info.nproc = j.at("nproc").get<int>();
  info.node_rank = j.at("node_rank").get<int>();
  info.nnodes = j.at("nnodes").get<std::string>();
  return info;
}

nlohmann::json to_json(const Welcome& welcome) {
  return {{"round", welcome.round}, {"wait_next", welcome.wait_next}, {"error", welcome.error}};
}

Welcome welcome_from_json(const nlohmann::json& j) {
  return Welcome{j.at("round").get<int>(), j.at("wait_next").get<bool>(),
                 j.at("error").get<std::string>()};
}

nlohmann::json to_json(const RoundPlan& plan) {
  nlohmann::json members = nlohmann::json::array();
  for (const auto& m : plan.members) {
    members.push_back({{"id", m.id},
                       {"host", m.hostname},
                       {"addr", m.addr},
                       {"node_rank", m.node_rank},
                       {"nproc", m.nproc},
                       {"first_rank", m.first_rank}});
  }
  return {{"round", plan.round},
          {"world_size", plan.world_size},
          {"members", members},
          {"master_addr", plan.master_addr},
          {"master_port", plan.master_port},
          {"error", plan.error},
          {"error_code", plan.error_code}};
}

RoundPlan plan_from_json(const nlohmann::json& j) {
  RoundPlan plan;
  plan.round = j.at("round").get<int>();
  plan.world_size = j.at("world_size").get<int>();
  for (const auto& m : j.at("members")) {
    plan.members.push_back(PlanMember{m.at("id").get<std::string>(),
                                      m.at("host").get<std::string>(),
                                      m.at("addr").get<std::string>(), m.at("node_rank").get<int>(),
                                      m.at("nproc").get<int>(), m.at("first_rank").get<int>()});
  }
  plan.master_addr = j.at("master_addr").get<std::string>();
  plan.master_port = j.at("master_port").get<std::uint16_t>();
  plan.error = j.at("error").get<std::string>();
  plan.error_code = j.at("error_code").get<int>();
  return plan;
}

nlohmann::json to_json(const StopReason& r) {
  return {{"kind", kind_name(r.kind)},
          {"node_rank", r.node_rank},
          {"host", r.hostname},
          {"addr", r.addr},
          {"rank", r.rank},
          {"local_rank", r.local_rank},
          {"code", r.code},
          {"what", r.what}};
}

StopReason stop_from_json(const nlohmann::json& j) {
  StopReason r;
  r.kind = kind_from(j.at("kind").get<std::string>());
  r.node_rank = j.at("node_rank").get<int>();
  r.hostname = j.at("host").get<std::string>();
  r.addr = j.at("addr").get<std::string>();
  r.rank = j.at("rank").get<int>();
  r.local_rank = j.at("local_rank").get<int>();
  r.code = j.at("code").get<int>();
  r.what = j.at("what").get<std::string>();
  return r;
}

StopReason stop_from_text(const std::string& text) {
  try {
    return stop_from_json(nlohmann::json::parse(text));
  } catch (const std::exception& e) {
    StopReason reason;
    reason.kind = StopReason::Kind::kBarrier;
    reason.what = std::string("unreadable stop reason: ") + e.what();
    return reason;
  }
}

nlohmann::json to_json(const RoundResult& result) {
  return {{"t", "result"},
          {"id", result.id},
          {"round", result.round},
          {"ok", result.succeeded},
          {"failed", result.failed},
          {"signal", result.signal ? nlohmann::json(*result.signal) : nlohmann::json(nullptr)},
          {"records", result.records}};
}

RoundResult result_from_json(const nlohmann::json& j) {
  RoundResult result;
  result.id = j.at("id").get<std::string>();
  result.round = j.at("round").get<int>();
  result.succeeded = j.at("ok").get<bool>();
  result.failed = j.at("failed").get<bool>();
  if (!j.at("signal").is_null()) result.signal = j.at("signal").get<int>();
  result.records = j.at("records");
  return result;
}

nlohmann::json to_json(const NextStep& step) {
  return {{"restart", step.restart},
          {"round", step.round},
          {"code", step.code},
          {"reason", step.reason}};
}

NextStep next_from_json(const nlohmann::json& j) {
  return NextStep{j.at("restart").get<bool>(), j.at("round").get<int>(), j.at("code").get<int>(),
                  j.at("reason").get<std::string>()};
}

}  // namespace dlaunch::rendezvous
