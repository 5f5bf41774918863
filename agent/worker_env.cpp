#include "agent/worker_env.hpp"

#include <algorithm>

namespace dlaunch::agent {

Environment worker_environment(const AgentConfig& config, const WorkerSlot& slot) {
  Environment env = config.base_env;
  for (const auto& [key, value] : config.extra_env) env[key] = value;

  const int rank = config.global_rank(slot.local_rank);
  auto set = [&env](const char* key, const std::string& value) { env[key] = value; };
  auto set_int = [&set](const char* key, long long value) { set(key, std::to_string(value)); };

  set_int("RANK", rank);
  set_int("LOCAL_RANK", slot.local_rank);
  set_int("WORLD_SIZE", config.world_size);
  set_int("LOCAL_WORLD_SIZE", config.nproc_per_node);
  set_int("GROUP_RANK", config.node_rank);
  set_int("NODE_RANK", config.node_rank);
  set_int("GROUP_WORLD_SIZE", config.nnodes);
  set("ROLE_NAME", config.role);
  // One role per job: role ranks are the global ranks.
  set_int("ROLE_RANK", rank);
  set_int("ROLE_WORLD_SIZE", config.world_size);
  set("MASTER_ADDR", config.master_addr);
  set_int("MASTER_PORT", config.master_port);
  set("TORCHELASTIC_USE_AGENT_STORE", config.agent_store ? "True" : "False");
  set_int("TORCHELASTIC_RESTART_COUNT", slot.restart_count);
  set_int("TORCHELASTIC_MAX_RESTARTS", config.max_restarts);
  set("TORCHELASTIC_RUN_ID", config.run_id);
  set("TORCHELASTIC_ERROR_FILE", slot.error_file);
  // torch >= 2.2 reads the first name, 1.13 the second; a user's own value wins.
  env.try_emplace("TORCH_NCCL_ASYNC_ERROR_HANDLING", "1");
  env.try_emplace("NCCL_ASYNC_ERROR_HANDLING", "1");
  if (config.nproc_per_node > 1) env.try_emplace("OMP_NUM_THREADS", "1");
  if (static_cast<std::size_t>(slot.local_rank) < config.visible_devices.size()) {
    set("CUDA_VISIBLE_DEVICES", config.visible_devices[slot.local_rank]);
  }
  return env;
}

std::vector<std::string> worker_argv(const AgentConfig& config, int local_rank) {
  std::vector<std::string> argv = config.command;
  if (config.use_env || argv.empty()) return argv;
  // torch.distributed.launch puts --local_rank right after the script: after "python -u
  // [-m] script" for Python programs, after the binary otherwise. The launcher tells us
  // where the user's arguments start by the position of the program in `command`.
  const auto user_args_begin = std::min(argv.size(), config.command_user_args_offset);
  argv.insert(argv.begin() + static_cast<std::ptrdiff_t>(user_args_begin),
              "--local_rank=" + std::to_string(local_rank));
  return argv;
}

std::vector<std::string> to_envp(const Environment& env) {
  std::vector<std::string> envp;
  envp.reserve(env.size());
  for (const auto& [key, value] : env) envp.push_back(key + "=" + value);
  return envp;
}

}  // namespace dlaunch::agent
