#include "tests/support/subprocess.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "tests/support/temp_dir.hpp"

extern char** environ;

namespace dlaunch::testing {
namespace {

std::filesystem::path env_dir(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

int status_to_code(int status) {
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

}  // namespace

std::filesystem::path build_path(const std::string& relative) {
  return env_dir("DLAUNCH_BUILD_DIR", DLAUNCH_DEFAULT_BUILD_DIR) / relative;
}

std::filesystem::path source_path(const std::string& relative) {
  return env_dir("DLAUNCH_SOURCE_DIR", DLAUNCH_DEFAULT_SOURCE_DIR) / relative;
}

Subprocess::Subprocess(const std::vector<std::string>& argv,
                       const std::map<std::string, std::string>& env,
                       const std::filesystem::path& stdout_file,
                       const std::filesystem::path& stderr_file, const std::filesystem::path& cwd) {
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string::npos) merged[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [key, value] : env) {
    if (value.empty()) {
      merged.erase(key);
    } else {
      merged[key] = value;
    }
  }
  std::vector<std::string> envp_storage;
  for (const auto& [key, value] : merged) envp_storage.push_back(key + "=" + value);
  std::vector<char*> envp, args;
  for (auto& s : envp_storage) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_storage = argv;
  for (auto& s : argv_storage) args.push_back(s.data());
  args.push_back(nullptr);

  const int out = ::open(stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int err = ::open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0 || err < 0) throw std::runtime_error("cannot open output files");
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out, 1);
    ::dup2(err, 2);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
    ::execvpe(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  ::close(out);
  ::close(err);
  if (pid_ < 0) throw std::runtime_error("fork failed");
}

Subprocess::~Subprocess() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
  }
}

std::optional<int> Subprocess::wait_for(std::chrono::milliseconds timeout) {
  if (reaped_) return exit_code_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      exit_code_ = status_to_code(status);
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    ::usleep(2'000);
  }
}

void Subprocess::signal(int sig) {
  if (!reaped_) ::kill(pid_, sig);
}

RunResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
              const std::filesystem::path& cwd, std::chrono::milliseconds timeout) {
  TempDir dir;
  RunResult result;
  const auto start = std::chrono::steady_clock::now();
  {
    Subprocess process(argv, env, dir / "out", dir / "err", cwd);
    const auto code = process.wait_for(timeout);
    result.exit_code = code ? *code : -1;
  }
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.out = read_file(dir / "out");
  result.err = read_file(dir / "err");
  return result;
}

std::vector<pid_t> pids_with_env(const std::string& name, const std::string& value) {
  std::vector<pid_t> pids;
  const std::string needle = name + "=" + value;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string base = entry.path().filename().string();
    if (base.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "environ", std::ios::binary);
    std::string item;
    while (std::getline(in, item, '\0')) {
      if (item == needle) {
        const pid_t pid = std::stoi(base);
        if (process_alive(pid)) pids.push_back(pid);
        break;
      }
    }
  }
  return pids;
}

}  // namespace dlaunch::testing
