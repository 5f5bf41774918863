#pragma once
// FanoutPlan: everything an ssh fan-out (dlaunch --hostfile) decides before it contacts any
// host: which hosts run workers, in which node order, how many each and on which devices; where
// the workers' store is; the run id every host shares; how to reach a host (--ssh_cmd as argv);
// and what runs there (which dlaunch, in which directory, with which environment).
// make_fanout_plan() is where bad usage of the fan-out is found: it throws UsageError (exit 2)
// before any ssh starts.
//
// Node 0 is the first selected host of the hostfile and serves the store, so the master
// address is that host as written in the hostfile (or --master_addr), the port --master_port
// or 6105. The remote dlaunch is `dlaunch` on the remote PATH, or $DLAUNCH_REMOTE_BIN.

#include <cstdint>
#include <string>
#include <vector>

#include "launcher/env_forwarding.hpp"
#include "launcher/options.hpp"

namespace dlaunch::launcher {

struct RemoteNode {
  std::string host;  // as written in the hostfile: what ssh is given
  int hostfile_line = 0;
  int node_rank = 0;
  int nproc = 1;                // workers on this host
  int first_rank = 0;           // global rank of its local rank 0
  std::string visible_devices;  // CUDA_VISIBLE_DEVICES for its agent; "" = all its slots

  bool operator==(const RemoteNode&) const = default;
};

struct FanoutPlan {
  std::string hostfile;
  std::vector<RemoteNode> nodes;
  int world_size = 0;
  std::string master_addr;
  std::uint16_t master_port = 6105;
  std::string run_id;
  std::vector<std::string> ssh_argv;   // the words of --ssh_cmd (plus ssh keep-alives)
  std::string remote_bin = "dlaunch";  // $DLAUNCH_REMOTE_BIN
  std::string remote_dir;              // --remote_dir, else the local working directory
  std::vector<ForwardedVar> env;       // what travels besides --env (see env_forwarding.hpp)
  std::vector<std::string> warnings;   // worth a line each, not errors
};

// Throws UsageError. `cwd` is the local working directory.
FanoutPlan make_fanout_plan(const Options& options, const Environment& env, const std::string& cwd);

}  // namespace dlaunch::launcher
