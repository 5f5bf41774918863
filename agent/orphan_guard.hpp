#pragma once
// OrphanGuard: makes sure no worker's process group outlives dlaunch, even when dlaunch is
// killed with SIGKILL. PR_SET_PDEATHSIG kills each worker itself; the guard kills what the
// workers started (data-loader processes, wrapper scripts' children), which PDEATHSIG does
// not reach. It is a small forked process in its own process group that learns each worker
// group over a pipe and, when the pipe reaches EOF (dlaunch exited, however it exited),
// sends SIGKILL to every group still registered, then exits. Agent thread only.

#include <sys/types.h>

#include "agent/unique_fd.hpp"

namespace dlaunch::agent {

class OrphanGuard {
 public:
  // Forks the guard. Throws std::system_error if it cannot.
  OrphanGuard();
  ~OrphanGuard();
  OrphanGuard(const OrphanGuard&) = delete;
  OrphanGuard& operator=(const OrphanGuard&) = delete;

  // Registers / forgets the process group `pgid`. Forget a group only once it is empty.
  void watch(pid_t pgid);
  void release(pid_t pgid);
  // The job is over: the guard kills what is still registered and exits, while the caller
  // goes on (the destructor reaps it). No watch() after this.
  void dismiss();
  pid_t pid() const { return guard_pid_; }

 private:
  void send(int op, pid_t pgid);

  UniqueFd pipe_;
  pid_t guard_pid_ = -1;
};

}  // namespace dlaunch::agent
