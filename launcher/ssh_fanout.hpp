#pragma once
// SshFanout: `dlaunch --hostfile FILE ...` — one ssh per host, each running dlaunch there as
// node k of the job, supervised from here on one io_context. Every line a host prints comes
// back tagged with the host (host_tag.hpp). The first host whose dlaunch fails is the root
// cause: every other host is told to stop at once. A signal here (Ctrl-C) is passed to every
// host; a second one makes the hosts kill their workers; a third kills the ssh clients.
// Hosts are told to stop through ssh's stdin (stdin_control.hpp), never by process name, and a
// host whose connection goes away (dlaunch here killed, ssh lost) stops by itself.
//
// run_ssh_fanout() is the whole of it: plan (bad usage: UsageError), preflight of every host
// (exit 1 with one line per bad host, nothing started), launch, summary, exit code.

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <string>
#include <vector>

#include "agent/console.hpp"
#include "launcher/fanout_plan.hpp"
#include "launcher/fanout_report.hpp"
#include "launcher/options.hpp"
#include "launcher/ssh_process.hpp"

namespace dlaunch::launcher {

// Exit code when a host fails the preflight (nothing was started anywhere).
inline constexpr int kPreflightFailed = 1;

class SshFanout {
 public:
  // How long after the stop request the ssh clients still running are killed, on top of
  // --shutdown_timeout (the remote agents' own grace before SIGKILL).
  static constexpr std::chrono::seconds kStopGrace{15};
  // The remote agents rendezvous: when one host's dlaunch ends with a failure, the job has
  // decided and every other host ends with the job's code within milliseconds (a lost node
  // within the heartbeat timeout). Hosts still running this long after are told to stop.
  static constexpr std::chrono::seconds kSettle{10};

  SshFanout(boost::asio::io_context& io, const Options& options, FanoutPlan plan,
            std::vector<std::string> envp, agent::Console console = {});

  // Starts every host and runs the io_context until every ssh has ended. Returns the exit code.
  int run();
  const FanoutReport& report() const { return report_; }

 private:
  void start_host(std::size_t index);
  void on_host_exit(std::size_t index, int exit_code);
  void wait_for_signal();
  void on_signal(int sig);
  // Sends every running host the control byte `sig` and arms the kill timer.
  void stop_all(int sig);
  void kill_all();
  void maybe_finish();

  boost::asio::io_context& io_;
  const Options& options_;
  FanoutPlan plan_;
  std::vector<std::string> envp_;
  agent::Console console_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer kill_timer_;
  boost::asio::steady_timer settle_timer_;
  std::vector<std::shared_ptr<SshProcess>> ssh_;
  FanoutReport report_;
  bool stopping_ = false;
  int signals_seen_ = 0;
  bool finished_ = false;
};

// dlaunch --hostfile: returns the exit code. Throws UsageError for bad usage (before any ssh).
int run_ssh_fanout(const Options& options, const Environment& env, const std::string& cwd);

}  // namespace dlaunch::launcher
