#include "agent/job_report.hpp"

#include <doctest/doctest.h>

#include "tests/agent/worker_record_fixture.hpp"
#include "tests/support/temp_dir.hpp"

using namespace dlaunch::agent;
using dlaunch::testing::finished_worker;
using dlaunch::testing::TempDir;
using dlaunch::testing::write_file;

namespace {

JobReport failed_report(const TempDir& dir) {
  JobReport report;
  report.run_id = "r1";
  report.entrypoint = "train.py";
  report.hostname = "node-a";
  report.world_size = 3;
  report.nproc_per_node = 3;
  report.log_dir = dir.path();
  AttemptResult attempt;
  attempt.workers = {finished_worker(0, 0, ExitStatus{true, 15}, true),
                     finished_worker(1, 1, ExitStatus{false, 7}),
                     finished_worker(2, 2, ExitStatus{false, 0})};
  attempt.root_cause = 1;
  attempt.workers[1].log_path = (dir / "70_driver_log_1.txt").string();
  attempt.workers[1].error_file = (dir / "error_1.json").string();
  write_file(dir / "70_driver_log_1.txt", "step 1\nstep 2\nboom: out of cheese\n");
  write_file(dir / "error_1.json",
             R"({"message": {"message": "ValueError: out of cheese",
                 "extraInfo": {"py_callstack": "Traceback (most recent call last):\n  File \"train.py\"", "timestamp": "1764212345"}}})");
  report.attempts.push_back(attempt);
  return report;
}

}  // namespace

TEST_CASE("job report: exit code follows the root cause, 128+N for signals") {
  TempDir dir;
  JobReport report = failed_report(dir);
  CHECK(report.exit_code() == 7);
  report.attempts[0].root_cause = 0;
  report.attempts[0].workers[0].stopped_by_agent = false;
  CHECK(report.exit_code() == 128 + 15);

  JobReport ok;
  AttemptResult attempt;
  attempt.workers = {finished_worker(0, 0, ExitStatus{false, 0})};
  ok.attempts.push_back(attempt);
  CHECK(ok.exit_code() == 0);
  ok.signal_received = 2;
  ok.attempts[0].stop_signal = 2;
  CHECK(ok.exit_code() == 130);
}

TEST_CASE("job report: the summary names the root cause, its error file and its log tail") {
  TempDir dir;
  const JobReport report = failed_report(dir);
  const std::string text = format_summary(report);
  CHECK(text.find("train.py FAILED") != std::string::npos);
  CHECK(text.find("Root cause (first observed failure):") != std::string::npos);
  CHECK(text.find("rank       : 1 (local_rank: 1)") != std::string::npos);
  CHECK(text.find("exit code 7") != std::string::npos);
  CHECK(text.find("ValueError: out of cheese") != std::string::npos);
  CHECK(text.find("Traceback (most recent call last):") != std::string::npos);
  CHECK(text.find("| boom: out of cheese") != std::string::npos);
  CHECK(text.find("Stopped by dlaunch: ranks 0") != std::string::npos);
  // The root cause comes before anything else about failures.
  CHECK(text.find("Root cause") < text.find("Other failures"));
}

TEST_CASE("job report: JSON has the run, the world, every rank and the root cause") {
  TempDir dir;
  const JobReport report = failed_report(dir);
  write_summary_json(report);
  const auto j = nlohmann::json::parse(dlaunch::testing::read_file(dir / "dlaunch_summary.json"));
  CHECK(j["run_id"] == "r1");
  CHECK(j["status"] == "failed");
  CHECK(j["exit_code"] == 7);
  CHECK(j["world_size"] == 3);
  CHECK(j["root_cause"]["rank"] == 1);
  CHECK(j["root_cause"]["exit_code"] == 7);
  CHECK(j["root_cause"]["error"]["message"] == "ValueError: out of cheese");
  const auto& workers = j["attempts"][0]["workers"];
  REQUIRE(workers.size() == 3);
  CHECK(workers[0]["state"] == "stopped");
  CHECK(workers[0]["signal"] == "SIGTERM");
  CHECK(workers[1]["state"] == "failed");
  CHECK(workers[2]["state"] == "succeeded");
}

TEST_CASE("job report: error files in both torch formats, and garbage") {
  TempDir dir;
  write_file(dir / "a.json", R"({"message": "RuntimeError: plain"})");
  write_file(dir / "b.json", "not json");
  CHECK(read_error_file(dir / "a.json")->message == "RuntimeError: plain");
  CHECK(read_error_file(dir / "b.json")->message == "(unreadable error file)");
  CHECK_FALSE(read_error_file(dir / "missing.json").has_value());
}
