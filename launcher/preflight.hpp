#pragma once
// The preflight of an ssh fan-out: before anything starts anywhere, every host is asked at once,
// through the same --ssh_cmd, to cd to the remote directory and run `dlaunch --version`. A host
// passes when that prints dlaunch's version. Each host that does not pass gets one line saying
// why in words a user can act on (unreachable, no such directory, dlaunch not found), and the
// launch does not start. Runs its own io_context to completion; bounded by `timeout` per host.

#include <chrono>
#include <string>
#include <vector>

#include "launcher/fanout_plan.hpp"

namespace dlaunch::launcher {

struct PreflightResult {
  std::string host;
  int hostfile_line = 0;
  bool ok = false;
  std::string version;  // the remote's `dlaunch --version` line, when ok
  std::string problem;  // why not, one line, when !ok
};

// One result per node of the plan, in node order. `envp` is ssh's environment.
std::vector<PreflightResult> run_preflight(const FanoutPlan& plan,
                                           const std::vector<std::string>& envp,
                                           std::chrono::milliseconds timeout);

// The problem a preflight exit means: `exit_code` is ssh's (255 = ssh itself failed, -1 = no
// answer in time), `last_error` the last non-empty line ssh or the remote shell wrote on
// stderr, `output` what it printed on stdout. Empty when the host passes.
std::string preflight_problem(const FanoutPlan& plan, int exit_code, const std::string& last_error,
                              const std::string& output, std::chrono::milliseconds timeout);

}  // namespace dlaunch::launcher
