#pragma once
// JobReport: what happened to a job on this node, attempt by attempt, and the two ways it
// is told at the end: the human summary block (root cause first) on stderr, and
// <log_dir>/dlaunch_summary.json for machines.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/worker_group.hpp"

namespace dlaunch::agent {

struct JobReport {
  std::string run_id;
  std::string entrypoint;  // script, module or binary name
  std::string hostname;
  int node_rank = 0;
  int nnodes = 1;
  int world_size = 1;
  int nproc_per_node = 1;
  int max_restarts = 0;
  std::filesystem::path log_dir;
  std::vector<AttemptResult> attempts;
  std::optional<int> signal_received;  // dlaunch itself was told to stop
  std::chrono::system_clock::time_point start_time{}, end_time{};

  // Several nodes: the job's exit code, decided on node 0 and the same on every node; why the
  // job failed when no worker shown here is the root cause; node 0's list of the last round's
  // nodes.
  std::optional<int> job_exit_code;
  std::string failure_reason;
  struct Node {
    int node_rank = 0;
    std::string hostname;
    std::string addr;
    int nproc = 0;
    int first_rank = 0;
  };
  std::vector<Node> nodes;

  bool succeeded() const {
    if (job_exit_code) return *job_exit_code == 0;
    return !attempts.empty() && attempts.back().succeeded();
  }
  // 0; the root cause's exit code or 128+signal; 128+N when dlaunch got signal N first.
  int exit_code() const;
};

// The error JSON a worker's @record wrote, reduced to its message and traceback.
struct ErrorFileContent {
  std::string message;
  std::string traceback;
  std::string timestamp;
};
std::optional<ErrorFileContent> read_error_file(const std::filesystem::path& path);

std::string format_summary(const JobReport& report);
nlohmann::json summary_json(const JobReport& report);
// Writes summary_json to <log_dir>/dlaunch_summary.json via a temporary file and rename.
void write_summary_json(const JobReport& report);

// ISO 8601 UTC with milliseconds: 2026-11-27T03:01:02.345Z
std::string iso_time(std::chrono::system_clock::time_point t);

}  // namespace dlaunch::agent
