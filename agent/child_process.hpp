#pragma once
// spawn_child: starts one worker process the way the agent's contract needs it, and nothing
// else: its own process group (pgid = pid), PR_SET_PDEATHSIG(SIGKILL) set in the child with
// the "parent already gone" race closed, default signal dispositions and an empty signal
// mask, stdout/stderr on pipes, and a pidfd so the exit is learned from the kernel.
// exec failures (missing program, permission) come back to the caller as an exception
// instead of a mysterious exit 127. The child is started vfork-style (clone with CLONE_VM |
// CLONE_VFORK | CLONE_PIDFD): spawn_child returns once it has exec'd, without copying the
// agent's address space. Call from the agent's one thread.

#include <sys/types.h>

#include <string>
#include <vector>

#include "agent/unique_fd.hpp"

namespace dlaunch::agent {

struct SpawnRequest {
  std::vector<std::string> argv;  // argv[0] is looked up in the PATH of `envp` if it has no '/'
  std::vector<std::string> envp;  // "K=V"
  bool merge_stderr = true;       // one pipe for both streams: exact order in the log
  int output_fd = -1;             // >= 0: stdout and stderr are this file (no pipes)
  bool stdin_pipe = false;        // stdin from a pipe we hold (else inherited)
};

struct ChildProcess {
  pid_t pid = -1;
  UniqueFd pidfd;        // readable once the child has exited
  UniqueFd stdout_pipe;  // read ends, non-blocking, close-on-exec; invalid with output_fd
  UniqueFd stderr_pipe;  // invalid when merged
  UniqueFd stdin_pipe;   // write end, blocking, close-on-exec; invalid unless requested
};

// Throws std::system_error naming the program when it cannot be started.
ChildProcess spawn_child(const SpawnRequest& request);

// waitpid(pid, WNOHANG), retried on EINTR: the pid once reaped (status set), 0 while it
// still runs, -1 on error. For the handler of a readable pidfd.
pid_t try_reap(pid_t pid, int& status);

// Looks `name` up in `path_list` (colon-separated) the way execvp does. Returns the
// resolved path, or "" when no executable file is found.
std::string find_executable(const std::string& name, const std::string& path_list);

}  // namespace dlaunch::agent
