// ActivityBoard against a real agent and real workers: rows follow each worker's life, the
// sampler sees output growth, last lines and CPU, and producers' touches land on the row.
#include "agent/activity_board.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "agent/agent.hpp"
#include "tests/support/temp_dir.hpp"

using namespace dlaunch::agent;
using dlaunch::testing::TempDir;
using dlaunch::testing::write_file;

TEST_CASE("last line: the last complete non-empty line, cut to the limit") {
  CHECK(last_complete_line("a\nb\n", 100) == "b");
  CHECK(last_complete_line("a\nb\npartial", 100) == "b");
  CHECK(last_complete_line("a\r\n\n\n", 100) == "a");
  CHECK(last_complete_line("only partial", 100).empty());
  CHECK(last_complete_line("", 100).empty());
  CHECK(last_complete_line("0123456789\n", 4) == "0123");
}

TEST_CASE(
    "activity board: rows follow a job's workers, and output, last line and CPU are sampled") {
  TempDir dir;
  AgentConfig config;
  config.run_id = "board";
  config.hostname = "testhost";
  config.nproc_per_node = 2;
  config.world_size = 2;
  // Rank 0 prints twice and spins for 3 s; rank 1 prints once, sleeps 3 s and exits 1.
  config.command = {"/bin/sh", "-c",
                    "echo \"hello from $RANK\"; if [ $RANK = 0 ]; then echo second; "
                    "timeout 3 sh -c 'while :; do :; done'; exit 0; fi; sleep 3; exit 1"};
  config.command_user_args_offset = 3;
  config.base_env = {{"PATH", "/usr/bin:/bin"}};
  config.log_dir = dir / "logs";
  // Output a previous run left in the log must not count as this run's.
  write_file(dir / "logs/70_driver_log_1.txt", "old line from an earlier run\n");

  const int console = ::open((dir / "console").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  boost::asio::io_context io;
  Agent agent(io, config, Console(console, console));
  std::vector<NodeActivity> samples;
  agent.activity().on_sample([&](const NodeActivity& node) { samples.push_back(node); });
  const int code = agent.run();
  ::close(console);

  CHECK(code == 1);
  REQUIRE(samples.size() >= 1);
  // A sample taken while both ran (the first one, ~1 s in).
  const NodeActivity& running = samples.front();
  REQUIRE(running.ranks.size() == 2);
  CHECK(running.host == "testhost");
  for (const auto& r : running.ranks) {
    CHECK(r.phase == RankPhase::kRunning);
    CHECK(r.pid > 0);
    CHECK(r.processes >= 1);
    CHECK(r.progress(ProgressSource::kOutput) != WallClock::time_point{});
  }
  CHECK(running.ranks[0].last_line == "second");
  CHECK(running.ranks[1].last_line == "hello from 1");
  CHECK(running.ranks[1].bytes_logged == std::string("hello from 1\n").size());
  // Spinning against asleep (a busy machine gives the spinner only a share of a core).
  CHECK(running.ranks[0].cpu_percent > 5);
  CHECK(running.ranks[0].cpu_percent > 3 * running.ranks[1].cpu_percent);
  CHECK(running.ranks[1].proc_state == 'S');

  // The final rows: how each ended.
  const NodeActivity last = agent.activity().snapshot();
  REQUIRE(last.ranks.size() == 2);
  CHECK(last.ranks[1].phase == RankPhase::kFailed);
  CHECK(last.ranks[1].exit == "exit code 1");
  REQUIRE(last.ranks[1].exit_code);
  CHECK(*last.ranks[1].exit_code == 1);
  CHECK(last.ranks[1].end_time >= last.ranks[1].start_time);
}

TEST_CASE("activity board: touches from producers land on the row, unknown ranks are ignored") {
  boost::asio::io_context io;
  auto board = std::make_shared<ActivityBoard>(io);
  board->set_node(3, "h", "10.0.0.4");
  std::vector<RankActivity> rows(2);
  rows[0].rank = 6;
  rows[1].rank = 7;
  rows[1].local_rank = 1;
  board->begin_attempt(4, rows);
  board->worker_started(1, 1234, from_epoch_ms(1000));
  board->touch(1, ProgressSource::kStore, from_epoch_ms(2000));
  board->touch(5, ProgressSource::kStore, from_epoch_ms(2000));  // no such local rank
  CHECK(board->row(5) == nullptr);
  board->worker_ended(1, ExitStatus{true, 15}, true, from_epoch_ms(3000));
  const auto node = board->snapshot();
  CHECK(node.node_rank == 3);
  CHECK(node.attempt == 4);
  CHECK(node.ranks[1].node_rank == 3);
  CHECK(node.ranks[1].attempt == 4);
  CHECK(node.ranks[1].pid == 1234);
  CHECK(node.ranks[1].progress(ProgressSource::kStore) == from_epoch_ms(2000));
  CHECK(node.ranks[1].phase == RankPhase::kStopped);
  CHECK(node.ranks[1].exit == "signal 15 (SIGTERM)");
  CHECK(node.ranks[0].phase == RankPhase::kStarting);
}
