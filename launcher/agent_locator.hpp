#pragma once
// Finding a running job's agents for the commands that ask them (`dlaunch status`, `dlaunch
// stacks`): from an address the user gave (HOST:PORT of node 0, or a URL), or from the endpoint
// files agents keep in the job's log directory (agent/agent_endpoint.hpp).
//
// From a log directory the candidates come best first: a live agent on this host that serves
// the job (its local socket; no token needed), then this host's other live agents (their local
// socket answers for their node, and names the job's URL), then every job URL the files name
// (agents on other hosts of a shared log directory: over TCP, with the token).
// Functions only; blocking; any thread.

#include <filesystem>
#include <string>
#include <vector>

#include "agent/agent_endpoint.hpp"
#include "rendezvous/http_client.hpp"

namespace dlaunch::launcher {

struct AgentCandidate {
  rendezvous::HttpTarget target;
  bool local = false;       // this host's agent, over its local socket
  bool serves_job = false;  // its answers are the job's view
  std::string what;         // "the agent of node 0 (pid 123)", for messages
};

// Throws std::runtime_error with one line when `log_dir` holds no endpoint of a live agent.
std::vector<AgentCandidate> locate_agents(const std::filesystem::path& log_dir,
                                          const std::string& this_host);

struct Fetched {
  rendezvous::HttpResult result;
  AgentCandidate from;
};

// GET `path` from the first candidate that answers. A 401 is final (the token is wrong or
// missing): std::runtime_error with the hint to give --rdzv_token. When none answers,
// std::runtime_error naming every address tried.
Fetched fetch_first(const std::vector<AgentCandidate>& candidates, const std::string& path,
                    const std::string& token,
                    std::chrono::milliseconds timeout = std::chrono::seconds(5));

// This machine's host name, as agents write it into their endpoint files.
std::string this_host_name();

}  // namespace dlaunch::launcher
