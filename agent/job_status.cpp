#include "agent/job_status.hpp"

#include <algorithm>
#include <map>

#include "rendezvous/store_server.hpp"

namespace dlaunch::agent {
namespace {

double seconds_between(WallClock::time_point from, WallClock::time_point to) {
  return std::max(0.0, std::chrono::duration<double>(to - from).count());
}

nlohmann::json ms_or_null(WallClock::time_point t) {
  return t == WallClock::time_point{} ? nlohmann::json(nullptr) : nlohmann::json(to_epoch_ms(t));
}

nlohmann::json root_cause_json(const JobReport& report) {
  if (report.attempts.empty()) return nullptr;
  const auto& last = report.attempts.back();
  if (!last.root_cause || *last.root_cause >= static_cast<int>(last.workers.size())) {
    return nullptr;
  }
  const auto& w = last.workers[*last.root_cause];
  return {{"attempt", last.attempt},
          {"rank", w.rank},
          {"local_rank", w.local_rank},
          {"host", w.host.empty() ? report.hostname : w.host},
          {"node_rank", w.node_rank >= 0 ? w.node_rank : report.node_rank},
          {"pid", w.pid},
          {"exit", w.status ? w.status->describe() : std::string("failed")},
          {"exit_code", w.status ? nlohmann::json(w.status->shell_code()) : nullptr},
          {"time_ms", ms_or_null(w.end_time)}};
}

nlohmann::json rank_row(const RankActivity& r, WallClock::time_point now) {
  auto j = to_json(r);
  const auto end = r.running() ? now : r.end_time;
  j["uptime_s"] = r.start_time == WallClock::time_point{}
                      ? nlohmann::json(nullptr)
                      : nlohmann::json(seconds_between(r.start_time, end));
  const auto output = r.progress(ProgressSource::kOutput);
  j["output_age_s"] = output == WallClock::time_point{}
                          ? nlohmann::json(nullptr)
                          : nlohmann::json(seconds_between(output, now));
  return j;
}

}  // namespace

std::string node_state(const NodeRow& node, const std::vector<const RankActivity*>& ranks) {
  if (node.member_state != "member") return node.member_state;
  if (ranks.empty()) return "waiting";
  std::map<RankPhase, int> count;
  for (const auto* r : ranks) ++count[r->phase];
  // The worst first: a failure anywhere on the node is what a person must see.
  if (count[RankPhase::kFailed]) return "failed";
  if (count[RankPhase::kStopped]) return "stopped";
  if (count[RankPhase::kStarting]) return "starting";
  if (count[RankPhase::kRunning]) return "running";
  return "succeeded";
}

bool workers_ready(const StatusInputs& in, std::string* why) {
  auto say = [&](std::string text) {
    if (why) *why = std::move(text);
    return false;
  };
  if (in.events->phase() != JobPhase::kRunning) {
    return say(std::string("the job is ") + phase_name(in.events->phase()));
  }
  const auto ranks = in.activity->ranks();
  if (ranks.empty()) return say("no workers yet");
  if (in.job_scope) {
    if (const auto missing = in.activity->unreported_ranks(); !missing.empty()) {
      return say(std::to_string(missing.size()) + " of " +
                 std::to_string(in.activity->world_size()) + " ranks not reported yet");
    }
  }
  for (const auto& r : ranks) {
    if (r.phase != RankPhase::kRunning) {
      return say("rank " + std::to_string(r.rank) + " is " + phase_name(r.phase));
    }
  }
  return true;
}

nlohmann::json status_document(const StatusInputs& in, bool with_ranks, WallClock::time_point now) {
  const auto& config = *in.config;
  const auto& events = *in.events;
  const auto ranks = in.activity->ranks();

  std::map<std::string, int> ranks_by_state;
  for (const auto& r : ranks) ++ranks_by_state[phase_name(r.phase)];

  nlohmann::json nodes = nlohmann::json::array();
  std::map<std::string, int> nodes_by_state;
  for (const auto& node : in.nodes) {
    std::vector<const RankActivity*> mine;
    std::map<std::string, int> workers;
    for (const auto& r : ranks) {
      if (r.node_rank == node.node_rank && node.member_state == "member") {
        mine.push_back(&r);
        ++workers[phase_name(r.phase)];
      }
    }
    const std::string state = node_state(node, mine);
    ++nodes_by_state[state];
    nlohmann::json row = {
        {"node_rank", node.node_rank},       {"host", node.host},   {"addr", node.addr},
        {"first_rank", node.first_rank},     {"nproc", node.nproc}, {"state", state},
        {"member_state", node.member_state}, {"workers", workers},  {"lost_why", node.lost_why}};
    row["heartbeat_age_s"] =
        node.heartbeat_age_s ? nlohmann::json(*node.heartbeat_age_s) : nlohmann::json(nullptr);
    const auto received =
        node.node_rank >= 0 ? in.activity->received(node.node_rank) : std::nullopt;
    row["reported_age_s"] =
        received
            ? nlohmann::json(
                  std::chrono::duration<double>(JobActivity::Steady::now() - *received).count())
            : nlohmann::json(nullptr);
    nodes.push_back(std::move(row));
  }

  nlohmann::json job = {
      {"run_id", config.run_id},
      {"state", phase_name(events.phase())},
      {"state_since_ms", to_epoch_ms(events.phase_since())},
      {"reason", events.reason()},
      {"attempt", events.attempt()},
      {"restarts_used", events.restarts_used()},
      {"max_restarts", config.max_restarts},
      {"restarts_left", events.restarts_left()},
      {"start_ms", to_epoch_ms(events.start_time())},
      {"elapsed_s", seconds_between(events.start_time(), now)},
      {"attempt_start_ms", ms_or_null(events.attempt_start())},
      {"world_size", in.job_scope ? config.world_size : in.activity->world_size()},
      {"nnodes", config.nnodes},
      {"nproc_per_node", config.nproc_per_node},
      {"entrypoint", events.context().entrypoint},
      {"rdzv_backend", events.context().rdzv_backend},
      {"ranks_by_state", ranks_by_state},
      {"nodes_by_state", nodes_by_state},
      {"unreported_ranks", in.job_scope ? in.activity->unreported_ranks() : std::vector<int>{}},
      {"root_cause", in.report ? root_cause_json(*in.report) : nullptr},
  };
  job["exit_code"] = events.exit_code() ? nlohmann::json(*events.exit_code()) : nullptr;

  nlohmann::json doc = {{"version", 1},
                        {"scope", in.job_scope ? "job" : "node"},
                        {"status_url", in.status_url},
                        {"generated_ms", to_epoch_ms(now)},
                        {"job", job},
                        {"nodes", nodes}};
  if (with_ranks) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& r : ranks) rows.push_back(rank_row(r, now));
    doc["ranks"] = std::move(rows);
  }
  if (in.store) {
    const auto s = in.store->stats();
    doc["store"] = {{"connections",
                     {{"v1", s.v1},
                      {"v2", s.v2},
                      {"agent", s.agent},
                      {"http", s.http},
                      {"unclassified", s.unclassified}}},
                    {"waiting_clients", s.worker_waiters + s.agent_waiters},
                    {"keys", s.worker_keys + s.agent_keys},
                    {"bytes", s.worker_bytes + s.agent_bytes},
                    {"accepted_total", s.accepted_total},
                    {"refused_total", s.refused_total}};
  }
  return doc;
}

}  // namespace dlaunch::agent
