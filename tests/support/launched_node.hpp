#pragma once
// LaunchedNode: one dlaunch of a test job of several nodes, started in the background with
// its stdout and stderr in files; the port its host serves on read from its log line; bounded
// waits. The process is killed (SIGKILL) when the object goes, if it is still running.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/subprocess.hpp"

namespace dlaunch::testing {

class LaunchedNode {
 public:
  // Output goes to <dir>/<name>.out and <dir>/<name>.err.
  LaunchedNode(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
               const std::filesystem::path& dir, const std::string& name);

  pid_t pid() const { return process_->pid(); }
  void signal(int sig) { process_->signal(sig); }
  // The exit code (128+N for signal N), or nullopt if still running after `timeout`.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  std::string out() const;
  std::string err() const;
  // The port from "... rendezvous on HOST:PORT" in its log; 0 if none within `timeout`.
  std::uint16_t served_port(std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  // Whether its log shows `text` within `timeout`.
  bool logged(const std::string& text,
              std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

 private:
  std::filesystem::path out_, err_;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace dlaunch::testing
