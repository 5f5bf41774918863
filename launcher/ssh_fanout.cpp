#include "launcher/ssh_fanout.hpp"

#include <signal.h>

#include <cstdio>
#include <filesystem>

#include "agent/exit_status.hpp"
#include "launcher/host_tag.hpp"
#include "launcher/logging.hpp"
#include "launcher/preflight.hpp"
#include "launcher/remote_command.hpp"
#include "launcher/shell_words.hpp"
#include "launcher/usage.hpp"

namespace dlaunch::launcher {
namespace {

constexpr std::chrono::seconds kPreflightTimeout{60};

std::string remote_log_dir(const Options& options, const FanoutPlan& plan) {
  const std::filesystem::path dir = options.log_dir ? *options.log_dir : "logs";
  return dir.is_absolute() ? dir.string() : (std::filesystem::path(plan.remote_dir) / dir).string();
}

std::string names_of(const std::vector<ForwardedVar>& vars) {
  std::string names;
  for (const auto& var : vars) {
    if (!names.empty()) names += ", ";
    names += var.name;
    if (var.origin != "environment") names += " (" + var.origin + ")";
  }
  return names.empty() ? "none" : names;
}

std::vector<std::string> to_envp(const Environment& env) {
  std::vector<std::string> envp;
  for (const auto& [key, value] : env) envp.push_back(key + "=" + value);
  return envp;
}

std::string trimmed_version() {
  auto text = version_text();
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

}  // namespace

SshFanout::SshFanout(boost::asio::io_context& io, const Options& options, FanoutPlan plan,
                     std::vector<std::string> envp, agent::Console console)
    : io_(io),
      options_(options),
      plan_(std::move(plan)),
      envp_(std::move(envp)),
      console_(std::move(console)),
      signals_(io, SIGTERM, SIGINT, SIGHUP),
      kill_timer_(io),
      settle_timer_(io) {
  signals_.add(SIGQUIT);
  // An ssh that is gone must not kill us when we write its stdin; the console handles EPIPE.
  ::signal(SIGPIPE, SIG_IGN);
  report_.run_id = plan_.run_id;
  report_.entrypoint = std::filesystem::path(options_.program).filename().string();
  report_.remote_log_dir = remote_log_dir(options_, plan_);
  report_.world_size = plan_.world_size;
  for (const auto& node : plan_.nodes) report_.hosts.push_back({node, {}, false, {}});
}

int SshFanout::run() {
  report_.start_time = std::chrono::steady_clock::now();
  log().info("run {}: {} workers on {} hosts over ssh, store {}:{}", plan_.run_id, plan_.world_size,
             plan_.nodes.size(), plan_.master_addr, plan_.master_port);
  wait_for_signal();
  for (std::size_t i = 0; i < plan_.nodes.size() && !stopping_; ++i) start_host(i);
  maybe_finish();  // when no ssh could be started at all
  io_.run();
  return report_.exit_code();
}

void SshFanout::start_host(std::size_t index) {
  const auto& node = plan_.nodes[index];
  const auto command = remote_shell_command(options_, plan_, node);
  const auto argv = ssh_command(plan_, node, command);
  log().debug("node {}: {}", node.node_rank, shell_join(argv));
  auto ssh = std::make_shared<SshProcess>(
      io_,
      [this, host = node.host](int stream, std::string_view line) {
        const auto tagged = tag_remote_line(host, line);
        console_.write_lines(stream, tagged.prefix, tagged.body);
      },
      [this, index](int exit_code) { on_host_exit(index, exit_code); });
  ssh_.push_back(ssh);
  try {
    ssh->start(argv, envp_);
  } catch (const std::exception& e) {
    // Nothing runs there; the job cannot be whole, so this host is the root cause.
    auto& outcome = report_.hosts[index];
    outcome.note = e.what();
    log().error("node {} ({}): cannot start ssh: {}", node.node_rank, node.host, e.what());
    if (!report_.root_cause && !stopping_) {
      report_.root_cause = index;
      outcome.exit_code = 255;
      stop_all(SIGTERM);
    }
    ssh_.back().reset();
  }
}

void SshFanout::on_host_exit(std::size_t index, int exit_code) {
  auto& outcome = report_.hosts[index];
  outcome.exit_code = exit_code;
  outcome.after_stop = stopping_;
  const auto& node = outcome.node;
  if (exit_code == 255 && !stopping_ && !report_.root_cause) {
    // ssh lost the host (or its dlaunch was killed): the job cannot be whole.
    report_.root_cause = index;
    log().error("node {} ({}) was lost: exit code 255 from ssh (the connection dropped or "
                "dlaunch was killed there); stopping every other host",
                node.node_rank, node.host);
    stop_all(SIGTERM);
  } else if (exit_code != 0 && !stopping_ && !report_.first_failed) {
    // The agents rendezvous: this is the job's decision, and node 0 names its root cause.
    report_.first_failed = index;
    log().debug("node {} ({}) ended with exit code {}; waiting for the other hosts",
                node.node_rank, node.host, exit_code);
    settle_timer_.expires_after(kSettle);
    settle_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || finished_) return;
      log().warn("hosts still running {} s after the job failed: telling them to stop",
                 kSettle.count());
      stop_all(SIGTERM);
    });
  } else {
    log().debug("node {} ({}) ended: exit code {}", node.node_rank, node.host, exit_code);
  }
  maybe_finish();
}

void SshFanout::wait_for_signal() {
  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    on_signal(sig);
    wait_for_signal();
  });
}

void SshFanout::on_signal(int sig) {
  if (finished_) return;
  ++signals_seen_;
  if (signals_seen_ == 1 && !stopping_) {
    report_.signal_received = sig;
    log().warn("received {}: passing it to every host (again: kill the workers at once)",
               agent::signal_name(sig));
    stop_all(sig);
  } else if (signals_seen_ <= 2) {
    log().warn("received {} again: every host kills its workers now", agent::signal_name(sig));
    for (auto& ssh : ssh_) {
      if (ssh && !ssh->done()) ssh->send(static_cast<unsigned char>(sig));
    }
  } else {
    log().warn("received {} a third time: killing the ssh clients", agent::signal_name(sig));
    kill_all();
  }
}

void SshFanout::stop_all(int sig) {
  if (!stopping_) {
    stopping_ = true;
    kill_timer_.expires_after(
        std::chrono::milliseconds(static_cast<long long>(options_.shutdown_timeout * 1000)) +
        kStopGrace);
    kill_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      log().warn("hosts still running {} s after the stop request: killing their ssh clients",
                 std::chrono::duration_cast<std::chrono::seconds>(kStopGrace).count() +
                     static_cast<long long>(options_.shutdown_timeout));
      kill_all();
    });
  }
  for (auto& ssh : ssh_) {
    if (ssh && !ssh->done()) ssh->send(static_cast<unsigned char>(sig));
  }
}

// A killed ssh drops its connection: the remote dlaunch sees its stdin end and stops too.
void SshFanout::kill_all() {
  for (auto& ssh : ssh_) {
    if (ssh && !ssh->done()) ssh->kill(SIGKILL);
  }
}

void SshFanout::maybe_finish() {
  if (finished_) return;
  for (std::size_t i = 0; i < ssh_.size(); ++i) {
    if (ssh_[i] && !ssh_[i]->done()) return;
  }
  if (ssh_.size() < plan_.nodes.size() && !stopping_) return;  // still starting
  finished_ = true;
  report_.end_time = std::chrono::steady_clock::now();
  signals_.cancel();
  kill_timer_.cancel();
  settle_timer_.cancel();
  if (report_.succeeded()) {
    log().info("{} workers on {} hosts succeeded in {:.2f} s", plan_.world_size, plan_.nodes.size(),
               std::chrono::duration<double>(report_.end_time - report_.start_time).count());
    return;
  }
  const auto summary = format_fanout_summary(report_);
  std::fwrite(summary.data(), 1, summary.size(), stderr);
  std::fflush(stderr);
}

namespace {

int preflight_and_run(const Options& options, const FanoutPlan& plan,
                      const std::vector<std::string>& envp) {
  int bad = 0;
  const std::string local_version = trimmed_version();
  for (const auto& result : run_preflight(plan, envp, kPreflightTimeout)) {
    if (!result.ok) {
      std::fprintf(stderr, "dlaunch: error: host %s (%s:%d): %s\n", result.host.c_str(),
                   plan.hostfile.c_str(), result.hostfile_line, result.problem.c_str());
      ++bad;
    } else if (result.version != local_version) {
      log().warn("host {} runs {}, this is {}", result.host, result.version, local_version);
    }
  }
  if (bad > 0) {
    std::fprintf(stderr, "dlaunch: %d of %zu hosts failed the preflight; nothing was started\n",
                 bad, plan.nodes.size());
    return kPreflightFailed;
  }

  boost::asio::io_context io;
  SshFanout fanout(io, options, plan, envp);
  return fanout.run();
}

}  // namespace

int run_ssh_fanout(const Options& options, const Environment& env, const std::string& cwd) {
  const FanoutPlan plan = make_fanout_plan(options, env, cwd);
  for (const auto& warning : plan.warnings) log().warn("{}", warning);
  log().info(
      "hosts from {}: {}; environment sent along: {}", plan.hostfile,
      [&] {
        std::string hosts;
        for (const auto& node : plan.nodes) {
          if (!hosts.empty()) hosts += ", ";
          hosts += node.host + " (" + std::to_string(node.nproc) + ")";
        }
        return hosts;
      }(),
      names_of(plan.env));
  const auto envp = to_envp(env);
  try {
    return preflight_and_run(options, plan, envp);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dlaunch: error: %s\n", e.what());
    return 1;
  }
}

}  // namespace dlaunch::launcher
