#include "launcher/fanout_plan.hpp"

#include <algorithm>
#include <filesystem>
#include <random>
#include <stdexcept>

#include "launcher/host_filter.hpp"
#include "launcher/hostfile.hpp"
#include "launcher/option_values.hpp"
#include "launcher/run_id.hpp"
#include "launcher/shell_words.hpp"

namespace dlaunch::launcher {
namespace {

constexpr std::uint16_t kDefaultPort = 6105;

const std::string& source_of(const Options& options, const std::string& dest) {
  static const std::string kDefault = "default";
  const auto it = options.sources.find(dest);
  return it == options.sources.end() ? kDefault : it->second;
}

bool from_command_line(const Options& options, const std::string& dest) {
  return source_of(options, dest) == "command line";
}

// --nnodes and --node_rank are the fan-out's to set. Typed on the command line they are a
// mistake; inherited as PET_ variables (from an enclosing job) they are noise.
void check_node_options(const Options& options, int hosts, FanoutPlan& plan) {
  if (options.standalone) {
    throw UsageError(
        "--standalone runs one node on its own; it cannot be combined with --hostfile");
  }
  if (options.min_nodes != options.max_nodes) {
    throw UsageError("--nnodes " + std::to_string(options.min_nodes) + ":" +
                     std::to_string(options.max_nodes) +
                     ": elastic node counts are not supported with --hostfile");
  }
  if (options.nnodes_given && options.max_nodes != hosts) {
    const std::string what = "--nnodes " + std::to_string(options.max_nodes) + " but " +
                             options.hostfile.value() + " selects " + std::to_string(hosts) +
                             " host" + (hosts == 1 ? "" : "s");
    if (from_command_line(options, "nnodes")) {
      throw UsageError(what + " (leave --nnodes out, or choose hosts with --include/--exclude)");
    }
    plan.warnings.push_back(source_of(options, "nnodes") + ": " + what + "; using " +
                            std::to_string(hosts));
  }
  if (options.node_rank) {
    if (from_command_line(options, "node_rank")) {
      throw UsageError(
          "--node_rank cannot be combined with --hostfile: each host's node rank is "
          "its place in the hostfile");
    }
    plan.warnings.push_back(source_of(options, "node_rank") +
                            " is ignored: each host's node rank is its place in the hostfile");
  }
  if (options.local_addr) {
    plan.warnings.push_back(
        "--local_addr is ignored with --hostfile: each host's is its name "
        "in the hostfile");
  }
}

std::vector<std::string> ssh_words(const std::string& ssh_cmd) {
  std::vector<std::string> words;
  try {
    words = split_shell_words(ssh_cmd);
  } catch (const std::invalid_argument& e) {
    throw UsageError("--ssh_cmd " + quote(ssh_cmd) + ": " + e.what());
  }
  if (words.empty()) throw UsageError("--ssh_cmd is empty");
  const bool is_ssh = std::filesystem::path(words.front()).filename() == "ssh";
  for (const char* bad : {"-n", "-f", "-N", "-t", "-tt"}) {
    if (is_ssh && std::find(words.begin(), words.end(), bad) != words.end()) {
      throw UsageError(std::string("--ssh_cmd must not use ") + bad +
                       ": each remote dlaunch runs as ssh's command, without a tty, and is told "
                       "to stop through ssh's stdin");
    }
  }
  // Without keep-alives a host that vanishes mid-run is noticed after hours (TCP keepalive);
  // with them ssh exits 255 within ~15 s and the job stops. The user's own setting wins.
  const bool has_keepalive = std::any_of(words.begin(), words.end(), [](const std::string& w) {
    return w.find("ServerAlive") != std::string::npos;
  });
  if (is_ssh && !has_keepalive) {
    words.insert(words.end(), {"-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3"});
  }
  return words;
}

}  // namespace

FanoutPlan make_fanout_plan(const Options& options, const Environment& env,
                            const std::string& cwd) {
  FanoutPlan plan;
  plan.hostfile = options.hostfile.value();
  if (options.nproc_per_node.kind != NprocSpec::Kind::kCount) {
    throw UsageError(
        "--hostfile needs --nproc_per_node as a number (the workers of hosts without "
        "slots=N); give each host slots=N in " +
        plan.hostfile + " instead of auto/cpu/gpu");
  }
  std::vector<HostSlots> hosts;
  std::vector<HostfileEntry> entries;
  try {
    entries = read_hostfile(plan.hostfile, options.nproc_per_node.count);
    hosts = select_hosts(entries, options.include, options.exclude);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  check_node_options(options, static_cast<int>(hosts.size()), plan);

  for (const auto& host : hosts) {
    const auto entry = std::find_if(entries.begin(), entries.end(),
                                    [&](const HostfileEntry& e) { return e.host == host.host; });
    RemoteNode node;
    node.host = host.host;
    node.hostfile_line = entry == entries.end() ? 0 : entry->line;
    if (node.host.front() == '-') {
      throw UsageError(plan.hostfile + ":" + std::to_string(node.hostfile_line) + ": host " +
                       quote(node.host) + " starts with '-' (ssh would read it as an option)");
    }
    node.node_rank = static_cast<int>(plan.nodes.size());
    node.nproc = host.nproc();
    node.first_rank = plan.world_size;
    if (!host.all_slots()) node.visible_devices = host.visible_devices();
    plan.world_size += node.nproc;
    plan.nodes.push_back(std::move(node));
  }
  // The static rendezvous gives node k the ranks k*n .. k*n+n-1: one n for every host.
  const auto& first = plan.nodes.front();
  for (const auto& node : plan.nodes) {
    if (node.nproc != first.nproc) {
      throw UsageError("hosts would run different numbers of workers (" + first.host + ": " +
                       std::to_string(first.nproc) + ", " + node.host + ": " +
                       std::to_string(node.nproc) +
                       "); the static rendezvous needs the same number on every host");
    }
  }

  plan.master_addr = options.master_addr ? *options.master_addr : first.host;
  plan.master_port = options.master_port ? *options.master_port : kDefaultPort;
  plan.run_id = options.rdzv_id.empty() ? random_run_id() : options.rdzv_id;
  plan.ssh_argv = ssh_words(options.ssh_cmd);
  if (const auto it = env.find("DLAUNCH_REMOTE_BIN"); it != env.end() && !it->second.empty()) {
    plan.remote_bin = it->second;
  }
  plan.remote_dir = options.remote_dir ? *options.remote_dir : cwd;
  if (plan.remote_dir.empty()) {
    throw UsageError("the current directory is gone; give the remote one with --remote_dir");
  }
  plan.env = forwarded_environment(env, cwd);
  return plan;
}

}  // namespace dlaunch::launcher
