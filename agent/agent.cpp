#include "agent/agent.hpp"

#include <signal.h>
#include <unistd.h>

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

JobEvents::Context event_context(const AgentConfig& config) {
  JobEvents::Context context;
  context.run_id = config.run_id;
  context.role = config.role;
  context.hostname = config.hostname;
  // torchrun's names: --standalone is a c10d rendezvous there.
  context.rdzv_backend =
      config.standalone || (config.rendezvous && config.rendezvous->dynamic) ? "c10d" : "static";
  context.entrypoint = entrypoint_name(config);
  context.max_restarts = config.max_restarts;
  context.group_rank = config.node_rank;
  context.group_world_size = config.nnodes;
  context.local_world_size = config.nproc_per_node;
  context.first_global_rank = config.first_global_rank;
  context.log_dir = config.log_dir;
  return context;
}

EventLog make_event_log(const AgentConfig& config) {
  return EventLog(config.event_log_handler, config.event_log_file);
}

}  // namespace

Agent::Agent(boost::asio::io_context& io, AgentConfig config, Console console)
    : io_(io),
      config_(std::move(config)),
      console_(std::move(console)),
      signals_(io, SIGTERM, SIGINT, SIGHUP),
      events_(event_context(config_), make_event_log(config_)),
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
  board_->on_worker([this](const RankActivity& row) {
    events_.worker_changed(row);
    // A start or an exit is seen at once, not at the next sample.
    job_activity_.update(board_->snapshot());
  });
  StatusService::Options options;
  options.token = config_.job_token;
  options.health_port = config_.health_check_port;
  options.log_dir = config_.status_endpoint ? config_.log_dir : std::filesystem::path();
  options.local_socket = config_.status_endpoint;
  status_ = std::make_unique<StatusService>(
      io_, std::move(options),
      [this](bool job_scope, JobActivity& scratch) { return status_inputs(job_scope, scratch); });
}

rendezvous::StoreServer* Agent::served_store() const {
  if (store_) return store_.get();
  return session_ ? session_->store_server() : nullptr;
}

std::string Agent::status_url() const {
  std::string host = config_.master_addr;
  std::uint16_t port = config_.master_port;
  if (config_.rendezvous && config_.rendezvous->dynamic && !served_store()) {
    // Until a round names the store, the rendezvous endpoint is where it is served.
    host = config_.rendezvous->endpoint.host;
    port = config_.rendezvous->endpoint.port;
  }
  if (const auto* store = served_store()) port = store->port();
  if (config_.standalone) host = "127.0.0.1";
  return "http://" + rendezvous::Endpoint{host, port}.to_string() + "/status";
}

std::vector<NodeRow> Agent::node_rows() const {
  std::vector<NodeRow> rows;
  for (const auto& node : report_.nodes) {
    NodeRow row;
    row.node_rank = node.node_rank;
    row.host = node.hostname;
    row.addr = node.addr;
    row.first_rank = node.first_rank;
    row.nproc = node.nproc;
    rows.push_back(std::move(row));
  }
  if (rows.empty()) {
    NodeRow self;
    self.node_rank = config_.node_rank;
    self.host = config_.hostname;
    self.addr = config_.standalone ? "127.0.0.1" : config_.master_addr;
    self.first_rank = config_.first_global_rank;
    self.nproc = config_.nproc_per_node;
    rows.push_back(std::move(self));
  }
  return rows;
}

StatusInputs Agent::status_inputs(bool job_scope, JobActivity& scratch) const {
  StatusInputs in;
  in.config = &config_;
  in.report = &report_;
  in.events = &events_;
  in.status_url = status_url();
  auto* store = served_store();
  in.job_scope = job_scope && store != nullptr;
  if (in.job_scope) {
    in.activity = &job_activity_;
    in.store = store;
    in.nodes = node_rows();
    return in;
  }
  scratch.begin_round(events_.attempt(), config_.world_size);
  scratch.update(board_->snapshot());
  in.activity = &scratch;
  for (auto& row : node_rows()) {
    if (row.node_rank == config_.node_rank) in.nodes.push_back(std::move(row));
  }
  return in;
}

void Agent::start_status() {
  AgentEndpoint self;
  self.pid = ::getpid();
  self.host = config_.hostname;
  self.node_rank = config_.node_rank;
  self.run_id = config_.run_id;
  self.started_ms = to_epoch_ms(report_.start_time);
  status_->start(std::move(self));
  if (auto* store = served_store()) status_->serve_on(*store);
  status_->update(config_.node_rank, status_url(), served_store() != nullptr);
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
    events_.rendezvous_began();
    session_ = std::make_shared<NodeSession>(
        io_, config_, report_,
        NodeSession::Hooks{[this](int attempt) { start_attempt(attempt); },
                           [this] {
                             if (!group_) return;
                             events_.stopping("the round ended on another node");
                             group_->stop_for_remote_failure();
                           },
                           [this] { return group_ != nullptr; }, [this] { finish(); }});
    session_->start();
    start_status();
    io_.run();
    return report_.exit_code();
  }
  if (config_.agent_store && config_.node_rank == 0 && !serve_store()) return 1;
  start_status();
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
    if (group_) events_.stopping("received " + signal_name(sig));
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
  const bool after_failure = !report_.attempts.empty() && !report_.attempts.back().succeeded();
  if (session_) {
    events_.set_group(config_.node_rank, config_.nnodes, config_.first_global_rank);
    events_.round_formed(attempt);
    status_->update(config_.node_rank, status_url(), served_store() != nullptr);
  }
  events_.attempt_started(attempt, after_failure);
  group_ = std::make_shared<WorkerGroup>(io_, config_, attempt, console_, &*guard_, board_.get());
  group_->start([this](AttemptResult result) { on_attempt_done(std::move(result)); },
                [this](const WorkerRecord& root_cause) {
                  if (session_) session_->local_failure(root_cause);
                  events_.stopping("rank " + std::to_string(root_cause.rank) + " " +
                                   (root_cause.status ? root_cause.status->describe()
                                                      : std::string("failed")));
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
  if (session_) {
    events_.attempt_ended(failed, false);
    events_.rendezvous_began();  // the rendezvous decides what comes next
    return session_->attempt_done(report_.attempts.back());
  }

  if (failed && !report_.signal_received && attempt < config_.max_restarts) {
    events_.attempt_ended(true, true);
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
  events_.finished(report_.exit_code(), report_.failure_reason);
  status_->close();
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
