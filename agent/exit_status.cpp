#include "agent/exit_status.hpp"

#include <sys/wait.h>

#include <csignal>
#include <cstring>

namespace dlaunch::agent {

ExitStatus ExitStatus::from_wait_status(int status) {
  if (WIFSIGNALED(status)) return {true, WTERMSIG(status)};
  return {false, WEXITSTATUS(status)};
}

std::string ExitStatus::describe() const {
  if (signaled) return "signal " + std::to_string(value) + " (" + signal_name(value) + ")";
  return "exit code " + std::to_string(value);
}

std::string signal_name(int sig) {
  // sigabbrev_np is glibc >= 2.32; bookworm has 2.36.
  if (const char* abbrev = ::sigabbrev_np(sig)) return std::string("SIG") + abbrev;
  return "SIG" + std::to_string(sig);
}

}  // namespace dlaunch::agent
