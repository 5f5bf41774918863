#include "agent/proc_sampler.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "agent/unique_fd.hpp"

namespace dlaunch::agent {
namespace {

// Small files under /proc, read with one read() (their size is unknown to stat).
std::string read_small(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return {};
  char buffer[1024];
  const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
  return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
}

double ticks_to_seconds(unsigned long long ticks) {
  static const long per_second = ::sysconf(_SC_CLK_TCK);
  return static_cast<double>(ticks) / static_cast<double>(per_second > 0 ? per_second : 100);
}

}  // namespace

std::optional<ProcStat> parse_proc_stat(const std::string& text) {
  // "pid (comm) state ppid pgrp ...": comm may hold anything, so split after its last ')'.
  const auto open = text.find('(');
  const auto close = text.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  std::vector<std::string> fields;
  std::size_t i = close + 1;
  while (i < text.size() && fields.size() < 20) {
    while (i < text.size() && text[i] == ' ') ++i;
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != '\n') ++j;
    if (j > i) fields.emplace_back(text, i, j - i);
    i = j + 1;
  }
  // Fields after the command, 0-based: state ppid pgrp session tty tpgid flags minflt cminflt
  // majflt cmajflt utime(11) stime(12) cutime(13) cstime(14) priority nice num_threads(17).
  if (fields.size() < 18 || fields[0].size() != 1) return std::nullopt;
  auto num = [&](int k) { return std::strtoull(fields[k].c_str(), nullptr, 10); };
  ProcStat stat;
  stat.pid = static_cast<pid_t>(std::atol(text.c_str()));
  stat.state = fields[0][0];
  stat.ppid = static_cast<pid_t>(std::atol(fields[1].c_str()));
  stat.pgrp = static_cast<pid_t>(std::atol(fields[2].c_str()));
  stat.cpu_seconds = ticks_to_seconds(num(11) + num(12));
  // cutime and cstime are signed in the kernel's format; negative never happens in practice.
  stat.children_cpu_seconds = ticks_to_seconds(num(13) + num(14));
  stat.threads = std::atoi(fields[17].c_str());
  return stat;
}

std::optional<ProcStat> read_proc_stat(pid_t pid, const std::filesystem::path& proc) {
  return parse_proc_stat(read_small(proc / std::to_string(pid) / "stat"));
}

std::string read_wchan(pid_t pid, const std::filesystem::path& proc) {
  std::string text = read_small(proc / std::to_string(pid) / "wchan");
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text == "0" ? std::string() : text;
}

std::map<pid_t, GroupSample> sample_process_groups(const std::set<pid_t>& groups,
                                                   const std::filesystem::path& proc) {
  std::map<pid_t, GroupSample> samples;
  if (groups.empty()) return samples;
  DIR* dir = ::opendir(proc.c_str());
  if (!dir) return samples;
  std::map<pid_t, ProcStat> table;
  while (const dirent* entry = ::readdir(dir)) {
    const char* name = entry->d_name;
    if (name[0] < '0' || name[0] > '9') continue;
    // A zombie has left; its CPU time reaches its reaper's children's time once reaped.
    auto stat = parse_proc_stat(read_small(proc / name / "stat"));
    if (stat && stat->state != 'Z') table.emplace(stat->pid, *stat);
  }
  ::closedir(dir);

  // A worker's tree: its process group, and every descendant of its leader even when it moved
  // to a group of its own (timeout(1), setsid'd helpers).
  std::map<pid_t, std::vector<pid_t>> children;
  std::map<pid_t, pid_t> owner;  // pid -> the group it is counted in
  for (const auto& [pid, stat] : table) {
    children[stat.ppid].push_back(pid);
    if (groups.count(stat.pgrp)) owner[pid] = stat.pgrp;
  }
  for (const pid_t leader : groups) {
    std::vector<pid_t> todo{leader};
    while (!todo.empty()) {
      const pid_t pid = todo.back();
      todo.pop_back();
      for (const pid_t child : children[pid]) {
        if (owner.emplace(child, leader).second || owner[child] == leader) todo.push_back(child);
      }
    }
  }
  for (const auto& [pid, group] : owner) {
    const ProcStat& stat = table.at(pid);
    auto& sample = samples[group];
    sample.cpu_seconds += stat.cpu_seconds + stat.children_cpu_seconds;
    ++sample.processes;
    if (pid == group) {
      sample.leader_state = stat.state;
      sample.leader_wchan = stat.state == 'R' ? std::string() : read_wchan(pid, proc);
    }
  }
  return samples;
}

}  // namespace dlaunch::agent
