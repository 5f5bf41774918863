#include "agent/agent.hpp"

#include <signal.h>

#include <cstdio>

#include "agent/logging.hpp"

namespace dlaunch::agent {
namespace {

std::string entrypoint_name(const AgentConfig& config) {
  if (config.command.empty()) return "worker";
  const std::size_t index =
      config.command_user_args_offset > 0 ? config.command_user_args_offset - 1 : 0;
  const std::string& program = config.command[std::min(index, config.command.size() - 1)];
  return std::filesystem::path(program).filename().string();
}

}  // namespace

Agent::Agent(boost::asio::io_context& io, AgentConfig config, Console console)
    : io_(io),
      config_(std::move(config)),
      console_(std::move(console)),
      signals_(io, SIGTERM, SIGINT, SIGHUP),
      board_(std::make_shared<ActivityBoard>(io)) {
  signals_.add(SIGQUIT);
  // A console that went away must not kill the agent; workers get SIG_DFL back at exec.
  ::signal(SIGPIPE, SIG_IGN);
  report_.run_id = config_.run_id;
  report_.entrypoint = entrypoint_name(config_);
  report_.hostname = config_.hostname;
  report_.node_rank = config_.node_rank;
  report_.nnodes = config_.nnodes;
  report_.world_size = config_.world_size;
  report_.nproc_per_node = config_.nproc_per_node;
  report_.max_restarts = config_.max_restarts;
  report_.log_dir = config_.log_dir;
  board_->on_sample([this](const NodeActivity& node) { job_activity_.update(node); });
}

bool Agent::serve_store() {
  const bool v6 = config_.master_addr.find(':') != std::string::npos;
  const rendezvous::Endpoint bind{config_.standalone ? "127.0.0.1" : (v6 ? "::" : "0.0.0.0"),
                                  config_.standalone ? std::uint16_t{0} : config_.master_port};
  try {
    store_ = std::make_unique<rendezvous::StoreServer>(io_, bind);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dlaunch: error: %s\n", e.what());
    return false;
  }
  config_.master_port = store_->port();
  return true;
}

int Agent::run() {
  report_.start_time = std::chrono::system_clock::now();
  board_->start();
  if (config_.rendezvous) {
    guard_.emplace();
    wait_for_signal();
    session_ = std::make_shared<NodeSession>(
        io_, config_, report_,
        NodeSession::Hooks{[this](int attempt) { start_attempt(attempt); },
                           [this] {
                             if (group_) group_->stop_for_remote_failure();
                           },
                           [this] { return group_ != nullptr; }, [this] { finish(); }});
    session_->start();
    io_.run();
    return report_.exit_code();
  }
  if (config_.agent_store && config_.node_rank == 0 && !serve_store()) return 1;
  log().info("run {}: node {}/{}, {} workers (ranks {}-{} of {}), store {}:{}{}, logs in {}",
             config_.run_id, config_.node_rank, config_.nnodes, config_.nproc_per_node,
             config_.first_global_rank, config_.first_global_rank + config_.nproc_per_node - 1,
             config_.world_size, config_.master_addr, config_.master_port,
             store_ ? " (served here)" : "", config_.log_dir.string());
  guard_.emplace();
  wait_for_signal();
  start_attempt(0);
  io_.run();
  return report_.exit_code();
}

void Agent::wait_for_signal() {
  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    on_signal(sig);
    wait_for_signal();
  });
}

void Agent::request_stop(int sig) {
  on_signal(sig);
}

void Agent::on_signal(int sig) {
  if (finished_) return;
  if (!report_.signal_received) {
    report_.signal_received = sig;
    log().warn("received {}: forwarding it to the workers and stopping (again to kill at once)",
               signal_name(sig));
    if (group_) group_->stop(sig);
  } else {
    log().warn("received {} again: killing the workers", signal_name(sig));
    if (group_) group_->kill();
  }
  if (session_) session_->signalled(sig);
}

void Agent::start_attempt(int attempt) {
  log().debug("attempt {}: starting {} workers", attempt, config_.nproc_per_node);
  // torch >= 2 workers add no per-attempt prefix: stale Gloo addresses or NCCL ids of the
  // previous attempt must not be there for them to read.
  if (store_) store_->begin_worker_epoch();
  board_->set_node(config_.node_rank, config_.hostname, "");
  job_activity_.begin_round(attempt, config_.world_size);
  group_ = std::make_shared<WorkerGroup>(io_, config_, attempt, console_, &*guard_, board_.get());
  group_->start([this](AttemptResult result) { on_attempt_done(std::move(result)); },
                [this](const WorkerRecord& root_cause) {
                  if (session_) session_->local_failure(root_cause);
                });
}

void Agent::on_attempt_done(AttemptResult result) {
  const int attempt = result.attempt;
  const bool failed = !result.succeeded();
  std::string why;
  if (result.root_cause) {
    const auto& root = result.workers[*result.root_cause];
    why = "rank " + std::to_string(root.rank) + " " +
          (root.status ? root.status->describe() : std::string("failed"));
  }
  report_.attempts.push_back(std::move(result));
  group_.reset();
  if (session_) return session_->attempt_done(report_.attempts.back());

  if (failed && !report_.signal_received && attempt < config_.max_restarts) {
    log().warn("attempt {} failed ({}); restarting the worker group ({}/{} restarts used)", attempt,
               why, attempt + 1, config_.max_restarts);
    start_attempt(attempt + 1);
    return;
  }
  finish();
}

void Agent::finish() {
  finished_ = true;
  report_.end_time = std::chrono::system_clock::now();
  board_->stop();
  if (guard_) guard_->dismiss();  // let it exit while the summary is written
  signals_.cancel();
  if (store_) store_->close();
  if (session_) session_->close();
  write_summary_json(report_);
  const std::string summary = format_summary(report_);
  if (!report_.succeeded()) {
    std::fwrite(summary.data(), 1, summary.size(), stderr);
    std::fflush(stderr);
  } else {
    log().info("{} workers succeeded in {:.2f} s", config_.world_size,
               std::chrono::duration<double>(report_.end_time - report_.start_time).count());
  }
  guard_.reset();
}

}  // namespace dlaunch::agent
