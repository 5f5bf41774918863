#include "launcher/launch.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <random>

#include <boost/asio/io_context.hpp>

#include "agent/agent.hpp"
#include "launcher/logging.hpp"
#include "launcher/ssh_fanout.hpp"
#include "launcher/status_command.hpp"
#include "launcher/stdin_control.hpp"
#include "launcher/usage.hpp"
#include "launcher/run_id.hpp"
#include "launcher/worker_command.hpp"

extern char** environ;

namespace dlaunch::launcher {
namespace {

// torchrun's default port for --rdzv_endpoint without one.
constexpr std::uint16_t kDefaultRdzvPort = 29400;

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

bool from_pet(const Options& options, const std::string& dest) {
  auto it = options.sources.find(dest);
  return it != options.sources.end() && it->second.rfind("PET_", 0) == 0;
}

// The command line's and PET_*'s say on node rank, count and master, as separate layers.
void split_layers(const Options& options, ClusterValues& command_line, ClusterValues& pet) {
  auto layer = [&](const std::string& dest) -> ClusterValues& {
    return from_pet(options, dest) ? pet : command_line;
  };
  auto source_of = [&](const std::string& dest) {
    return from_pet(options, dest) ? ValueSource::kPet : ValueSource::kCommandLine;
  };
  auto origin_of = [&](const std::string& dest) {
    return from_pet(options, dest) ? options.sources.at(dest) : "--" + dest;
  };
  if (options.node_rank) {
    layer("node_rank").node_rank =
        Sourced<int>{*options.node_rank, source_of("node_rank"), origin_of("node_rank")};
  }
  if (options.nnodes_given) {
    layer("nnodes").nnodes =
        Sourced<int>{options.max_nodes, source_of("nnodes"), origin_of("nnodes")};
  }
  if (options.master_addr) {
    layer("master_addr").master_addr = Sourced<std::string>{
        *options.master_addr, source_of("master_addr"), origin_of("master_addr")};
  }
  if (options.master_port) {
    layer("master_port").master_port = Sourced<std::uint16_t>{
        *options.master_port, source_of("master_port"), origin_of("master_port")};
  }
}

std::string nproc_text(const NprocSpec& spec) {
  switch (spec.kind) {
    case NprocSpec::Kind::kAuto:
      return "auto";
    case NprocSpec::Kind::kCpu:
      return "cpu";
    case NprocSpec::Kind::kGpu:
      return "gpu";
    case NprocSpec::Kind::kCount:
      break;
  }
  return std::to_string(spec.count);
}

void configure_logging(const Environment& env) {
  std::string level = "info";
  for (const char* key : {"LOGLEVEL", "DLAUNCH_LOG_LEVEL"}) {
    if (auto it = env.find(key); it != env.end() && !it->second.empty()) level = it->second;
  }
  for (auto& c : level) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (level == "warning") level = "warn";
  set_log_level(spdlog::level::from_str(level));
}

rendezvous::Endpoint parse_endpoint_option(const std::string& text, std::uint16_t default_port) {
  try {
    return rendezvous::parse_endpoint(text, default_port);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--rdzv_endpoint: ") + e.what());
  }
}

// c10d: the endpoint names the host that serves both the rendezvous and the workers' store.
void configure_dynamic(const Options& options, agent::AgentConfig& config) {
  if (!options.rdzv_endpoint) {
    throw UsageError(
        "--rdzv_backend c10d needs --rdzv_endpoint HOST[:PORT] (the host that serves)");
  }
  if (options.node_rank && !from_pet(options, "node_rank")) {
    log().warn("--node_rank is ignored by the c10d rendezvous: it assigns node ranks");
  }
  const auto endpoint = parse_endpoint_option(*options.rdzv_endpoint, kDefaultRdzvPort);
  config.master_addr = endpoint.host;
  config.master_port = endpoint.port;
  config.node_rank = 0;
  config.nnodes = options.max_nodes;
}

rendezvous::RendezvousSettings rendezvous_settings(const Options& options,
                                                   const agent::AgentConfig& config, bool dynamic) {
  rendezvous::RendezvousSettings settings;
  settings.run_id = config.run_id;
  settings.dynamic = dynamic;
  settings.min_nodes = options.min_nodes;
  settings.max_nodes = options.max_nodes;
  settings.node_rank = dynamic ? -1 : config.node_rank;
  settings.endpoint = rendezvous::Endpoint{config.master_addr, config.master_port};
  settings.local_addr = options.local_addr.value_or("");
  settings.token = options.rdzv_token;
  settings.max_restarts = config.max_restarts;
  settings.shutdown_timeout = config.shutdown_timeout;
  try {
    for (const auto& warning : rendezvous::apply_rdzv_conf(settings, options.rdzv_conf)) {
      log().warn("{}", warning);
    }
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  if (!dynamic && settings.is_host) {
    log().warn("--rdzv_conf is_host is ignored by the static rendezvous: node rank 0 serves");
    settings.is_host.reset();
  }
  return settings;
}

// torchrun's TORCHELASTIC_HEALTH_CHECK_PORT: an invalid value is logged and ignored, as there.
std::optional<std::uint16_t> health_check_port(const Environment& env) {
  const auto it = env.find("TORCHELASTIC_HEALTH_CHECK_PORT");
  if (it == env.end() || it->second.empty()) return std::nullopt;
  try {
    return rendezvous::parse_port(it->second, /*allow_zero=*/true);
  } catch (const std::invalid_argument&) {
    log().warn("TORCHELASTIC_HEALTH_CHECK_PORT={} is not a port; no health check server",
               it->second);
    return std::nullopt;
  }
}

}  // namespace

agent::AgentConfig make_agent_config(const Options& options, const Environment& env,
                                     const std::string& cwd, const DeviceProbe& probe) {
  agent::AgentConfig config;
  const bool dynamic = !options.standalone && options.rdzv_backend == "c10d";
  if (options.min_nodes != options.max_nodes && !dynamic) {
    throw UsageError("--nnodes " + std::to_string(options.min_nodes) + ":" +
                     std::to_string(options.max_nodes) +
                     ": an elastic node count needs --rdzv_backend c10d --rdzv_endpoint HOST:PORT");
  }

  try {
    const auto nproc = resolve_nproc_per_node(
        nproc_text(options.nproc_per_node), env, probe,
        options.sources.count("nproc_per_node") && from_pet(options, "nproc_per_node")
            ? "PET_NPROC_PER_NODE"
            : "--nproc_per_node");
    config.nproc_per_node = nproc.nproc;
    if (options.pin_gpus) {
      config.visible_devices = pinned_visible_devices(count_gpus(env, probe), nproc.nproc);
    }
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }

  if (dynamic) {
    configure_dynamic(options, config);
  } else if (options.standalone) {
    config.standalone = true;
    config.node_rank = 0;
    config.nnodes = 1;
    config.master_addr = "127.0.0.1";
    config.master_port = 0;  // the agent binds a free one
  } else {
    ClusterValues command_line, pet;
    split_layers(options, command_line, pet);
    if (options.rdzv_endpoint && options.max_nodes > 1) {
      // torchrun's static rendezvous meets at --rdzv_endpoint when given (port 0: node 0
      // picks a free one and says which).
      const auto endpoint = parse_endpoint_option(*options.rdzv_endpoint, 6105);
      command_line.master_addr =
          Sourced<std::string>{endpoint.host, ValueSource::kCommandLine, "--rdzv_endpoint"};
      command_line.master_port =
          Sourced<std::uint16_t>{endpoint.port, ValueSource::kCommandLine, "--rdzv_endpoint"};
    }
    ClusterSettings cluster;
    try {
      cluster = resolve_cluster(env, command_line, pet);
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
    for (const auto& warning : cluster.warnings) log().warn("{}", warning);
    if (cluster.kind != ClusterKind::kNone) log().info("{}", cluster.describe());
    config.node_rank = cluster.node_rank.value;
    config.nnodes = cluster.nnodes.value;
    config.master_addr = cluster.master_addr.value;
    config.master_port = cluster.master_port.value;
  }
  const bool endpoint_port_zero = options.rdzv_endpoint && options.max_nodes > 1;
  if (config.master_port == 0 && !config.standalone && !dynamic && !endpoint_port_zero) {
    throw UsageError("--master_port 0 is only meaningful with --standalone");
  }

  // Node 0's agent serves the workers' store on MASTER_PORT; every rank is a client.
  config.agent_store = true;
  // One node: its ranks are known now. Several: each round of the rendezvous sets them.
  config.first_global_rank = config.node_rank * config.nproc_per_node;
  config.world_size = config.nnodes * config.nproc_per_node;
  const bool several = dynamic || (!options.standalone && options.max_nodes > 1);
  // Every node of a job must name the same run: torchrun's default id is "none".
  config.run_id = !options.rdzv_id.empty() ? options.rdzv_id : several ? "none" : random_run_id();
  config.role = options.role;
  config.hostname = host_name();

  config.command = worker_command(options, env, cwd);
  config.command_user_args_offset = config.command.size() - options.program_args.size();
  config.use_env = options.use_env;
  config.base_env = env;
  config.extra_env = options.extra_env;

  config.max_restarts = options.max_restarts;
  config.shutdown_timeout =
      std::chrono::milliseconds(static_cast<long long>(options.shutdown_timeout * 1000));

  const std::filesystem::path log_dir = options.log_dir ? *options.log_dir : "logs";
  config.log_dir = log_dir.is_absolute() ? log_dir : std::filesystem::path(cwd) / log_dir;
  std::error_code ec;
  if (std::filesystem::exists(config.log_dir, ec) &&
      !std::filesystem::is_directory(config.log_dir, ec)) {
    throw UsageError("--log_dir " + config.log_dir.string() + " exists and is not a directory");
  }
  for (int local_rank = 0; local_rank < config.nproc_per_node; ++local_rank) {
    config.redirects.push_back(options.redirects.for_local_rank(local_rank));
    config.tee.push_back(options.tee.for_local_rank(local_rank));
  }
  config.console_local_ranks = options.local_ranks_filter;
  config.job_token = options.rdzv_token;
  config.event_log_handler = options.event_log_handler;
  if (options.event_log) {
    const std::filesystem::path file = *options.event_log;
    config.event_log_file = file.is_absolute() ? file : std::filesystem::path(cwd) / file;
  }
  config.health_check_port = health_check_port(env);
  if (several) config.rendezvous = rendezvous_settings(options, config, dynamic);
  return config;
}

int run_dlaunch(const std::vector<std::string>& args, const Environment& env) {
  configure_logging(env);
  if (!args.empty() && args.front() == "status") {
    std::error_code ec;
    return run_status_command(std::vector<std::string>(args.begin() + 1, args.end()), env,
                              std::filesystem::current_path(ec).string());
  }
  agent::AgentConfig config;
  bool stdin_control = false;
  try {
    const Options options = parse_options(args, env);
    if (options.show_help) {
      std::cout << usage_text();
      return 0;
    }
    if (options.show_version) {
      std::cout << version_text();
      return 0;
    }
    for (const auto& warning : options.warnings) log().warn("{}", warning);
    std::error_code ec;
    const std::string cwd = std::filesystem::current_path(ec).string();
    if (options.hostfile) return run_ssh_fanout(options, env, cwd);
    stdin_control = options.stdin_control;
    config = make_agent_config(options, env, cwd, DeviceProbe::system());
  } catch (const UsageError& e) {
    std::fprintf(stderr, "dlaunch: error: %s\n", e.what());
    return 2;
  }

  if (config.nproc_per_node > 1 && !env.count("OMP_NUM_THREADS")) {
    log().info("OMP_NUM_THREADS=1 for each worker (export OMP_NUM_THREADS to choose)");
  }
  try {
    boost::asio::io_context io;
    agent::Agent agent(io, std::move(config));
    std::optional<StdinControl> control;
    if (stdin_control) control.emplace(io, [&agent](int sig) { agent.request_stop(sig); });
    return agent.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dlaunch: error: %s\n", e.what());
    return 1;
  }
}

Environment current_environment() {
  Environment env;
  for (char** entry = environ; *entry; ++entry) {
    const std::string text(*entry);
    const auto eq = text.find('=');
    if (eq != std::string::npos) env.emplace(text.substr(0, eq), text.substr(eq + 1));
  }
  return env;
}

}  // namespace dlaunch::launcher
