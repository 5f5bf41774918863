#pragma once
// The table `dlaunch status` prints from a status document (agent/job_status.hpp): a job line
// (run id, state, attempt, restarts, elapsed, world), one row per node (host, address, ranks,
// last heartbeat, state) and, with ranks, one row per rank (host, pid, state, uptime, time since
// its last line, CPU %, the hang verdict, the last line cut to the width). Beyond
// `summarize_above` nodes the node table becomes counts per state and the worst nodes (not
// running first, then the oldest heartbeats), so 4,096 nodes fit a screen. Functions only.

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace dlaunch::launcher {

struct StatusViewOptions {
  bool ranks = false;
  std::size_t width = 120;           // the terminal's columns
  std::size_t summarize_above = 32;  // nodes
  std::size_t worst_nodes = 10;
};

// Throws nlohmann::json::exception when the document lacks the job section.
std::string format_status(const nlohmann::json& doc, const StatusViewOptions& options);

// "0.4s", "12s", "5m02s", "3h07m", "2d04h"; "-" for null.
std::string format_age(const nlohmann::json& seconds);

}  // namespace dlaunch::launcher
