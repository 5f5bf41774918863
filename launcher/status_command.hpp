#pragma once
// `dlaunch status`: asks a running job what it is doing and prints the answer.
//
//   dlaunch status [HOST:PORT | URL] [--log_dir DIR] [--ranks] [--json] [--watch [SECONDS]]
//                  [--rdzv_token TOKEN]
//
// Without an address it reads the agents' endpoint files in DIR (default ./logs, the job's
// default log directory): a local agent answers on its local socket without a token. HOST:PORT
// is node 0's store port (MASTER_ADDR:MASTER_PORT). --json prints the status document itself;
// --watch redraws every SECONDS (default 2) until interrupted or the job is gone.
// Exit status: 0 answered, 1 no agent answered (or it refused), 2 bad usage.

#include <string>
#include <vector>

#include "launcher/cluster_env.hpp"

namespace dlaunch::launcher {

// `args` are the words after "status".
int run_status_command(const std::vector<std::string>& args, const Environment& env,
                       const std::string& cwd);

std::string status_usage_text();

}  // namespace dlaunch::launcher
