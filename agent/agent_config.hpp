#pragma once
// AgentConfig: everything one node's agent needs, fully resolved (no "auto", no optional
// left for the agent to guess). Built by the launcher from flags, PET_* variables and the
// cluster environment; read-only to the agent.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "rendezvous/rendezvous_settings.hpp"

namespace dlaunch::agent {

using Environment = std::map<std::string, std::string>;

// Bits of torchrun's -r/--redirects and -t/--tee masks.
inline constexpr int kStdout = 1;
inline constexpr int kStderr = 2;

struct AgentConfig {
  // Identity of the job and of this node.
  std::string run_id;
  std::string role = "default";
  std::string hostname;       // shown in the summary
  int node_rank = 0;          // GROUP_RANK / NODE_RANK
  int nnodes = 1;             // GROUP_WORLD_SIZE
  int nproc_per_node = 1;     // LOCAL_WORLD_SIZE
  int first_global_rank = 0;  // RANK of local rank 0 (prefix sum over nodes)
  int world_size = 1;         // WORLD_SIZE

  // The store the workers meet at.
  std::string master_addr = "127.0.0.1";
  std::uint16_t master_port = 6105;
  // Workers use a store served by the node-0 agent (TORCHELASTIC_USE_AGENT_STORE=True);
  // otherwise global rank 0 serves it, as plain torch.distributed.launch does.
  bool agent_store = false;
  bool standalone = false;  // the store binds port 0 on loopback
  // Several nodes (or the c10d backend): how this node meets the others. The rendezvous then
  // sets node_rank, nnodes, first_global_rank, world_size and the master port of each round.
  std::optional<rendezvous::RendezvousSettings> rendezvous;

  // The worker program: argv without the legacy --local_rank=N (added when !use_env).
  std::vector<std::string> command;
  std::size_t command_user_args_offset = 0;  // index in `command` where the user's args begin
  bool use_env = true;
  Environment base_env;  // the agent's environment, inherited by workers
  std::vector<std::pair<std::string, std::string>> extra_env;  // --env K=V
  // --pin_gpus: CUDA_VISIBLE_DEVICES of each local rank; empty: inherited by all.
  std::vector<std::string> visible_devices;

  // Supervision.
  int max_restarts = 0;
  std::chrono::milliseconds shutdown_timeout{30'000};

  // Logs. Per local rank: which streams are redirected (file only) and which tee'd.
  std::filesystem::path log_dir = "logs";
  std::vector<int> redirects;                        // size nproc_per_node; kStdout|kStderr bits
  std::vector<int> tee;                              // size nproc_per_node
  std::optional<std::set<int>> console_local_ranks;  // --local_ranks_filter

  // Seeing the job run (status, metrics, probes, events).
  std::string job_token;  // --rdzv_token: what HTTP clients must show (all but /livez, /readyz)
  std::optional<std::uint16_t> health_check_port;  // TORCHELASTIC_HEALTH_CHECK_PORT (0: any)
  std::string event_log_handler = "null";          // --event-log-handler: console | null
  std::filesystem::path event_log_file;            // --event_log FILE; empty: none
  bool status_endpoint = true;  // the local socket and the endpoint file in log_dir

  int global_rank(int local_rank) const { return first_global_rank + local_rank; }
};

}  // namespace dlaunch::agent
