#pragma once
// RendezvousSettings: how this node's agent meets the others (issue 4): the job id, the node
// count or elastic range, the endpoint where the host serves both the agents' rendezvous and
// the workers' store (one port), the job token, and the timeouts of --rdzv_conf. Resolved by
// the launcher; read-only afterwards.
//
// apply_rdzv_conf() reads torchrun's --rdzv_conf keys (join_timeout, last_call_timeout,
// close_timeout, heartbeat_timeout, keep_alive_interval, keep_alive_max_attempt, is_host) and
// dlaunch's own (exit_barrier_timeout). Durations are seconds (fractions allowed).

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rendezvous/endpoint.hpp"

namespace dlaunch::rendezvous {

struct RendezvousSettings {
  using Duration = std::chrono::milliseconds;

  std::string run_id;
  // c10d: node ranks assigned by the rendezvous (host first, then by address, then join
  // order); static: every node says its rank.
  bool dynamic = false;
  int min_nodes = 1, max_nodes = 1;
  int node_rank = -1;           // static: this node's rank; dynamic: unused
  Endpoint endpoint;            // where the host serves (port 0: the host binds a free one)
  std::optional<bool> is_host;  // dynamic: is_host=; nullopt: this node serves if the endpoint is
                                // one of its addresses
  std::string local_addr;       // empty: the address of this node's connection to the host
  std::string token;            // agent traffic must carry it; also restricts workers' peers
  int max_restarts = 0;         // the job-wide budget, spent on failures only
  Duration shutdown_timeout{30'000};  // the workers' grace after SIGTERM (bounds a round's end)

  Duration join_timeout{600'000};          // a round must form within this
  Duration last_call_timeout{30'000};      // dynamic: more nodes may come after MIN, up to this
  Duration close_timeout{30'000};          // the host waits this long for every agent's goodbye
  Duration keep_alive_interval{500};       // heartbeat period
  Duration heartbeat_timeout{2'000};       // no heartbeat (or no answer) for this long: dead
  Duration exit_barrier_timeout{300'000};  // finished nodes wait this long for the others

  bool elastic() const { return min_nodes < max_nodes; }
  // "3" or "2:4", as --nnodes says it.
  std::string nnodes_text() const {
    return elastic() ? std::to_string(min_nodes) + ":" + std::to_string(max_nodes)
                     : std::to_string(max_nodes);
  }
};

// Applies --rdzv_conf keys. Throws std::invalid_argument with one line naming the key
// ("--rdzv_conf join_timeout=abc: expected seconds"). Returns a warning per unknown key.
std::vector<std::string> apply_rdzv_conf(RendezvousSettings& settings,
                                         const std::map<std::string, std::string>& conf);

// "1.5 s", "600 s": a duration as the messages show it.
std::string seconds_text(std::chrono::milliseconds duration);

}  // namespace dlaunch::rendezvous
