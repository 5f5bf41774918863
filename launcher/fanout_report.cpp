#include "launcher/fanout_report.hpp"

#include <signal.h>

#include <algorithm>
#include <cstdio>

#include "agent/exit_status.hpp"

namespace dlaunch::launcher {
namespace {

const std::string kRule(72, '=');
const std::string kThinRule(72, '-');

std::string code_text(int code) {
  std::string text = "exit code " + std::to_string(code);
  if (code == 255) text += ", from ssh: the connection was lost or dlaunch was killed there";
  if (code > 128 && code < 128 + 65 && code != 255) {
    text += ", " + agent::signal_name(code - 128);
  }
  return text;
}

std::string ranks_text(const RemoteNode& node) {
  if (node.nproc == 1) return "rank " + std::to_string(node.first_rank);
  return "ranks " + std::to_string(node.first_rank) + "-" +
         std::to_string(node.first_rank + node.nproc - 1);
}

}  // namespace

bool FanoutReport::succeeded() const {
  return !signal_received && !root_cause && !first_failed &&
         std::all_of(hosts.begin(), hosts.end(),
                     [](const HostOutcome& host) { return host.exit_code == 0; });
}

int FanoutReport::exit_code() const {
  if (signal_received) return 128 + *signal_received;
  if (root_cause) return hosts[*root_cause].exit_code.value_or(1);
  if (!hosts.empty() && hosts[0].exit_code.value_or(0) != 0) return *hosts[0].exit_code;
  if (first_failed) return hosts[*first_failed].exit_code.value_or(1);
  for (const auto& host : hosts) {
    if (host.exit_code.value_or(1) != 0) return host.exit_code.value_or(1);
  }
  return 0;
}

std::string describe_outcome(const FanoutReport& report, std::size_t index) {
  const auto& host = report.hosts[index];
  if (!host.exit_code) return host.note.empty() ? "never started" : "not started: " + host.note;
  const int code = *host.exit_code;
  if (report.root_cause == index) return "FAILED first (" + code_text(code) + ")";
  if (code == 0) return "succeeded";
  const int stop_code =
      128 + (report.signal_received ? *report.signal_received : static_cast<int>(SIGTERM));
  if (!report.root_cause && report.first_failed && code != 255 &&
      !(host.after_stop && code == stop_code)) {
    return "ended with the job's failure (" + code_text(code) + ")";
  }
  if (host.after_stop && (code == stop_code || code == 128 + SIGTERM || code == 128 + SIGKILL)) {
    return "stopped by dlaunch (" + code_text(code) + ")";
  }
  return "failed (" + code_text(code) + ")";
}

std::string format_fanout_summary(const FanoutReport& report) {
  const double seconds = std::chrono::duration<double>(report.end_time - report.start_time).count();
  char took[32];
  std::snprintf(took, sizeof took, "%.2f s", seconds);
  std::string out = kRule + "\n";
  out += "dlaunch: " + report.entrypoint + (report.signal_received ? " STOPPED" : " FAILED") +
         " (run " + report.run_id + ", " + std::to_string(report.hosts.size()) + " hosts, " +
         std::to_string(report.world_size) + " workers, " + took + ", exit code " +
         std::to_string(report.exit_code()) + ")\n";
  out += kThinRule + "\n";
  if (report.root_cause) {
    const auto& host = report.hosts[*report.root_cause];
    out += "Root cause (host lost): " + host.node.host + " (node " +
           std::to_string(host.node.node_rank) + ", " + ranks_text(host.node) + "), " +
           code_text(host.exit_code.value_or(1)) + "\n";
    if (host.exit_code == 255) {
      out +=
          "  the connection is gone: its dlaunch stops on its own when sshd ends the session; "
          "its logs stay there in " +
          report.remote_log_dir + "\n";
    } else {
      out += "  its own summary is above, tagged [" + host.node.host +
             "]; its logs stay there in " + report.remote_log_dir + "\n";
    }
  } else if (report.first_failed && !report.hosts.empty()) {
    out += "Root cause: in node 0's job-wide summary above, tagged [" +
           report.hosts[0].node.host + "]; each host keeps its logs in " +
           report.remote_log_dir + "\n";
  } else if (report.signal_received) {
    out += "dlaunch received " + agent::signal_name(*report.signal_received) +
           " and told every host to stop\n";
  } else {
    out += "Root cause: none recorded\n";
  }
  out += kThinRule + "\n";
  std::size_t width = 0;
  for (const auto& host : report.hosts) width = std::max(width, host.node.host.size());
  for (std::size_t i = 0; i < report.hosts.size(); ++i) {
    const auto& node = report.hosts[i].node;
    std::string line = "  node " + std::to_string(node.node_rank) + "  " + node.host;
    line.append(width - node.host.size() + 2, ' ');
    line += ranks_text(node) + "  " + describe_outcome(report, i);
    out += line + "\n";
  }
  out += kRule + "\n";
  return out;
}

}  // namespace dlaunch::launcher
