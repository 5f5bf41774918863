#include "agent/node_results.hpp"

#include <algorithm>

#include "agent/job_report.hpp"
#include "agent/rank_log.hpp"

namespace dlaunch::agent {
namespace {

constexpr int kTailLines = 20;

std::int64_t to_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::chrono::system_clock::time_point from_ms(std::int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

bool failed_on_its_own(const WorkerRecord& worker) {
  return worker.status && !worker.status->success() && !worker.stopped_by_agent;
}

nlohmann::json worker_to_json(const WorkerRecord& w) {
  nlohmann::json j = {
      {"rank", w.rank},           {"local_rank", w.local_rank},    {"pid", w.pid},
      {"log", w.log_path},        {"error_file", w.error_file},    {"start", to_ms(w.start_time)},
      {"end", to_ms(w.end_time)}, {"stopped", w.stopped_by_agent}, {"spawn_error", w.spawn_error}};
  if (w.status) j["status"] = {{"signaled", w.status->signaled}, {"value", w.status->value}};
  if (failed_on_its_own(w) || !w.spawn_error.empty()) {
    j["tail"] = tail_of_file(w.log_path, kTailLines);
    if (auto error = read_error_file(w.error_file)) {
      j["error"] = {{"message", error->message}, {"traceback", error->traceback}};
    }
  }
  return j;
}

WorkerRecord worker_from_json(const nlohmann::json& j) {
  WorkerRecord w;
  w.rank = j.at("rank").get<int>();
  w.local_rank = j.at("local_rank").get<int>();
  w.pid = j.at("pid").get<pid_t>();
  w.log_path = j.at("log").get<std::string>();
  w.error_file = j.at("error_file").get<std::string>();
  w.start_time = from_ms(j.at("start").get<std::int64_t>());
  w.end_time = from_ms(j.at("end").get<std::int64_t>());
  w.stopped_by_agent = j.at("stopped").get<bool>();
  w.spawn_error = j.at("spawn_error").get<std::string>();
  if (j.contains("status")) {
    w.status =
        ExitStatus{j["status"].at("signaled").get<bool>(), j["status"].at("value").get<int>()};
  }
  if (j.contains("tail")) w.remote_log_tail = j["tail"].get<std::string>();
  if (j.contains("error")) {
    w.remote_error = j["error"].at("message").get<std::string>();
    w.remote_traceback = j["error"].at("traceback").get<std::string>();
  }
  return w;
}

}  // namespace

std::string host_text(const std::string& hostname, const std::string& addr) {
  if (hostname.empty() || hostname == addr) return addr;
  if (addr.empty()) return hostname;
  return hostname + " (" + addr + ")";
}

nlohmann::json attempt_to_json(const AttemptResult& attempt) {
  nlohmann::json workers = nlohmann::json::array();
  for (const auto& worker : attempt.workers) workers.push_back(worker_to_json(worker));
  return {{"attempt", attempt.attempt},
          {"workers", workers},
          {"root_cause", attempt.root_cause ? nlohmann::json(*attempt.root_cause) : nullptr},
          {"other_failures", attempt.other_failures},
          {"stop_signal", attempt.stop_signal ? nlohmann::json(*attempt.stop_signal) : nullptr},
          {"start", to_ms(attempt.start_time)},
          {"end", to_ms(attempt.end_time)}};
}

AttemptResult attempt_from_json(const nlohmann::json& j) {
  AttemptResult attempt;
  attempt.attempt = j.at("attempt").get<int>();
  for (const auto& worker : j.at("workers")) attempt.workers.push_back(worker_from_json(worker));
  if (!j.at("root_cause").is_null()) attempt.root_cause = j["root_cause"].get<int>();
  attempt.other_failures = j.at("other_failures").get<std::vector<int>>();
  if (!j.at("stop_signal").is_null()) attempt.stop_signal = j["stop_signal"].get<int>();
  attempt.start_time = from_ms(j.at("start").get<std::int64_t>());
  attempt.end_time = from_ms(j.at("end").get<std::int64_t>());
  return attempt;
}

AttemptResult merge_attempts(int round, std::vector<NodeAttempt> nodes,
                             const rendezvous::StopReason& stop,
                             const std::vector<std::string>& lost) {
  using Kind = rendezvous::StopReason::Kind;
  AttemptResult merged;
  merged.attempt = round;
  std::sort(nodes.begin(), nodes.end(),
            [](const NodeAttempt& a, const NodeAttempt& b) { return a.node_rank < b.node_rank; });
  struct Origin {
    int node_rank;
    int local_rank;
    bool local_root;
  };
  std::vector<std::pair<WorkerRecord, Origin>> all;
  for (auto& node : nodes) {
    auto& attempt = node.attempt;
    if (merged.start_time.time_since_epoch().count() == 0 ||
        attempt.start_time < merged.start_time) {
      merged.start_time = attempt.start_time;
    }
    merged.end_time = std::max(merged.end_time, attempt.end_time);
    for (auto& worker : attempt.workers) {
      worker.host = node.host;
      worker.node_rank = node.node_rank;
      const bool local_root = attempt.root_cause == worker.local_rank;
      all.push_back({worker, Origin{node.node_rank, worker.local_rank, local_root}});
    }
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const auto& a, const auto& b) { return a.first.rank < b.first.rank; });
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& [worker, origin] = all[i];
    merged.workers.push_back(worker);
    const int index = static_cast<int>(i);
    const bool named =
        stop.kind == Kind::kFailure && origin.node_rank == stop.node_rank &&
        (stop.local_rank >= 0 ? origin.local_rank == stop.local_rank : origin.local_root);
    if (named && !merged.root_cause) {
      merged.root_cause = index;
    } else if (origin.local_root || failed_on_its_own(worker) ||
               (!worker.spawn_error.empty() && !worker.stopped_by_agent)) {
      if (worker.status && !worker.status->success()) merged.other_failures.push_back(index);
    }
  }
  if (stop.kind == Kind::kSignal)
    merged.stop_signal = stop.code > 128 ? stop.code - 128 : stop.code;
  if (!merged.root_cause && stop.kind != Kind::kDone) merged.reason = stop.describe();
  for (const auto& line : lost) {
    if (merged.reason.find(line) == std::string::npos) {
      merged.reason += (merged.reason.empty() ? "" : "; ") + line;
    }
  }
  return merged;
}

}  // namespace dlaunch::agent
