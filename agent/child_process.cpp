#include "agent/child_process.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstring>
#include <memory>
#include <system_error>

namespace dlaunch::agent {
namespace {

void make_pipe(UniqueFd& read_end, UniqueFd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "pipe2");
  }
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
}

// What the child needs, prepared by the parent before clone; `error` is the way back.
struct ChildSetup {
  const char* path;
  char* const* argv;
  char* const* envp;
  pid_t parent;
  int in_fd;  // -1: inherit stdin
  int out_fd;
  int err_fd;
  int error;  // errno of the step that failed, written by the child before it exits 127
};

// The child, between clone and exec. It runs on its own small stack but in the parent's
// memory (CLONE_VM) while the parent is suspended (CLONE_VFORK): it may only make system
// calls and write `setup->error`. Signals are blocked on entry (the parent blocked them),
// so none of the agent's handlers can run here; they are reset before the mask is cleared.
int child_main(void* arg) {
  auto* setup = static_cast<ChildSetup*>(arg);
  auto fail = [setup]() {
    setup->error = errno;
    ::_exit(127);
  };
  ::setpgid(0, 0);
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail();
  // The parent may have died before prctl: then we were reparented and must not run on.
  if (::getppid() != setup->parent) ::_exit(127);

  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &default_action, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (setup->in_fd >= 0 && ::dup2(setup->in_fd, STDIN_FILENO) < 0) fail();
  if (::dup2(setup->out_fd, STDOUT_FILENO) < 0 || ::dup2(setup->err_fd, STDERR_FILENO) < 0) {
    fail();
  }
  ::execve(setup->path, setup->argv, setup->envp);
  fail();
  return 127;
}

// Starts the child with clone(CLONE_VM | CLONE_VFORK): no copy of the agent's page tables
// and no copy-on-write faults afterwards, and the call returns once the child has exec'd
// or failed, so the process group and death signal are in place before the caller can
// signal it. CLONE_PIDFD hands back the pidfd in the same call. Returns the pid.
pid_t clone_child(ChildSetup& setup, int& pidfd) {
  // The child's stack: child_main calls a handful of system-call wrappers only.
  constexpr std::size_t kStackSize = 64 * 1024;
  auto stack =
      std::make_unique_for_overwrite<std::max_align_t[]>(kStackSize / sizeof(std::max_align_t));
  void* stack_top = reinterpret_cast<char*>(stack.get()) + kStackSize;

  sigset_t all, saved;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &saved);
  const pid_t pid = ::clone(child_main, stack_top, CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD,
                            &setup, &pidfd);
  const int clone_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  if (pid < 0) {
    throw std::system_error(clone_errno, std::generic_category(),
                            "clone (Linux >= 5.3 is required)");
  }
  return pid;
}

std::string env_value(const std::vector<std::string>& envp, const std::string& key) {
  const std::string prefix = key + "=";
  for (const auto& entry : envp) {
    if (entry.compare(0, prefix.size(), prefix) == 0) return entry.substr(prefix.size());
  }
  return {};
}

}  // namespace

pid_t try_reap(pid_t pid, int& status) {
  pid_t r;
  do {
    r = ::waitpid(pid, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  return r;
}

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

  // Everything the child touches is prepared before clone.
  std::vector<char*> argv;
  for (const auto& arg : request.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& entry : request.envp) envp.push_back(const_cast<char*>(entry.c_str()));
  envp.push_back(nullptr);

  ChildProcess child;
  UniqueFd out_write, err_write;
  int out_fd = request.output_fd, err_fd = request.output_fd;
  if (out_fd < 0) {
    make_pipe(child.stdout_pipe, out_write);
    if (!request.merge_stderr) make_pipe(child.stderr_pipe, err_write);
    out_fd = out_write.get();
    err_fd = request.merge_stderr ? out_fd : err_write.get();
  }

  UniqueFd in_read;
  if (request.stdin_pipe) make_pipe(in_read, child.stdin_pipe);
  ChildSetup setup{path.c_str(), argv.data(), envp.data(), ::getpid(), in_read.get(), out_fd, err_fd, 0};
  int pidfd = -1;
  const pid_t pid = clone_child(setup, pidfd);
  child.pid = pid;
  child.pidfd.reset(pidfd);
  if (setup.error != 0) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    throw std::system_error(setup.error, std::generic_category(), "cannot execute '" + path + "'");
  }
  for (const UniqueFd* fd : {&child.stdout_pipe, &child.stderr_pipe}) {
    if (fd->valid()) ::fcntl(fd->get(), F_SETFL, ::fcntl(fd->get(), F_GETFL) | O_NONBLOCK);
  }
  return child;
}

}  // namespace dlaunch::agent
