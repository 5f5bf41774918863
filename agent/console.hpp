#pragma once
// Console: dlaunch's own stdout and stderr, where workers' lines appear tagged with their
// rank. Writes are whole (a tagged line is never torn) and blocking: a slow console slows
// the agent only as much as a pipe would slow the worker itself. A closed console (EPIPE)
// is switched off; the rank log files still get everything. Agent thread only.

#include <string>
#include <string_view>

namespace dlaunch::agent {

class Console {
 public:
  Console(int stdout_fd = 1, int stderr_fd = 2) : fds_{stdout_fd, stderr_fd} {}

  // Writes each complete line of `lines` (which ends in '\n' or is a final partial line)
  // to the console stream `stream` (kStdout or kStderr), each preceded by `prefix`.
  void write_lines(int stream, std::string_view prefix, std::string_view lines);

 private:
  void write_all(int fd_index, std::string_view data);

  int fds_[2];
  bool closed_[2] = {false, false};
  std::string scratch_;
};

// torchrun's TORCHELASTIC_LOG_LINE_PREFIX_TEMPLATE: ${rank}, ${local_rank} and ${role_name}
// are substituted. An empty template gives dlaunch's default "[<rank>]: ".
std::string line_prefix(const std::string& templ, const std::string& role, int local_rank,
                        int rank);

}  // namespace dlaunch::agent
