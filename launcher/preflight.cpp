#include "launcher/preflight.hpp"

#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>

#include "launcher/remote_command.hpp"
#include "launcher/ssh_process.hpp"

namespace dlaunch::launcher {
namespace {

std::string trimmed(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ')) {
    line.remove_suffix(1);
  }
  return std::string(line);
}

std::string with_detail(std::string text, const std::string& detail) {
  return detail.empty() ? text : text + ": " + detail;
}

}  // namespace

std::string preflight_problem(const FanoutPlan& plan, int exit_code, const std::string& last_error,
                              const std::string& output, std::chrono::milliseconds timeout) {
  const std::string bin = "'" + plan.remote_bin + "'";
  switch (exit_code) {
    case 0:
      if (output.rfind("dlaunch ", 0) == 0) return {};
      return bin + " --version printed '" + output + "', not dlaunch's version";
    case -1:
      return "no answer within " + std::to_string(timeout.count() / 1000) + " s";
    case 255:
      return with_detail("cannot reach it over ssh", last_error);
    case kNoRemoteDir:
      return "no directory '" + plan.remote_dir + "' there (choose one with --remote_dir)";
    case 127:
      return bin + " not found there (install dlaunch on its PATH, or set DLAUNCH_REMOTE_BIN)";
    case 126:
      return with_detail(bin + " cannot be executed there", last_error);
    default:
      return with_detail(
          bin + " --version failed there with exit code " + std::to_string(exit_code), last_error);
  }
}

std::vector<PreflightResult> run_preflight(const FanoutPlan& plan,
                                           const std::vector<std::string>& envp,
                                           std::chrono::milliseconds timeout) {
  struct Probe {
    std::shared_ptr<SshProcess> ssh;
    std::string last_error, output;
    int exit_code = -1;
  };
  boost::asio::io_context io;
  boost::asio::steady_timer deadline(io, timeout);
  std::vector<Probe> probes(plan.nodes.size());
  std::vector<PreflightResult> results;
  std::size_t running = 0;
  const std::string command = preflight_command(plan);
  for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
    const auto& node = plan.nodes[i];
    results.push_back({node.host, node.hostfile_line, false, {}, {}});
    auto& probe = probes[i];
    probe.ssh = std::make_shared<SshProcess>(
        io,
        [&probe](int stream, std::string_view line) {
          auto text = trimmed(line);
          if (text.empty()) return;
          // A login shell may print its own lines (a chatty .bashrc): dlaunch's is the one
          // that starts "dlaunch ", else the first, for the message.
          if (stream == 2) {
            probe.last_error = std::move(text);
          } else if (probe.output.empty() || text.rfind("dlaunch ", 0) == 0) {
            probe.output = std::move(text);
          }
        },
        [&probe, &running, &deadline](int code) {
          probe.exit_code = code;
          if (--running == 0) deadline.cancel();
        });
    try {
      probe.ssh->start(ssh_command(plan, node, command), envp);
      probe.ssh->close_stdin();
      ++running;
    } catch (const std::exception& e) {
      results[i].problem = std::string("cannot run ssh: ") + e.what();
      probe.ssh.reset();
    }
  }
  bool timed_out = false;
  deadline.async_wait([&](const boost::system::error_code& ec) {
    if (ec) return;
    timed_out = true;
    for (auto& probe : probes) {
      if (probe.ssh && !probe.ssh->done()) probe.ssh->kill(SIGKILL);
    }
  });
  if (running == 0) deadline.cancel();
  io.run();
  for (std::size_t i = 0; i < probes.size(); ++i) {
    auto& probe = probes[i];
    if (!probe.ssh) continue;
    const bool killed = !probe.ssh->done() || (timed_out && probe.exit_code == 128 + SIGKILL);
    const std::string problem = preflight_problem(plan, killed ? -1 : probe.exit_code,
                                                  probe.last_error, probe.output, timeout);
    results[i].ok = problem.empty();
    results[i].problem = problem;
    if (results[i].ok) results[i].version = probe.output;
  }
  return results;
}

}  // namespace dlaunch::launcher
