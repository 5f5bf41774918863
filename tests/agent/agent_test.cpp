// The agent driving real worker processes (/bin/sh scripts): environment, fail-fast,
// SIGTERM-then-SIGKILL, restarts, lossless logs.
#include "agent/agent.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>

#include <doctest/doctest.h>

#include "tests/support/temp_dir.hpp"

using namespace dlaunch::agent;
using dlaunch::testing::process_alive;
using dlaunch::testing::read_file;
using dlaunch::testing::parse_env_file;
using dlaunch::testing::read_lines;
using dlaunch::testing::TempDir;

namespace {

AgentConfig sh_job(const TempDir& dir, int nproc, const std::string& script) {
  AgentConfig config;
  config.run_id = "test-run";
  config.hostname = "testhost";
  config.nproc_per_node = nproc;
  config.world_size = nproc;
  config.command = {"/bin/sh", "-c", script};
  config.command_user_args_offset = 3;
  config.base_env = {{"PATH", "/usr/bin:/bin"}, {"OUT", dir.path().string()}};
  config.log_dir = dir / "logs";
  config.shutdown_timeout = std::chrono::milliseconds(5000);
  return config;
}

struct JobRun {
  int exit_code = -1;
  JobReport report;
  double seconds = 0;
};

JobRun run_job(AgentConfig config, const std::filesystem::path& console_file) {
  const int fd = ::open(console_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  boost::asio::io_context io;
  Agent agent(io, std::move(config), Console(fd, fd));
  const auto start = std::chrono::steady_clock::now();
  JobRun run;
  run.exit_code = agent.run();
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.report = agent.report();
  ::close(fd);
  return run;
}

}  // namespace

TEST_CASE("agent: each of 4 workers gets its own rank environment") {
  TempDir dir;
  auto run = run_job(sh_job(dir, 4, "env > \"$OUT/env_$RANK\""), dir / "console");
  REQUIRE(run.exit_code == 0);
  for (int rank = 0; rank < 4; ++rank) {
    const auto env = parse_env_file(dir / ("env_" + std::to_string(rank)));
    CHECK(env.at("RANK") == std::to_string(rank));
    CHECK(env.at("LOCAL_RANK") == std::to_string(rank));
    CHECK(env.at("WORLD_SIZE") == "4");
    CHECK(env.at("LOCAL_WORLD_SIZE") == "4");
    CHECK(env.at("TORCHELASTIC_RUN_ID") == "test-run");
    CHECK(env.at("TORCHELASTIC_RESTART_COUNT") == "0");
    CHECK(env.at("OMP_NUM_THREADS") == "1");
  }
  const auto summary = nlohmann::json::parse(read_file(dir / "logs/dlaunch_summary.json"));
  CHECK(summary["status"] == "succeeded");
  CHECK(summary["exit_code"] == 0);
}

TEST_CASE("agent: one rank exits 7, the job exits 7 at once and no other worker survives") {
  TempDir dir;
  auto run = run_job(sh_job(dir, 4, "if [ $RANK = 2 ]; then sleep 0.2; exit 7; fi; exec sleep 30"),
                     dir / "console");
  CHECK(run.exit_code == 7);
  CHECK(run.seconds < 5);
  const auto& attempt = run.report.attempts.at(0);
  REQUIRE(attempt.root_cause.has_value());
  CHECK(attempt.workers[*attempt.root_cause].rank == 2);
  for (const auto& worker : attempt.workers) {
    CHECK_FALSE(process_alive(worker.pid));
    if (worker.rank != 2) {
      CHECK(worker.stopped_by_agent);
      CHECK(worker.status->signaled);
      CHECK(worker.status->value == SIGTERM);
    }
  }
}

TEST_CASE("agent: a worker that ignores SIGTERM is SIGKILLed after the shutdown timeout") {
  TempDir dir;
  auto config = sh_job(dir, 2, "if [ $RANK = 0 ]; then sleep 0.2; exit 3; fi; trap '' TERM; sleep 30");
  config.shutdown_timeout = std::chrono::milliseconds(400);
  auto run = run_job(config, dir / "console");
  CHECK(run.exit_code == 3);
  CHECK(run.seconds >= 0.55);
  CHECK(run.seconds < 5);
  const auto& stubborn = run.report.attempts.at(0).workers.at(1);
  CHECK(stubborn.status->signaled);
  CHECK(stubborn.status->value == SIGKILL);
  CHECK_FALSE(process_alive(stubborn.pid));
}

TEST_CASE("agent: a failure on attempt 0 and success on attempt 1 exits 0") {
  TempDir dir;
  auto config = sh_job(dir, 2,
                       "echo \"attempt $TORCHELASTIC_RESTART_COUNT\"; "
                       "if [ $TORCHELASTIC_RESTART_COUNT = 0 ] && [ $RANK = 1 ]; then exit 5; fi");
  config.max_restarts = 1;
  auto run = run_job(config, dir / "console");
  CHECK(run.exit_code == 0);
  REQUIRE(run.report.attempts.size() == 2);
  CHECK_FALSE(run.report.attempts[0].succeeded());
  CHECK(run.report.attempts[1].succeeded());
  // Both attempts are in the log, each after its marker.
  const auto lines = read_lines(dir / "logs/70_driver_log_1.txt");
  REQUIRE(lines.size() == 4);
  CHECK(lines[0].find("attempt 0 started") != std::string::npos);
  CHECK(lines[1] == "attempt 0");
  CHECK(lines[2].find("attempt 1 started") != std::string::npos);
  CHECK(lines[3] == "attempt 1");
}

TEST_CASE("agent: an exhausted restart budget exits with the root cause's code") {
  TempDir dir;
  auto config = sh_job(dir, 2, "if [ $RANK = 1 ]; then exit 5; fi; exec sleep 30");
  config.max_restarts = 2;
  auto run = run_job(config, dir / "console");
  CHECK(run.exit_code == 5);
  CHECK(run.report.attempts.size() == 3);
  const auto summary = nlohmann::json::parse(read_file(dir / "logs/dlaunch_summary.json"));
  CHECK(summary["restarts"] == 2);
  CHECK(summary["root_cause"]["rank"] == 1);
}

TEST_CASE("agent: 4 ranks x 100,000 lines, a partial last line and a crash: nothing lost") {
  TempDir dir;
  auto run = run_job(sh_job(dir, 4,
                            // Every rank writes everything before the first crash, so
                            // the stop of the others cannot cut their output short.
                            "seq 1 100000 | sed \"s/^/r$RANK-/\"; printf 'tail-without-newline'; "
                            "touch \"$OUT/done_$RANK\"; "
                            "while [ $(ls \"$OUT\" | grep -c done_) -lt 4 ]; do sleep 0.01; done; "
                            "kill -SEGV $$"),
                     dir / "console");
  CHECK(run.exit_code == 128 + SIGSEGV);
  for (int rank = 0; rank < 4; ++rank) {
    const auto lines = read_lines(dir / ("logs/70_driver_log_" + std::to_string(rank) + ".txt"));
    REQUIRE(lines.size() == 100002);
    bool in_order = true;
    for (int i = 1; i <= 100000 && in_order; ++i) {
      in_order = lines[i] == "r" + std::to_string(rank) + "-" + std::to_string(i);
    }
    CHECK(in_order);
    CHECK(lines.back() == "tail-without-newline");
  }
}

TEST_CASE("agent: stdout and stderr keep their order, console lines are tagged and whole") {
  TempDir dir;
  const std::string long_line(300 * 1024, 'x');  // longer than one read
  auto run = run_job(sh_job(dir, 1, "echo out1; echo err1 >&2; echo out2; head -c 307200 /dev/zero | tr '\\0' x; echo"),
                     dir / "console");
  REQUIRE(run.exit_code == 0);
  const auto lines = read_lines(dir / "logs/70_driver_log_0.txt");
  REQUIRE(lines.size() == 5);
  CHECK(lines[1] == "out1");
  CHECK(lines[2] == "err1");
  CHECK(lines[3] == "out2");
  CHECK(lines[4] == long_line);
  const auto console = read_lines(dir / "console");
  REQUIRE(console.size() == 4);
  CHECK(console[0] == "[0]: out1");
  CHECK(console[1] == "[0]: err1");
  CHECK(console[3] == "[0]: " + long_line);
}

TEST_CASE("agent: redirected ranks stay out of the console but keep their file") {
  TempDir dir;
  auto config = sh_job(dir, 2, "echo hello $RANK");
  config.redirects = {kStdout | kStderr, 0};
  auto run = run_job(config, dir / "console");
  REQUIRE(run.exit_code == 0);
  CHECK(read_lines(dir / "console") == std::vector<std::string>{"[1]: hello 1"});
  CHECK(read_lines(dir / "logs/70_driver_log_0.txt").back() == "hello 0");
}

TEST_CASE("agent: workers whose streams go alike write their log file directly") {
  TempDir dir;
  // Rank 0 is redirected (file only), rank 1 shown (file and console): both write the file
  // itself, so it is written at file speed and keeps everything even without dlaunch.
  auto config = sh_job(dir, 2, "readlink /proc/self/fd/1; readlink /proc/self/fd/2 >&2");
  config.redirects = {kStdout | kStderr, 0};
  auto run = run_job(config, dir / "console");
  REQUIRE(run.exit_code == 0);
  for (int rank = 0; rank < 2; ++rank) {
    const auto path = std::filesystem::canonical(
        dir / ("logs/70_driver_log_" + std::to_string(rank) + ".txt"));
    const auto lines = read_lines(path);
    REQUIRE(lines.size() == 3);
    CHECK(lines[1] == path.string());
    CHECK(lines[2] == path.string());
  }
  const auto shown = std::filesystem::canonical(dir / "logs/70_driver_log_1.txt").string();
  CHECK(read_lines(dir / "console") == std::vector<std::string>{"[1]: " + shown, "[1]: " + shown});
}

TEST_CASE("agent: what a worker's child writes after the worker exited reaches the console") {
  TempDir dir;
  // Rank 0 exits at once, leaving a child that writes 0.2 s later, while rank 1 still runs.
  auto config = sh_job(dir, 2,
                       "if [ $RANK = 0 ]; then (sleep 0.2; echo late) & echo early; "
                       "else sleep 1; fi");
  auto run = run_job(config, dir / "console");
  REQUIRE(run.exit_code == 0);
  const auto console = read_lines(dir / "console");
  CHECK(std::count(console.begin(), console.end(), "[0]: early") == 1);
  CHECK(std::count(console.begin(), console.end(), "[0]: late") == 1);
  CHECK(read_lines(dir / "logs/70_driver_log_0.txt").back() == "late");
}

TEST_CASE("agent: a program that cannot be started is a failure with a reason") {
  TempDir dir;
  auto config = sh_job(dir, 2, "");
  config.command = {"/nonexistent/worker"};
  config.command_user_args_offset = 1;
  auto run = run_job(config, dir / "console");
  CHECK(run.exit_code == 127);
  const auto& root = run.report.attempts.at(0).workers.at(0);
  CHECK(root.spawn_error.find("/nonexistent/worker") != std::string::npos);
}
