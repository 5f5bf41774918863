#pragma once
// The worker environment contract (DESIGN.md "Worker environment") as dtrain reads it:
// RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT,
// TORCHELASTIC_USE_AGENT_STORE, TORCHELASTIC_RESTART_COUNT. With none of them set dtrain is a
// single process without a process group. No LibTorch here.

#include <functional>
#include <optional>
#include <string>

namespace dlaunch::trainer {

struct WorkerEnv {
  bool distributed = false;  // a process group is made (WORLD_SIZE was set, even to 1)
  int rank = 0;
  int local_rank = 0;
  int world_size = 1;
  int local_world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 0;
  bool use_agent_store = false;  // TORCHELASTIC_USE_AGENT_STORE=True: every rank is a client
  int restart_count = 0;         // TORCHELASTIC_RESTART_COUNT (0 when unset)
  bool restart_count_set = false;
};

// Reads the environment through `lookup` (getenv in production, a map in tests).
// `flag_local_rank` is --local_rank from the command line (-1: not given); LOCAL_RANK wins.
// Throws UsageError naming the variable when a value is malformed or one is missing.
WorkerEnv read_worker_env(const std::function<std::optional<std::string>(const char*)>& lookup,
                          int flag_local_rank = -1);

// read_worker_env over the process environment.
WorkerEnv read_worker_env_from_process(int flag_local_rank = -1);

}  // namespace dlaunch::trainer
