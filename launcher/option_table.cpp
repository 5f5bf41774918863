#include "launcher/option_table.hpp"

#include <algorithm>
#include <cctype>

#include "rendezvous/check.hpp"

namespace dlaunch::launcher {

namespace {

using G = OptionGroup;
using E = EnvFallback;

std::vector<OptionSpec> make_table() {
  return {
      // Nodes
      {.dest = "nnodes",
       .metavar = "N|MIN:MAX",
       .help = "number of nodes, or an elastic range (default 1)",
       .group = G::kNodes},
      {.dest = "nproc_per_node",
       .metavar = "N|auto|cpu|gpu",
       .help = "workers on this node: a count, or auto, cpu or gpu to detect it (default 1)",
       .group = G::kNodes},
      {.dest = "pin_gpus",
       .takes_value = false,
       .env = E::kNone,
       .help = "give worker i only the i-th visible GPU (CUDA_VISIBLE_DEVICES pinned, seen as "
               "cuda:0); default: every worker sees all GPUs and uses cuda:LOCAL_RANK",
       .group = G::kNodes},
      {.dest = "node_rank",
       .metavar = "K",
       .help = "this node's rank, 0..nnodes-1, for the static rendezvous "
               "(default: from the cluster's variables, else 0)",
       .group = G::kNodes},
      {.dest = "master_addr",
       .metavar = "ADDR",
       .help = "address of node 0, whose agent serves the store "
               "(default: from the cluster's variables, else 127.0.0.1)",
       .group = G::kNodes},
      {.dest = "master_port",
       .metavar = "PORT",
       .help = "port of the store on node 0, 1-65535 (default: $MASTER_PORT, else 6105)",
       .group = G::kNodes},
      {.dest = "local_addr",
       .metavar = "ADDR",
       .help = "this node's address as the other nodes reach it (default: its name)",
       .group = G::kNodes},
      // Rendezvous
      {.dest = "standalone",
       .takes_value = false,
       .env = E::kFlag,
       .help = "one node on its own: c10d rendezvous on a free loopback port with a fresh run id "
               "(implies --use_env)",
       .group = G::kRendezvous},
      {.dest = "rdzv_backend",
       .metavar = "static|c10d",
       .help = "how nodes meet: static (fixed node ranks) or c10d (ranks assigned, elastic; "
               "implies --use_env) (default static)",
       .group = G::kRendezvous},
      {.dest = "rdzv_endpoint",
       .metavar = "HOST[:PORT]",
       .help = "where the c10d rendezvous is served ([v6]:port for IPv6)",
       .group = G::kRendezvous},
      {.dest = "rdzv_id",
       .metavar = "ID",
       .help = "job id shared by every node; becomes TORCHELASTIC_RUN_ID (default: generated)",
       .group = G::kRendezvous},
      {.dest = "rdzv_conf",
       .metavar = "K=V,...",
       .help = "rendezvous settings, e.g. join_timeout=600,last_call_timeout=30,is_host=1",
       .group = G::kRendezvous},
      {.dest = "rdzv_token",
       .env = E::kNone,
       .metavar = "TOKEN",
       .help = "job secret that agent traffic must carry (default: $DLAUNCH_RDZV_TOKEN)",
       .group = G::kRendezvous},
      // Supervision
      {.dest = "max_restarts",
       .metavar = "N",
       .help = "times the whole worker group is restarted after a failure (default 0)",
       .group = G::kSupervision},
      {.dest = "monitor_interval",
       .metavar = "SECONDS",
       .help = "accepted for torchrun compatibility, must be > 0 (dlaunch learns of exits at once)",
       .group = G::kSupervision},
      {.dest = "start_method",
       .metavar = "spawn|fork|forkserver",
       .help = "accepted for torchrun compatibility (workers are always new processes)",
       .group = G::kSupervision},
      {.dest = "shutdown_timeout",
       .metavar = "SECONDS",
       .help = "grace between SIGTERM and SIGKILL when workers are stopped "
               "(default: $TORCH_ELASTIC_SHUTDOWN_TIMEOUT, else 30)",
       .group = G::kSupervision},
      {.dest = "role",
       .metavar = "NAME",
       .help = "the workers' ROLE_NAME (default 'default')",
       .group = G::kSupervision},
      // Program
      {.dest = "use_env",
       .takes_value = false,
       .env = E::kFlag,
       .help = "workers read LOCAL_RANK from the environment: no --local_rank=N argument",
       .group = G::kProgram},
      {.dest = "module",
       .short_name = 'm',
       .takes_value = false,
       .env = E::kFlag,
       .help = "run the program as a Python module: python -u -m program",
       .group = G::kProgram},
      {.dest = "no_python",
       .takes_value = false,
       .env = E::kFlag,
       .help = "run the program itself, not under Python (implies --use_env)",
       .group = G::kProgram},
      {.dest = "run_path",
       .takes_value = false,
       .env = E::kFlag,
       .help = "run the program as a Python script by its path (python -u program)",
       .group = G::kProgram},
      // Logs
      {.dest = "log_dir",
       .metavar = "DIR",
       .help = "where 70_driver_log_<rank>.txt and dlaunch_summary.json go (default ./logs)",
       .group = G::kLogs},
      {.dest = "redirects",
       .short_name = 'r',
       .metavar = "SPEC",
       .help = "worker streams kept off the console (log files only): 0 none, 1 stdout, "
               "2 stderr, 3 both, or per local rank as 0:1,1:2 (default 0)",
       .group = G::kLogs},
      {.dest = "tee",
       .short_name = 't',
       .metavar = "SPEC",
       .help = "worker streams copied to the console as well as the log files; same syntax as "
               "--redirects (default 0)",
       .group = G::kLogs},
      {.dest = "local_ranks_filter",
       .metavar = "R,R,...",
       .help = "only these local ranks' output reaches the console (the files keep all)",
       .group = G::kLogs},
      {.dest = "event_log_handler",
       .metavar = "console|null",
       .help = "torchelastic's worker and rendezvous events: console prints them to stderr, one "
               "JSON object per line (default null)",
       .group = G::kLogs},
      {.dest = "event_log",
       .metavar = "FILE",
       .help = "append the same event records to FILE, whatever the handler",
       .group = G::kLogs},
      // Hosts
      {.dest = "hostfile",
       .env = E::kNone,
       .metavar = "FILE",
       .help = "launch on the hosts in FILE over ssh ('host slots=N' lines, as DeepSpeed)",
       .group = G::kHosts},
      {.dest = "include",
       .env = E::kNone,
       .metavar = "HOSTS",
       .help = "use only these hosts or slots of the hostfile, e.g. host1@host2:0,2",
       .group = G::kHosts},
      {.dest = "exclude",
       .env = E::kNone,
       .metavar = "HOSTS",
       .help = "leave these hosts or slots of the hostfile out, e.g. host3:1",
       .group = G::kHosts},
      {.dest = "ssh_cmd",
       .env = E::kNone,
       .metavar = "CMD",
       .help = "how to reach a host (default: ssh -o BatchMode=yes -o ConnectTimeout=10)",
       .group = G::kHosts},
      {.dest = "remote_dir",
       .env = E::kNone,
       .metavar = "DIR",
       .help = "working directory on the remote hosts (default: the current one)",
       .group = G::kHosts},
      {.dest = "env",
       .env = E::kNone,
       .metavar = "K=V",
       .help = "set K=V for every worker on every host (repeatable)",
       .group = G::kHosts,
       .repeatable = true},
      {.dest = "stdin_control",
       .takes_value = false,
       .env = E::kNone,
       .help = "stdin is the control channel of a --hostfile launcher: byte N stops as on "
               "signal N, end of file as on SIGTERM",
       .group = G::kHosts,
       .hidden = true},
      // General
      {.dest = "help",
       .short_name = 'h',
       .takes_value = false,
       .env = E::kNone,
       .help = "show this help and exit"},
      {.dest = "version",
       .takes_value = false,
       .env = E::kNone,
       .help = "show dlaunch's version and exit"},
      // torchrun options dlaunch recognises (so prefixes stay as torchrun's) but refuses.
      {.dest = "logs_specs", .env = E::kNone, .supported = false},
      {.dest = "numa_binding", .env = E::kNone, .supported = false},
      {.dest = "signals_to_handle", .supported = false},
      {.dest = "duplicate_stdout_filters", .supported = false},
      {.dest = "duplicate_stderr_filters", .supported = false},
      {.dest = "virtual_local_rank", .takes_value = false, .env = E::kFlag, .supported = false},
  };
}

std::string normalized(std::string_view word) {
  while (!word.empty() && word.front() == '-') word.remove_prefix(1);
  std::string out;
  for (const char c : word) {
    out += c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string OptionSpec::canonical() const {
  return "--" + std::string(dest);
}

std::vector<std::string> OptionSpec::spellings() const {
  std::vector<std::string> names{canonical()};
  std::string dashed = names.front();
  std::replace(dashed.begin() + 2, dashed.end(), '_', '-');
  if (dashed != names.front()) names.push_back(dashed);
  return names;
}

std::string OptionSpec::env_name() const {
  if (env == EnvFallback::kNone) return {};
  std::string name = "PET_";
  for (const char c : dest) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

const std::vector<OptionSpec>& option_table() {
  static const std::vector<OptionSpec> table = make_table();
  return table;
}

const OptionSpec& option_spec(std::string_view dest) {
  const auto& table = option_table();
  const auto it = std::find_if(table.begin(), table.end(),
                               [&](const OptionSpec& spec) { return spec.dest == dest; });
  DLAUNCH_CHECK(it != table.end());
  return *it;
}

const OptionSpec* find_short_option(char short_name) {
  for (const auto& spec : option_table()) {
    if (short_name != 0 && spec.short_name == short_name) return &spec;
  }
  return nullptr;
}

OptionMatch match_long_option(std::string_view word) {
  OptionMatch match;
  if (word.size() <= 2 || word.substr(0, 2) != "--") return match;
  std::vector<std::pair<const OptionSpec*, std::string>> prefixed;
  for (const auto& spec : option_table()) {
    for (const auto& spelling : spec.spellings()) {
      if (spelling == word) return {&spec, spelling, {}};
      if (!spec.hidden && spelling.starts_with(word) &&
          (prefixed.empty() || prefixed.back().first != &spec)) {
        prefixed.emplace_back(&spec, spelling);
      }
    }
  }
  if (prefixed.size() == 1) return {prefixed.front().first, prefixed.front().second, {}};
  for (const auto& [spec, spelling] : prefixed) match.candidates.push_back(spec->canonical());
  return match;
}

std::string closest_option(std::string_view word) {
  const std::string wanted = normalized(word);
  if (wanted.empty()) return {};
  const OptionSpec* best = nullptr;
  std::size_t best_distance = std::max<std::size_t>(2, wanted.size() / 3) + 1;
  for (const auto& spec : option_table()) {
    if (!spec.supported || spec.hidden) continue;
    const auto distance = edit_distance(wanted, spec.dest);
    if (distance < best_distance) {
      best = &spec;
      best_distance = distance;
    }
  }
  return best ? best->canonical() : std::string();
}

}  // namespace dlaunch::launcher
