#pragma once
// The environment contract of DESIGN.md: what every worker gets, recomputed from the
// agent's config (inherited RANK/WORLD_SIZE/LOCAL_RANK describe nodes and are replaced).

#include <string>
#include <vector>

#include "agent/agent_config.hpp"

namespace dlaunch::agent {

struct WorkerSlot {
  int local_rank = 0;
  int restart_count = 0;                 // TORCHELASTIC_RESTART_COUNT (job-wide attempt number)
  std::string error_file;                // TORCHELASTIC_ERROR_FILE
};

// The full environment of one worker, base environment included.
Environment worker_environment(const AgentConfig& config, const WorkerSlot& slot);

// The worker's argv: the configured command, with --local_rank=N inserted before the
// user's arguments in legacy (no --use_env) mode, where torch.distributed.launch puts it.
std::vector<std::string> worker_argv(const AgentConfig& config, int local_rank);

// "K=V" strings for execve.
std::vector<std::string> to_envp(const Environment& env);

}  // namespace dlaunch::agent
