#include "agent/agent_endpoint.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <random>
#include <sstream>
#include <system_error>

namespace dlaunch::agent {
namespace {

constexpr const char* kPrefix = "dlaunch_agent_";

// Host names are file-name safe in practice; keep it so for any name.
std::string file_safe(const std::string& text) {
  std::string out;
  for (const char c : text) {
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '_';
  }
  return out;
}

}  // namespace

nlohmann::json to_json(const AgentEndpoint& e) {
  return {{"pid", e.pid},
          {"host", e.host},
          {"node_rank", e.node_rank},
          {"run_id", e.run_id},
          {"local", e.local},
          {"status_url", e.status_url},
          {"health_url", e.health_url},
          {"serves_job", e.serves_job},
          {"started_ms", e.started_ms}};
}

AgentEndpoint endpoint_from_json(const nlohmann::json& j) {
  AgentEndpoint e;
  e.pid = j.at("pid").get<pid_t>();
  e.host = j.value("host", "");
  e.node_rank = j.value("node_rank", 0);
  e.run_id = j.value("run_id", "");
  e.local = j.value("local", "");
  e.status_url = j.value("status_url", "");
  e.health_url = j.value("health_url", "");
  e.serves_job = j.value("serves_job", false);
  e.started_ms = j.value("started_ms", std::int64_t{0});
  return e;
}

std::filesystem::path endpoint_file(const std::filesystem::path& log_dir, const std::string& host,
                                    pid_t pid) {
  return log_dir / (kPrefix + file_safe(host) + "_" + std::to_string(pid) + ".json");
}

void write_endpoint(const std::filesystem::path& log_dir, const AgentEndpoint& endpoint) {
  std::filesystem::create_directories(log_dir);
  const auto path = endpoint_file(log_dir, endpoint.host, endpoint.pid);
  auto temporary = path;
  temporary += ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << to_json(endpoint).dump() << "\n";
    if (!out) {
      throw std::system_error(errno, std::generic_category(), "cannot write " + temporary.string());
    }
  }
  std::filesystem::rename(temporary, path);
}

std::vector<AgentEndpoint> read_endpoints(const std::filesystem::path& log_dir) {
  std::vector<AgentEndpoint> found;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(log_dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kPrefix, 0) != 0 || entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    try {
      auto endpoint = endpoint_from_json(nlohmann::json::parse(text.str()));
      endpoint.file = entry.path();
      found.push_back(std::move(endpoint));
    } catch (const std::exception&) {
      // Half-written by a writer that is not ours, or not an endpoint at all: not an agent.
    }
  }
  std::sort(found.begin(), found.end(), [](const AgentEndpoint& a, const AgentEndpoint& b) {
    return a.started_ms > b.started_ms;
  });
  return found;
}

bool endpoint_may_be_alive(const AgentEndpoint& endpoint, const std::string& this_host) {
  if (endpoint.host != this_host) return true;
  return endpoint.pid > 0 && (::kill(endpoint.pid, 0) == 0 || errno == EPERM);
}

std::string make_local_socket_name() {
  std::random_device random;
  std::uniform_int_distribution<unsigned> hex(0, 15);
  std::string suffix;
  for (int i = 0; i < 8; ++i) suffix.push_back("0123456789abcdef"[hex(random)]);
  return "dlaunch-" + std::to_string(::getpid()) + "-" + suffix;
}

}  // namespace dlaunch::agent
