#pragma once
// Options: everything dlaunch's command line says, validated, with torchrun's PET_<OPTION>
// environment fallbacks applied. parse_options() is the whole command-line contract of
// `dlaunch`; main() calls it, prints "dlaunch: error: <what>" for a UsageError and exits 2.
// Values that depend on the machine or the cluster (auto/gpu worker counts, node rank and master
// address from Slurm/MPI/Azure variables, the run id, the log directory) stay unresolved here.
//
// Legacy launch mode: like python -m torch.distributed.launch, each worker also gets
// --local_rank=N unless use_env. --standalone, --rdzv_backend c10d and --no_python only make
// sense as torchrun usage (launch.py refuses --no_python without --use_env), so they imply
// use_env, as torchrun always has it.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "launcher/option_values.hpp"
#include "launcher/std_spec.hpp"
#include "launcher/usage_error.hpp"

namespace dlaunch::launcher {

struct Options {
  // topology / rendezvous
  int min_nodes = 1, max_nodes = 1;          // --nnodes N | MIN:MAX
  bool nnodes_given = false;                 // given on the command line or PET_NNODES
  NprocSpec nproc_per_node;                  // --nproc_per_node int|auto|cpu|gpu
  std::optional<int> node_rank;              // unset: cluster detection, else 0
  std::optional<std::string> master_addr;    // unset: cluster detection, else 127.0.0.1
  std::optional<std::uint16_t> master_port;  // 1-65535; unset: $MASTER_PORT, else 6105
  std::optional<std::string> local_addr;
  bool standalone = false;
  std::string rdzv_backend = "static";           // static | c10d (--standalone sets c10d)
  std::optional<std::string> rdzv_endpoint;      // host[:port] as given ("localhost:0" standalone)
  std::string rdzv_id;                           // empty: generate later
  std::map<std::string, std::string> rdzv_conf;  // k=v,k=v
  std::string rdzv_token;                        // --rdzv_token, else $DLAUNCH_RDZV_TOKEN
  // supervision
  int max_restarts = 0;
  double monitor_interval = 0.1;       // accepted, > 0
  std::string start_method = "spawn";  // accepted: spawn | fork | forkserver
  double shutdown_timeout = 30;  // --shutdown_timeout, PET_, $TORCH_ELASTIC_SHUTDOWN_TIMEOUT; >= 0
  std::string role = "default";
  // worker program
  bool use_env = false;  // false: legacy mode, workers get --local_rank=N
  bool module = false, no_python = false, run_path = false;
  std::string program;                    // script, module or binary as given
  std::vector<std::string> program_args;  // verbatim
  // logs
  std::optional<std::string> log_dir;  // unset: the agent's default (./logs)
  StdSpec redirects, tee;
  std::optional<std::set<int>> local_ranks_filter;
  std::string event_log_handler = "null";  // console | null (torchrun's dynamic_rendezvous: null)
  std::optional<std::string> event_log;    // --event_log FILE
  // hosts (issue 6): parsed and checked for form here, used by the hostfile fan-out
  std::optional<std::string> hostfile;
  std::string include, exclude;  // at most one of them
  std::string ssh_cmd = "ssh -o BatchMode=yes -o ConnectTimeout=10";
  std::optional<std::string> remote_dir;
  std::vector<std::pair<std::string, std::string>> extra_env;  // --env K=V, in order
  bool pin_gpus = false;       // --pin_gpus: one CUDA_VISIBLE_DEVICES entry per worker
  bool stdin_control = false;  // hidden --stdin_control: started by a fan-out (stdin_control.hpp)
  // Where each option's value came from, for the start-up line: dest ("nproc_per_node") ->
  // "command line", "PET_NPROC_PER_NODE", "DLAUNCH_RDZV_TOKEN",
  // "TORCH_ELASTIC_SHUTDOWN_TIMEOUT", "--standalone" or "default".
  std::map<std::string, std::string> sources;
  // Things worth one log line each that are not errors (a value given twice, --standalone
  // overriding a rendezvous flag, a PET_ variable of an unsupported torchrun option).
  std::vector<std::string> warnings;
  bool show_help = false, show_version = false;  // when set, nothing else is filled in
};

// Parses argv WITHOUT argv[0]; `env` stands for the environment (PET_*, DLAUNCH_RDZV_TOKEN,
// TORCH_ELASTIC_SHUTDOWN_TIMEOUT). Throws UsageError. Never reads the real environment.
Options parse_options(const std::vector<std::string>& argv, const Environment& env);

}  // namespace dlaunch::launcher
