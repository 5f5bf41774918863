#pragma once
// FanoutReport: how each host of an ssh fan-out ended, and the summary block the launching
// dlaunch prints at the end (stderr) when the job did not succeed. The root cause is the first
// host whose dlaunch failed on its own; its exit code (its own root cause's, or ssh's 255 when
// the host was lost) is the launching dlaunch's exit code. The hosts' own summaries come back
// tagged before it; their logs stay on the hosts.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "launcher/fanout_plan.hpp"

namespace dlaunch::launcher {

struct HostOutcome {
  RemoteNode node;
  std::optional<int> exit_code;  // unset: still running or never started
  bool after_stop = false;       // ended after dlaunch had told every host to stop
  std::string note;              // e.g. why ssh could not be started
};

struct FanoutReport {
  std::string run_id;
  std::string entrypoint;      // the program's file name
  std::string remote_log_dir;  // where each host keeps its logs
  int world_size = 0;
  std::vector<HostOutcome> hosts;
  std::optional<std::size_t> root_cause;    // a host ssh lost (exit 255): index in hosts
  std::optional<std::size_t> first_failed;  // the first host to end with a failure
  std::optional<int> signal_received;       // dlaunch was told to stop before any host failed
  std::chrono::steady_clock::time_point start_time{}, end_time{};

  bool succeeded() const;
  // 0; else 128+N for a signal N received first; 255 for a lost host; else node 0's code
  // (the job's: the agents rendezvous and agree), else the first failed host's.
  int exit_code() const;
};

// "stopped by dlaunch (exit code 143)", "FAILED first (exit code 7)", "succeeded", ...
std::string describe_outcome(const FanoutReport& report, std::size_t index);

// The block printed at the end of a failed or stopped fan-out.
std::string format_fanout_summary(const FanoutReport& report);

}  // namespace dlaunch::launcher
