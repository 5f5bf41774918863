// /proc sampling of worker process groups, against real processes.
#include "agent/proc_sampler.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include <doctest/doctest.h>

using namespace dlaunch::agent;

namespace {

// A child in its own process group that runs `script` under /bin/sh.
pid_t spawn_group(const char* script) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::execl("/bin/sh", "sh", "-c", script, static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  return pid;
}

void end_group(pid_t pid) {
  ::killpg(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

// The group's other members die a moment after the leader is reaped.
// Samples `group` until its tree has used `seconds` of CPU (a busy machine gives a spinner only
// a share of a core), for at most 20 s; returns the last sample.
GroupSample sample_until_cpu(pid_t group, double seconds) {
  GroupSample last;
  for (int i = 0; i < 200; ++i) {
    const auto samples = sample_process_groups({group});
    if (samples.count(group)) last = samples.at(group);
    if (last.cpu_seconds > seconds) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return last;
}

bool gone_soon(const std::set<pid_t>& groups) {
  for (int i = 0; i < 100; ++i) {
    if (sample_process_groups(groups).empty()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace

TEST_CASE("proc stat: a command with spaces and parentheses parses") {
  const std::string text =
      "4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 30 20 20 0 7 0 12345 "
      "1000000 200 18446744073709551615\n";
  const auto stat = parse_proc_stat(text);
  REQUIRE(stat);
  CHECK(stat->pid == 4242);
  CHECK(stat->state == 'S');
  CHECK(stat->ppid == 1);
  CHECK(stat->pgrp == 4242);
  const double tick = 1.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
  CHECK(stat->cpu_seconds == doctest::Approx(300 * tick));
  CHECK(stat->children_cpu_seconds == doctest::Approx(50 * tick));
  CHECK(stat->threads == 7);
  CHECK_FALSE(parse_proc_stat(""));
  CHECK_FALSE(parse_proc_stat("12 (short) S 1 2"));
}

TEST_CASE("process groups: a spinning tree's CPU and members, a sleeping leader's wait channel") {
  // The leader waits (sleeping in the kernel) for two children; one of them spins.
  const pid_t busy = spawn_group("sleep 30 & (while :; do :; done) & wait");
  const pid_t idle = spawn_group("exec sleep 30");
  const GroupSample b = sample_until_cpu(busy, 0.2);
  CHECK(b.cpu_seconds > 0.2);  // the spinner's time counts for its group
  CHECK(b.processes == 3);
  CHECK(b.leader_state == 'S');

  const auto samples = sample_process_groups({busy, idle, 999999999});
  REQUIRE(samples.count(idle) == 1);
  CHECK(samples.count(999999999) == 0);
  const GroupSample& i = samples.at(idle);
  CHECK(i.processes == 1);
  CHECK(i.cpu_seconds < b.cpu_seconds);
  CHECK(i.leader_state == 'S');
  CHECK_FALSE(i.leader_wchan.empty());  // e.g. hrtimer_nanosleep or do_nanosleep

  end_group(busy);
  end_group(idle);
  CHECK(gone_soon({busy, idle}));
}

TEST_CASE("process trees: a descendant in a process group of its own still counts") {
  // timeout(1) moves itself and the spinner it runs into a new process group.
  const pid_t leader = spawn_group("timeout 20 sh -c 'while :; do :; done'; true");
  const GroupSample sample = sample_until_cpu(leader, 0.2);
  CHECK(sample.processes == 3);  // sh, timeout, the spinning sh
  CHECK(sample.cpu_seconds > 0.2);
  // timeout's group (its pid) holds it and the spinner: end it first, then the leader.
  std::ifstream children("/proc/" + std::to_string(leader) + "/task/" + std::to_string(leader) +
                         "/children");
  pid_t timeout_pid = 0;
  children >> timeout_pid;
  REQUIRE(timeout_pid > 0);
  ::killpg(timeout_pid, SIGKILL);
  end_group(leader);
  CHECK(gone_soon({leader}));
}
