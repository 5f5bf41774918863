#pragma once
// AgentEndpoint: how a running agent is found from its job's log directory, by `dlaunch status`,
// `dlaunch stacks` or a script. Each agent writes <log_dir>/dlaunch_agent_<host>_<pid>.json while
// it runs (atomically: readers see the old document or the new one) and removes it at the end.
// It names the agent's local socket (HTTP, this user needs no token), the URL of the job-wide
// view (node 0's store port), and the agent's health-check port when it has one.
//
// A file left by a killed agent stays: readers keep the ones whose agent is alive (same host:
// its pid; another host's (a shared log dir): its URLs answer). Value code; any thread.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dlaunch::agent {

struct AgentEndpoint {
  pid_t pid = -1;
  std::string host;
  int node_rank = 0;
  std::string run_id;
  std::string local;        // "unix:@NAME": this agent's own endpoints
  std::string status_url;   // "http://ADDR:PORT/status": the job's view, on the node serving it
  std::string health_url;   // "http://ADDR:PORT/": TORCHELASTIC_HEALTH_CHECK_PORT; "" when unset
  bool serves_job = false;  // this agent serves the store: its local /status is the job's view
  std::int64_t started_ms = 0;
  std::filesystem::path file;  // where it was read from (not written)
};

nlohmann::json to_json(const AgentEndpoint& endpoint);
// Throws nlohmann::json::exception on a document of the wrong shape.
AgentEndpoint endpoint_from_json(const nlohmann::json& j);

std::filesystem::path endpoint_file(const std::filesystem::path& log_dir, const std::string& host,
                                    pid_t pid);
// Writes (replaces) the endpoint's file. Throws std::system_error when it cannot.
void write_endpoint(const std::filesystem::path& log_dir, const AgentEndpoint& endpoint);
// Every endpoint file in `log_dir` that parses, newest start first.
std::vector<AgentEndpoint> read_endpoints(const std::filesystem::path& log_dir);
// On `this_host`, whether the agent's process still runs; on another host, true (ask its URLs).
bool endpoint_may_be_alive(const AgentEndpoint& endpoint, const std::string& this_host);

// A fresh name for an agent's abstract local socket: "dlaunch-<pid>-<8 hex digits>".
std::string make_local_socket_name();

}  // namespace dlaunch::agent
