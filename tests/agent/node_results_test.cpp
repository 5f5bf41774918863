// One node's attempt as JSON (with what only that node can read: log tails and error files of
// failed workers), and node 0's job-wide merge of every node's attempt.
#include "agent/node_results.hpp"

#include <doctest/doctest.h>

#include "agent/job_report.hpp"
#include "tests/agent/worker_record_fixture.hpp"
#include "tests/support/temp_dir.hpp"

using namespace dlaunch::agent;
using dlaunch::rendezvous::StopReason;
using dlaunch::testing::finished_worker;
using dlaunch::testing::TempDir;
using dlaunch::testing::write_file;

TEST_CASE("node results: a failed worker travels with its log tail and error file") {
  TempDir dir;
  write_file(dir / "log_3", "line one\nline two\n");
  write_file(dir / "error_3.json",
             R"({"message": {"message": "ValueError: bad", "extraInfo": {"py_callstack": "tb"}}})");
  AttemptResult attempt;
  attempt.attempt = 2;
  attempt.workers = {finished_worker(2, 0, ExitStatus{true, 15}, true),
                     finished_worker(3, 1, ExitStatus{false, 7}, false)};
  attempt.workers[1].log_path = (dir / "log_3").string();
  attempt.workers[1].error_file = (dir / "error_3.json").string();
  attempt.workers[0].log_path = (dir / "missing").string();
  attempt.root_cause = 1;

  const auto back = attempt_from_json(nlohmann::json::parse(attempt_to_json(attempt).dump()));
  CHECK(back.attempt == 2);
  REQUIRE(back.workers.size() == 2);
  CHECK(back.root_cause == 1);
  CHECK(back.workers[1].status->value == 7);
  CHECK(back.workers[1].remote_log_tail.value_or("") == "line one\nline two");
  CHECK(back.workers[1].remote_error == "ValueError: bad");
  CHECK(back.workers[1].remote_traceback == "tb");
  // Workers stopped by the agent carry no tail: they are not why the job failed.
  CHECK_FALSE(back.workers[0].remote_log_tail.has_value());
  CHECK(back.workers[0].stopped_by_agent);
  CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(back.workers[1].end_time -
                                                              attempt.workers[1].end_time)
            .count() == 0);
}

TEST_CASE(
    "node results: node 0's merge orders every node's ranks and names the stop's root cause") {
  AttemptResult node0, node1;
  node0.workers = {finished_worker(0, 0, ExitStatus{true, 15}, true),
                   finished_worker(1, 0, ExitStatus{false, 1}, false)};
  node0.workers[1].rank = 1;
  node0.workers[1].local_rank = 1;
  node0.root_cause = 1;  // failed on its own after the job's first failure (a gloo error)
  node1.workers = {finished_worker(2, 0, ExitStatus{false, 7}, false),
                   finished_worker(3, 1, ExitStatus{true, 15}, true)};
  node1.root_cause = 0;

  StopReason stop;
  stop.kind = StopReason::Kind::kFailure;
  stop.node_rank = 1;
  stop.rank = 2;
  stop.local_rank = 0;
  stop.code = 7;
  const auto merged = merge_attempts(
      0, {NodeAttempt{1, "b (10.0.0.2)", node1}, NodeAttempt{0, "a (10.0.0.1)", node0}}, stop, {});
  REQUIRE(merged.workers.size() == 4);
  for (int rank = 0; rank < 4; ++rank) CHECK(merged.workers[rank].rank == rank);
  REQUIRE(merged.root_cause.has_value());
  CHECK(merged.workers[*merged.root_cause].rank == 2);
  CHECK(merged.workers[*merged.root_cause].host == "b (10.0.0.2)");
  CHECK(merged.workers[*merged.root_cause].node_rank == 1);
  REQUIRE(merged.other_failures.size() == 1);
  CHECK(merged.workers[merged.other_failures[0]].rank == 1);

  JobReport report;
  report.hostname = "a";
  report.attempts = {merged};
  report.job_exit_code = 7;
  const std::string summary = format_summary(report);
  CHECK(summary.find("host       : b (10.0.0.2), node 1") != std::string::npos);
  CHECK(summary.find("Stopped by dlaunch: ranks 0, 3") != std::string::npos);
  CHECK(summary_json(report)["root_cause"]["host"] == "b (10.0.0.2)");
}

TEST_CASE("node results: a round ended by a lost node has it as its reason") {
  AttemptResult node0;
  node0.workers = {finished_worker(0, 0, ExitStatus{true, 15}, true)};
  StopReason stop;
  stop.kind = StopReason::Kind::kLost;
  stop.node_rank = 1;
  stop.hostname = "b";
  stop.addr = "10.0.0.2";
  stop.what = "no heartbeat for 2 s";
  const auto merged = merge_attempts(0, {NodeAttempt{0, "a", node0}}, stop, {});
  CHECK_FALSE(merged.root_cause.has_value());
  CHECK(merged.reason == "node 1 (b, 10.0.0.2) was lost: no heartbeat for 2 s");
  JobReport report;
  report.attempts = {merged};
  report.job_exit_code = 1;
  CHECK(format_summary(report).find("Root cause: node 1 (b, 10.0.0.2) was lost") !=
        std::string::npos);
  CHECK(summary_json(report)["root_cause"]["reason"] == merged.reason);
}
