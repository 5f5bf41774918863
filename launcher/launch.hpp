#pragma once
// The whole of dlaunch between argv and the exit code: parse the command line, merge it with
// PET_* variables and the cluster's environment, resolve everything the agent needs, run the
// agent. Bad usage is found here, before any worker starts.

#include <string>
#include <vector>

#include "agent/agent_config.hpp"
#include "launcher/cluster_env.hpp"
#include "launcher/gpu_count.hpp"
#include "launcher/options.hpp"

namespace dlaunch::launcher {

// Everything the agent needs, from options and the environment. Throws UsageError.
agent::AgentConfig make_agent_config(const Options& options, const Environment& env,
                                     const std::string& cwd, const DeviceProbe& probe);

// dlaunch's main(): returns the process exit code (2 for bad usage).
int run_dlaunch(const std::vector<std::string>& args, const Environment& env);

// The process environment as a map.
Environment current_environment();

}  // namespace dlaunch::launcher
