#pragma once
// What an ssh fan-out runs: the remote dlaunch's argv for each node, the one string the remote
// login shell gets (ssh passes a command as text, so every word is quoted to arrive byte for
// byte), the preflight's command, and the local ssh argv around them. Pure functions of the
// Options and the FanoutPlan.

#include <string>
#include <vector>

#include "launcher/fanout_plan.hpp"
#include "launcher/options.hpp"

namespace dlaunch::launcher {

// The remote dlaunch's argv for `node`: the binary, this node's place in the job
// (--nnodes/--node_rank/--nproc_per_node/--master_addr/--master_port/--rdzv_id/--local_addr),
// --stdin_control, every other option the local command line set, then the program and its
// arguments verbatim.
std::vector<std::string> remote_dlaunch_argv(const Options& options, const FanoutPlan& plan,
                                             const RemoteNode& node);

// The one string the remote login shell runs: cd DIR && exec env K=V ... ARGV..., every word
// quoted so it arrives byte for byte. The environment is the plan's, plus the node's
// CUDA_VISIBLE_DEVICES and the job's --rdzv_token.
std::string remote_shell_command(const Options& options, const FanoutPlan& plan,
                                 const RemoteNode& node);

// The preflight's remote command: in the remote directory, the remote dlaunch's --version.
// Exits 96 when the directory is missing, 127 when dlaunch is not found (the shell's code).
inline constexpr int kNoRemoteDir = 96;
std::string preflight_command(const FanoutPlan& plan);

// The local argv that runs `command` on `node`: the ssh words, the host, the command.
std::vector<std::string> ssh_command(const FanoutPlan& plan, const RemoteNode& node,
                                     const std::string& command);

}  // namespace dlaunch::launcher
