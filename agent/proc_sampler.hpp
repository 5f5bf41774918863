#pragma once
// Process-group sampling from /proc: one pass over the process table gives, for each worker's
// process group, the CPU time of its whole tree, how many processes it has, and the state and
// kernel wait channel of its leader. Cheap enough to run every second (one small read per
// process on the machine); no ptrace, no signals, nothing the workers can notice.
// Stateless functions; any thread.

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace dlaunch::agent {

struct GroupSample {
  double cpu_seconds = 0;  // user + system of live members, plus the children they reaped
  int processes = 0;       // live members
  char leader_state = '?';
  std::string leader_wchan;  // "" when running, unknown or hidden
};

// One /proc/<pid>/stat, parsed.
struct ProcStat {
  pid_t pid = -1;
  char state = '?';
  pid_t ppid = -1;
  pid_t pgrp = -1;
  double cpu_seconds = 0;           // utime + stime
  double children_cpu_seconds = 0;  // cutime + cstime (reaped children)
  int threads = 0;
};

// Parses the text of /proc/<pid>/stat (the command may hold spaces and parentheses).
std::optional<ProcStat> parse_proc_stat(const std::string& text);
std::optional<ProcStat> read_proc_stat(pid_t pid, const std::filesystem::path& proc = "/proc");
// /proc/<pid>/wchan: "" when it reads "0", is missing or cannot be read.
std::string read_wchan(pid_t pid, const std::filesystem::path& proc = "/proc");

// Samples every worker's tree in `groups` (by the leader's pid = pgid) in one pass: the members
// of its process group, and every descendant of the leader that moved to a group of its own
// (timeout(1) does). A tree with no live member is absent from the result.
std::map<pid_t, GroupSample> sample_process_groups(const std::set<pid_t>& groups,
                                                   const std::filesystem::path& proc = "/proc");

}  // namespace dlaunch::agent
