#include "launcher/remote_command.hpp"

#include <charconv>
#include <map>

#include "launcher/shell_words.hpp"

namespace dlaunch::launcher {
namespace {

bool given(const Options& options, const char* dest) {
  const auto it = options.sources.find(dest);
  return it != options.sources.end() && it->second != "default";
}

// Shortest text that reads back as the same double: 30, 0.5, 0.1.
std::string number_text(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string std_spec_text(const StdSpec& spec) {
  if (spec.per_rank.empty()) return std::to_string(spec.all);
  std::string text;
  for (const auto& [rank, choice] : spec.per_rank) {
    if (!text.empty()) text += ",";
    text += std::to_string(rank) + ":" + std::to_string(choice);
  }
  return text;
}

template <class Range, class Format>
std::string joined(const Range& range, Format format) {
  std::string text;
  for (const auto& item : range) {
    if (!text.empty()) text += ",";
    text += format(item);
  }
  return text;
}

}  // namespace

std::vector<std::string> remote_dlaunch_argv(const Options& options, const FanoutPlan& plan,
                                             const RemoteNode& node) {
  // clang-format off
  std::vector<std::string> argv = {
      plan.remote_bin,
      "--nnodes", std::to_string(plan.nodes.size()),
      "--node_rank", std::to_string(node.node_rank),
      "--nproc_per_node", std::to_string(node.nproc),
      "--master_addr", plan.master_addr,
      "--master_port", std::to_string(plan.master_port),
      "--rdzv_id", plan.run_id,
      "--local_addr", node.host,
      "--stdin_control",
  };
  // clang-format on
  auto add = [&argv](const char* flag, std::string value) {
    argv.push_back(flag);
    argv.push_back(std::move(value));
  };
  if (given(options, "rdzv_backend")) add("--rdzv_backend", options.rdzv_backend);
  if (options.rdzv_endpoint) add("--rdzv_endpoint", *options.rdzv_endpoint);
  if (!options.rdzv_conf.empty()) {
    add("--rdzv_conf",
        joined(options.rdzv_conf, [](const auto& kv) { return kv.first + "=" + kv.second; }));
  }
  if (given(options, "max_restarts")) add("--max_restarts", std::to_string(options.max_restarts));
  if (given(options, "monitor_interval")) {
    add("--monitor_interval", number_text(options.monitor_interval));
  }
  if (given(options, "start_method")) add("--start_method", options.start_method);
  if (given(options, "shutdown_timeout")) {
    add("--shutdown_timeout", number_text(options.shutdown_timeout));
  }
  if (given(options, "role")) add("--role", options.role);
  if (options.use_env) argv.push_back("--use_env");
  if (options.module) argv.push_back("--module");
  if (options.no_python) argv.push_back("--no_python");
  if (options.run_path) argv.push_back("--run_path");
  if (options.log_dir) add("--log_dir", *options.log_dir);
  if (given(options, "redirects")) add("--redirects", std_spec_text(options.redirects));
  if (given(options, "tee")) add("--tee", std_spec_text(options.tee));
  if (options.local_ranks_filter) {
    add("--local_ranks_filter",
        joined(*options.local_ranks_filter, [](int rank) { return std::to_string(rank); }));
  }
  if (given(options, "event_log_handler")) add("--event_log_handler", options.event_log_handler);
  if (options.event_log) add("--event_log", *options.event_log);
  for (const auto& [key, value] : options.extra_env) add("--env", key + "=" + value);
  // Only a program that looks like an option needs '--' in front of it.
  if (options.program.starts_with("-")) argv.push_back("--");
  argv.push_back(options.program);
  argv.insert(argv.end(), options.program_args.begin(), options.program_args.end());
  return argv;
}

std::string remote_shell_command(const Options& options, const FanoutPlan& plan,
                                 const RemoteNode& node) {
  std::map<std::string, std::string> env;
  for (const auto& var : plan.env) env[var.name] = var.value;
  if (!node.visible_devices.empty()) env["CUDA_VISIBLE_DEVICES"] = node.visible_devices;
  // In the environment rather than on the command line, where `ps` shows it.
  if (!options.rdzv_token.empty()) env["DLAUNCH_RDZV_TOKEN"] = options.rdzv_token;

  std::vector<std::string> words = {"exec", "env"};
  for (const auto& [name, value] : env) words.push_back(name + "=" + value);
  const auto argv = remote_dlaunch_argv(options, plan, node);
  if (env.empty()) words.pop_back();
  words.insert(words.end(), argv.begin(), argv.end());
  return "cd " + shell_quote(plan.remote_dir) + " && " + shell_join(words);
}

std::string preflight_command(const FanoutPlan& plan) {
  return "cd " + shell_quote(plan.remote_dir) + " || exit " + std::to_string(kNoRemoteDir) +
         "; exec " + shell_quote(plan.remote_bin) + " --version";
}

std::vector<std::string> ssh_command(const FanoutPlan& plan, const RemoteNode& node,
                                     const std::string& command) {
  std::vector<std::string> argv = plan.ssh_argv;
  argv.push_back(node.host);
  argv.push_back(command);
  return argv;
}

}  // namespace dlaunch::launcher
