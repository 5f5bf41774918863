#include "launcher/agent_locator.hpp"

#include <unistd.h>

#include <set>
#include <stdexcept>

namespace dlaunch::launcher {

std::string this_host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

std::vector<AgentCandidate> locate_agents(const std::filesystem::path& log_dir,
                                          const std::string& this_host) {
  const auto endpoints = agent::read_endpoints(log_dir);
  std::vector<AgentCandidate> serving, other_local, remote;
  std::set<std::string> urls;
  for (const auto& e : endpoints) {
    if (!agent::endpoint_may_be_alive(e, this_host)) continue;
    const std::string what = "the agent of node " + std::to_string(e.node_rank) + " on " + e.host +
                             " (pid " + std::to_string(e.pid) + ")";
    if (e.host == this_host && !e.local.empty()) {
      try {
        AgentCandidate c{rendezvous::parse_http_target(e.local), true, e.serves_job, what};
        (e.serves_job ? serving : other_local).push_back(std::move(c));
      } catch (const std::invalid_argument&) {
      }
    }
    if (!e.status_url.empty() && urls.insert(e.status_url).second) {
      try {
        AgentCandidate c{rendezvous::parse_http_target(e.status_url), false, true,
                         "the job's status at " + e.status_url};
        remote.push_back(std::move(c));
      } catch (const std::invalid_argument&) {
      }
    }
  }
  std::vector<AgentCandidate> all;
  for (auto* group : {&serving, &other_local, &remote}) {
    for (auto& c : *group) all.push_back(std::move(c));
  }
  if (all.empty()) {
    throw std::runtime_error(
        "no running dlaunch agent found in " + log_dir.string() +
        (endpoints.empty() ? " (no dlaunch_agent_*.json there)"
                           : " (only files of agents that are gone)") +
        ": run this where the job was started, or give --log_dir DIR or HOST:PORT of node 0");
  }
  return all;
}

Fetched fetch_first(const std::vector<AgentCandidate>& candidates, const std::string& path,
                    const std::string& token, std::chrono::milliseconds timeout) {
  std::string tried;
  for (const auto& candidate : candidates) {
    rendezvous::HttpResult result;
    try {
      result = rendezvous::http_get(candidate.target, path, candidate.local ? "" : token, timeout);
    } catch (const std::runtime_error& e) {
      tried += std::string(tried.empty() ? "" : "; ") + e.what();
      continue;
    }
    if (result.status == 401) {
      throw std::runtime_error(
          candidate.target.describe() + " refused: this job needs its token (--rdzv_token " +
          "TOKEN or DLAUNCH_RDZV_TOKEN)" + (token.empty() ? "" : ", and this one is not it"));
    }
    return Fetched{std::move(result), candidate};
  }
  throw std::runtime_error(tried.empty() ? "no agent to ask" : tried);
}

}  // namespace dlaunch::launcher
