#include "agent/job_report.hpp"

#include <unistd.h>

#include <ctime>
#include <fstream>
#include <sstream>

#include "agent/logging.hpp"
#include "agent/rank_log.hpp"

namespace dlaunch::agent {
namespace {

constexpr int kTailLines = 20;
const std::string kRule(72, '-');
const std::string kFrame(72, '=');

std::string indent(const std::string& text, const std::string& pad) {
  std::string out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out += pad + line + "\n";
  return out;
}

std::string host_of(const JobReport& report, const WorkerRecord& worker) {
  return worker.host.empty() ? report.hostname : worker.host;
}

int node_of(const JobReport& report, const WorkerRecord& worker) {
  return worker.node_rank >= 0 ? worker.node_rank : report.node_rank;
}

// The error file's content: read here for this node's workers, sent along for others'.
std::optional<ErrorFileContent> error_of(const WorkerRecord& worker) {
  if (worker.remote_error)
    return ErrorFileContent{*worker.remote_error, worker.remote_traceback, ""};
  if (!worker.host.empty()) return std::nullopt;
  return read_error_file(worker.error_file);
}

std::string describe_worker(const JobReport& report, const WorkerRecord& worker) {
  std::ostringstream out;
  out << "  time       : " << iso_time(worker.end_time) << "\n"
      << "  host       : " << host_of(report, worker) << ", node " << node_of(report, worker)
      << "\n"
      << "  rank       : " << worker.rank << " (local_rank: " << worker.local_rank << ")\n"
      << "  pid        : " << worker.pid << "\n"
      << "  exit       : " << (worker.status ? worker.status->describe() : "unknown") << "\n";
  if (!worker.spawn_error.empty()) out << "  error      : " << worker.spawn_error << "\n";
  out << "  log        : " << worker.log_path << "\n";
  if (auto error = error_of(worker)) {
    out << "  error_file : " << worker.error_file << "\n"
        << "  error      : " << error->message << "\n";
    if (!error->traceback.empty()) out << "  traceback  :\n" << indent(error->traceback, "    ");
  }
  const std::string tail =
      worker.remote_log_tail ? *worker.remote_log_tail : tail_of_file(worker.log_path, kTailLines);
  if (!tail.empty()) out << "  last lines of its log:\n" << indent(tail, "    | ");
  return out.str();
}

nlohmann::json worker_json(const JobReport& report, const WorkerRecord& worker) {
  nlohmann::json j = {
      {"rank", worker.rank},
      {"local_rank", worker.local_rank},
      {"node_rank", node_of(report, worker)},
      {"host", host_of(report, worker)},
      {"pid", worker.pid},
      {"log", worker.log_path},
      {"error_file", worker.error_file},
      {"stopped_by_agent", worker.stopped_by_agent},
  };
  if (worker.start_time.time_since_epoch().count()) j["start_time"] = iso_time(worker.start_time);
  if (worker.end_time.time_since_epoch().count()) j["end_time"] = iso_time(worker.end_time);
  j["exit_code"] = nullptr;
  j["signal"] = nullptr;
  if (worker.status) {
    if (worker.status->signaled) {
      j["signal"] = signal_name(worker.status->value);
    } else {
      j["exit_code"] = worker.status->value;
    }
    j["state"] = worker.status->success()  ? "succeeded"
                 : worker.stopped_by_agent ? "stopped"
                                           : "failed";
  } else {
    j["state"] = "not_started";
  }
  if (!worker.spawn_error.empty()) j["spawn_error"] = worker.spawn_error;
  if (auto error = error_of(worker)) {
    j["error"] = {{"message", error->message}, {"traceback", error->traceback}};
  }
  return j;
}

}  // namespace

std::string iso_time(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char text[40];
  const auto n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(ms % 1000));
  return text;
}

int JobReport::exit_code() const {
  if (job_exit_code) return *job_exit_code;
  if (succeeded()) return 0;
  if (!attempts.empty()) {
    const AttemptResult& last = attempts.back();
    if (last.root_cause) {
      const auto& status = last.workers[*last.root_cause].status;
      if (status) return status->shell_code();
    }
  }
  if (signal_received) return 128 + *signal_received;
  return 1;
}

std::optional<ErrorFileContent> read_error_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (path.empty() || !in) return std::nullopt;
  const auto j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return ErrorFileContent{"(unreadable error file)", "", ""};
  }
  ErrorFileContent content;
  // torch's @record: {"message": {"message": "...", "extraInfo": {"py_callstack", "timestamp"}}}
  // or the older {"message": "..."}.
  const auto& message = j.contains("message") ? j["message"] : j;
  if (message.is_string()) {
    content.message = message.get<std::string>();
  } else if (message.is_object()) {
    content.message = message.value("message", std::string{});
    if (message.contains("extraInfo") && message["extraInfo"].is_object()) {
      content.traceback = message["extraInfo"].value("py_callstack", std::string{});
      content.timestamp = message["extraInfo"].value("timestamp", std::string{});
    }
  }
  if (content.message.empty()) content.message = j.dump();
  return content;
}

std::string format_summary(const JobReport& report) {
  std::ostringstream out;
  const double seconds = std::chrono::duration<double>(report.end_time - report.start_time).count();
  const int attempts = static_cast<int>(report.attempts.size());
  char elapsed[32];
  std::snprintf(elapsed, sizeof elapsed, "%.2f s", seconds);

  out << kFrame << "\n"
      << "dlaunch: " << report.entrypoint << (report.succeeded() ? " SUCCEEDED" : " FAILED")
      << " (run " << report.run_id << ", " << report.world_size << " workers, " << attempts
      << (attempts == 1 ? " attempt, " : " attempts, ") << elapsed << ", exit code "
      << report.exit_code() << ")\n";
  if (report.succeeded()) {
    out << kFrame << "\n";
    return out.str();
  }
  const AttemptResult* last = report.attempts.empty() ? nullptr : &report.attempts.back();
  out << kRule << "\n";
  if (last && last->root_cause) {
    out << "Root cause (first observed failure):\n"
        << describe_worker(report, last->workers[*last->root_cause]);
  } else if (last && !last->reason.empty()) {
    out << "Root cause: " << last->reason << "\n";
  } else if (!report.failure_reason.empty()) {
    out << "Root cause: " << report.failure_reason << "\n";
  } else if (report.signal_received) {
    out << "Root cause: dlaunch received " << signal_name(*report.signal_received)
        << " and stopped the workers\n";
  }
  out << kRule << "\n";
  if (last && !last->other_failures.empty()) {
    out << "Other failures:\n";
    for (int local_rank : last->other_failures) {
      out << describe_worker(report, last->workers[local_rank]);
    }
  } else {
    out << "Other failures: <none>\n";
  }
  if (last) {
    std::string stopped;
    for (const auto& worker : last->workers) {
      if (worker.stopped_by_agent)
        stopped += (stopped.empty() ? "" : ", ") + std::to_string(worker.rank);
    }
    if (!stopped.empty()) out << "Stopped by dlaunch: ranks " << stopped << "\n";
  }
  for (int i = 0; i + 1 < attempts; ++i) {
    const AttemptResult& attempt = report.attempts[i];
    if (!attempt.root_cause) {
      if (!attempt.reason.empty()) {
        out << "Attempt " << attempt.attempt << ": " << attempt.reason << "; restarted\n";
      }
      continue;
    }
    const WorkerRecord& root = attempt.workers[*attempt.root_cause];
    out << "Attempt " << attempt.attempt << ": rank " << root.rank << " on "
        << host_of(report, root) << " failed with "
        << (root.status ? root.status->describe() : "unknown") << "; restarted\n";
  }
  out << kFrame << "\n";
  return out.str();
}

nlohmann::json summary_json(const JobReport& report) {
  nlohmann::json attempts = nlohmann::json::array();
  nlohmann::json root_cause = nullptr;
  for (const auto& attempt : report.attempts) {
    nlohmann::json workers = nlohmann::json::array();
    for (const auto& worker : attempt.workers) workers.push_back(worker_json(report, worker));
    nlohmann::json a = {{"attempt", attempt.attempt},
                        {"start_time", iso_time(attempt.start_time)},
                        {"end_time", iso_time(attempt.end_time)},
                        {"succeeded", attempt.succeeded()},
                        {"workers", workers}};
    a["root_cause"] = attempt.root_cause ? nlohmann::json(attempt.workers[*attempt.root_cause].rank)
                                         : nlohmann::json(nullptr);
    if (attempt.stop_signal) a["stop_signal"] = signal_name(*attempt.stop_signal);
    if (!attempt.reason.empty()) a["reason"] = attempt.reason;
    if (attempt.root_cause) {
      root_cause = worker_json(report, attempt.workers[*attempt.root_cause]);
      root_cause["attempt"] = attempt.attempt;
    } else if (!attempt.reason.empty()) {
      root_cause = {{"reason", attempt.reason}, {"attempt", attempt.attempt}};
    }
    attempts.push_back(std::move(a));
  }
  if (!report.failure_reason.empty() &&
      (report.attempts.empty() || !report.attempts.back().root_cause)) {
    root_cause = {{"reason", report.failure_reason}};
  }
  if (report.succeeded()) root_cause = nullptr;
  nlohmann::json j = {
      {"run_id", report.run_id},
      {"entrypoint", report.entrypoint},
      {"status", report.succeeded() ? "succeeded" : "failed"},
      {"exit_code", report.exit_code()},
      {"host", report.hostname},
      {"node_rank", report.node_rank},
      {"nnodes", report.nnodes},
      {"world_size", report.world_size},
      {"nproc_per_node", report.nproc_per_node},
      {"max_restarts", report.max_restarts},
      {"restarts", report.attempts.empty() ? 0 : static_cast<int>(report.attempts.size()) - 1},
      {"start_time", iso_time(report.start_time)},
      {"end_time", iso_time(report.end_time)},
      {"elapsed_seconds",
       std::chrono::duration<double>(report.end_time - report.start_time).count()},
      {"root_cause", root_cause},
      {"attempts", attempts},
  };
  if (report.signal_received) j["signal_received"] = signal_name(*report.signal_received);
  if (!report.failure_reason.empty()) j["failure_reason"] = report.failure_reason;
  if (!report.nodes.empty()) {
    nlohmann::json nodes = nlohmann::json::array();
    for (const auto& node : report.nodes) {
      nodes.push_back({{"node_rank", node.node_rank},
                       {"host", node.hostname},
                       {"addr", node.addr},
                       {"nproc", node.nproc},
                       {"first_rank", node.first_rank}});
    }
    j["nodes"] = nodes;
  }
  return j;
}

void write_summary_json(const JobReport& report) {
  const auto path = report.log_dir / "dlaunch_summary.json";
  // Unique per process: nodes sharing a log directory (NFS, namespaces) must not collide.
  const auto tmp = report.log_dir / (".dlaunch_summary.json." + report.hostname + "." +
                                     std::to_string(::getpid()) + ".tmp");
  std::error_code ec;
  std::filesystem::create_directories(report.log_dir, ec);
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << summary_json(report).dump(2) << "\n";
    if (!out) {
      log().error("cannot write {}", tmp.string());
      return;
    }
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) log().error("cannot write {}: {}", path.string(), ec.message());
}

}  // namespace dlaunch::agent
