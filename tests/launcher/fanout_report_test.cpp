#include "launcher/fanout_report.hpp"

#include <signal.h>

#include <doctest/doctest.h>

using namespace dlaunch::launcher;

namespace {

FanoutReport three_hosts() {
  FanoutReport report;
  report.run_id = "r1";
  report.entrypoint = "train.py";
  report.remote_log_dir = "/job/logs";
  report.world_size = 6;
  for (int i = 0; i < 3; ++i) {
    RemoteNode node{"node-" + std::string(1, static_cast<char>('a' + i)), i + 1, i, 2, 2 * i, ""};
    report.hosts.push_back({node, {}, false, {}});
  }
  return report;
}

}  // namespace

TEST_CASE("fanout report: every host succeeded") {
  auto report = three_hosts();
  for (auto& host : report.hosts) host.exit_code = 0;
  CHECK(report.succeeded());
  CHECK(report.exit_code() == 0);
}

TEST_CASE("fanout report: a failed job exits with node 0's code and points at its summary") {
  // The agents rendezvous: every host ends with the job's code, node 0 names the root cause.
  auto report = three_hosts();
  report.hosts[2].exit_code = 7;
  report.first_failed = 2;
  report.hosts[0].exit_code = 7;
  report.hosts[1].exit_code = 7;
  CHECK_FALSE(report.succeeded());
  CHECK(report.exit_code() == 7);
  CHECK(describe_outcome(report, 0) == "ended with the job's failure (exit code 7)");
  CHECK(describe_outcome(report, 2) == "ended with the job's failure (exit code 7)");
  const auto text = format_fanout_summary(report);
  CHECK(text.find("dlaunch: train.py FAILED (run r1, 3 hosts, 6 workers, ") != std::string::npos);
  CHECK(text.find("exit code 7)\n") != std::string::npos);
  CHECK(text.find("Root cause: in node 0's job-wide summary above, tagged [node-a]") !=
        std::string::npos);

  // Node 0's code is the job's, even when another host ended first with something else.
  report.hosts[2].exit_code = 143;
  CHECK(report.exit_code() == 7);
  // Hosts that had to be told to stop say so.
  report.hosts[1].exit_code = 143;
  report.hosts[1].after_stop = true;
  CHECK(describe_outcome(report, 1) == "stopped by dlaunch (exit code 143, SIGTERM)");
}

TEST_CASE("fanout report: a lost host exits 255, said so") {
  auto report = three_hosts();
  report.hosts[1].exit_code = 255;
  report.root_cause = 1;
  CHECK(report.exit_code() == 255);
  CHECK(describe_outcome(report, 1) ==
        "FAILED first (exit code 255, from ssh: the connection was lost or dlaunch was killed "
        "there)");
  CHECK(format_fanout_summary(report).find("the connection is gone") != std::string::npos);
  CHECK(describe_outcome(report, 0) == "never started");
}

TEST_CASE("fanout report: a signal here first gives 128+N and every host stopped") {
  auto report = three_hosts();
  report.signal_received = SIGINT;
  for (auto& host : report.hosts) {
    host.exit_code = 130;
    host.after_stop = true;
  }
  CHECK(report.exit_code() == 130);
  CHECK(describe_outcome(report, 1) == "stopped by dlaunch (exit code 130, SIGINT)");
  const auto text = format_fanout_summary(report);
  CHECK(text.find("train.py STOPPED") != std::string::npos);
  CHECK(text.find("dlaunch received SIGINT and told every host to stop") != std::string::npos);
}
