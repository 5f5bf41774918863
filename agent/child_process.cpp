#include "agent/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace dlaunch::agent {
namespace {

UniqueFd open_pidfd(pid_t pid) {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) {
    throw std::system_error(errno, std::generic_category(),
                            "pidfd_open (Linux >= 5.3 is required)");
  }
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  return UniqueFd(fd);
}

void make_pipe(UniqueFd& read_end, UniqueFd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "pipe2");
  }
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
}

// In the child, between fork and exec: async-signal-safe calls only. Reports errno through
// `report_fd` and exits 127 on failure.
[[noreturn]] void exec_child(const char* path, char* const argv[], char* const envp[], pid_t parent,
                             int in_fd, int out_fd, int err_fd, int report_fd) {
  auto fail = [report_fd]() {
    const int error = errno;
    [[maybe_unused]] auto n = ::write(report_fd, &error, sizeof error);
    ::_exit(127);
  };
  ::setpgid(0, 0);
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail();
  // The parent may have died before prctl: then we were reparented and must not run on.
  if (::getppid() != parent) ::_exit(127);

  sigset_t all;
  sigemptyset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);  // SIGPIPE was ignored
  }
  if (in_fd >= 0 && ::dup2(in_fd, STDIN_FILENO) < 0) fail();
  if (::dup2(out_fd, STDOUT_FILENO) < 0 || ::dup2(err_fd, STDERR_FILENO) < 0) fail();
  ::execve(path, argv, envp);
  fail();
  ::_exit(127);
}

std::string env_value(const std::vector<std::string>& envp, const std::string& key) {
  const std::string prefix = key + "=";
  for (const auto& entry : envp) {
    if (entry.compare(0, prefix.size(), prefix) == 0) return entry.substr(prefix.size());
  }
  return {};
}

}  // namespace

std::string find_executable(const std::string& name, const std::string& path_list) {
  if (name.find('/') != std::string::npos) {
    return ::access(name.c_str(), X_OK) == 0 ? name : std::string{};
  }
  std::size_t begin = 0;
  while (begin <= path_list.size()) {
    auto end = path_list.find(':', begin);
    if (end == std::string::npos) end = path_list.size();
    std::string dir = path_list.substr(begin, end - begin);
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    begin = end + 1;
  }
  return {};
}

ChildProcess spawn_child(const SpawnRequest& request) {
  if (request.argv.empty()) throw std::invalid_argument("spawn_child: empty argv");
  std::string path = find_executable(request.argv[0], env_value(request.envp, "PATH"));
  if (path.empty()) {
    throw std::system_error(ENOENT, std::generic_category(),
                            "cannot execute '" + request.argv[0] + "'");
  }

  // Everything the child touches is prepared before fork.
  std::vector<char*> argv;
  for (const auto& arg : request.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& entry : request.envp) envp.push_back(const_cast<char*>(entry.c_str()));
  envp.push_back(nullptr);

  ChildProcess child;
  UniqueFd out_write, err_write, in_read, report_read, report_write;
  make_pipe(child.stdout_pipe, out_write);
  if (request.stdin_pipe) make_pipe(in_read, child.stdin_pipe);
  if (!request.merge_stderr) make_pipe(child.stderr_pipe, err_write);
  make_pipe(report_read, report_write);
  const int err_fd = request.merge_stderr ? out_write.get() : err_write.get();

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid == 0) {
    exec_child(path.c_str(), argv.data(), envp.data(), parent, in_read.get(), out_write.get(),
               err_fd, report_write.get());
  }
  // Also from the parent, so a killpg right after spawn cannot miss the group.
  ::setpgid(pid, pid);
  child.pid = pid;
  out_write.reset();
  err_write.reset();
  in_read.reset();
  report_write.reset();

  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(report_read.get(), &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  if (n == sizeof child_errno) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    throw std::system_error(child_errno, std::generic_category(),
                            "cannot execute '" + path + "'");
  }
  child.pidfd = open_pidfd(pid);
  for (const UniqueFd* fd : {&child.stdout_pipe, &child.stderr_pipe}) {
    if (fd->valid()) ::fcntl(fd->get(), F_SETFL, ::fcntl(fd->get(), F_GETFL) | O_NONBLOCK);
  }
  return child;
}

}  // namespace dlaunch::agent
