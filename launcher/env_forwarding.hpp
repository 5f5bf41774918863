#pragma once
// The environment that travels to every host of an ssh fan-out. sshd starts the remote command
// with an almost empty environment, so what a user exported locally arrives only if we send it
// (the "NCCL_SOCKET_IFNAME worked locally but not on node 2" complaint). Three sources, later
// ones winning:
//   1. the local environment, names matching the allow-list: NCCL_*, CUDA_*, OMP_*, PYTHON*,
//      DLAUNCH_*, PET_*; except CUDA_VISIBLE_DEVICES, which describes THIS machine's devices
//      (each host's devices come from its hostfile slots and --include/--exclude);
//   2. $HOME/.dlaunch_env, then 3. ./.dlaunch_env (DeepSpeed's .deepspeed_env): KEY=VALUE lines.
// --env K=V is not in here: it travels as the option itself and is applied by every remote
// agent to its workers, exactly as it is on a single node.

#include <string>
#include <string_view>
#include <vector>

#include "launcher/usage_error.hpp"

namespace dlaunch::launcher {

struct ForwardedVar {
  std::string name;
  std::string value;
  std::string origin;  // "environment", or "/home/me/.dlaunch_env:3"

  bool operator==(const ForwardedVar&) const = default;
};

// True for a local variable the allow-list sends along.
bool forwarded_by_default(std::string_view name);

// One KEY=VALUE per line. Blank lines and lines starting with '#' are skipped; "export " before
// KEY is allowed; VALUE is the rest of the line, verbatim (no expansion, no escapes), except
// that one pair of matching quotes around all of it is removed: K="a b" gives 'a b'.
// `origin` names the file; entries get "origin:line". Throws std::invalid_argument
// "origin:line: ..." quoting a bad line.
std::vector<ForwardedVar> parse_env_file(std::string_view text, const std::string& origin);

// Everything that travels, sorted by name, each from the source that wins; $HOME comes from
// `env`. .dlaunch_env files that do not exist are skipped; unreadable or bad ones throw
// UsageError naming file:line.
std::vector<ForwardedVar> forwarded_environment(const Environment& env, const std::string& cwd);

}  // namespace dlaunch::launcher
