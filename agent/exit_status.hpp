#pragma once
// ExitStatus: how a worker ended, as the kernel said: an exit code or a signal.

#include <string>

namespace dlaunch::agent {

struct ExitStatus {
  bool signaled = false;
  int value = 0;  // exit code, or signal number when signaled

  static ExitStatus from_wait_status(int status);
  bool success() const { return !signaled && value == 0; }
  // What a shell reports: the code, or 128 + the signal number.
  int shell_code() const { return signaled ? 128 + value : value; }
  // "exit code 7" / "signal 9 (SIGKILL)"
  std::string describe() const;
};

// "SIGKILL" for 9; "SIG<n>" for numbers without a name.
std::string signal_name(int sig);

}  // namespace dlaunch::agent
