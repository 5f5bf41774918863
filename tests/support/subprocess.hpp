#pragma once
// Running whole programs from tests: dlaunch itself, torchrun, workers. Output goes to
// files (no pipes to deadlock on); every wait is bounded.

#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dlaunch::testing {

// Path of a built binary, from DLAUNCH_BUILD_DIR (set by CTest): "launcher/dlaunch".
std::filesystem::path build_path(const std::string& relative);
// Path of a source file, from DLAUNCH_SOURCE_DIR: "tests/integration/workers/x.py".
std::filesystem::path source_path(const std::string& relative);

class Subprocess {
 public:
  // Starts argv with the current environment plus `env` (entries with an empty value are
  // removed), stdout and stderr to the given files, in `cwd` if not empty.
  Subprocess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
             const std::filesystem::path& stdout_file, const std::filesystem::path& stderr_file,
             const std::filesystem::path& cwd = {});
  ~Subprocess();  // kills it (SIGKILL) if still running
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  // Waits up to `timeout`; the wait status, or nullopt on timeout.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  // Exit code (or 128+signal) after wait_for; -1 before.
  int exit_code() const { return exit_code_; }
  void signal(int sig);

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
  bool reaped_ = false;
};

struct RunResult {
  int exit_code = -1;  // 128+signal when killed; -1 on timeout (then it was killed)
  std::string out;
  std::string err;
  double seconds = 0;
};
// Runs to completion (bounded by `timeout`) and returns what it printed.
RunResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
              const std::filesystem::path& cwd = {},
              std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Polls `condition` every 10 ms until it holds or `timeout` passes. Returns whether it held.
template <class F>
bool eventually(F condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    ::usleep(10'000);
  }
  return true;
}

// Pids of the processes whose environment holds NAME=VALUE (from /proc/<pid>/environ).
std::vector<pid_t> pids_with_env(const std::string& name, const std::string& value);

}  // namespace dlaunch::testing
