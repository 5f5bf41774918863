#include "agent/node_session.hpp"

#include <unistd.h>

#include <random>
#include <system_error>

#include "agent/exit_status.hpp"
#include "agent/logging.hpp"
#include "agent/node_results.hpp"
#include "rendezvous/check.hpp"

namespace dlaunch::agent {
namespace asio = boost::asio;
using rendezvous::StopReason;

namespace {

std::string make_agent_id(const std::string& hostname) {
  std::random_device rd;
  std::uniform_int_distribution<unsigned> hex(0, 15);
  std::string suffix;
  for (int i = 0; i < 8; ++i) suffix.push_back("0123456789abcdef"[hex(rd)]);
  return hostname + "-" + std::to_string(::getpid()) + "-" + suffix;
}

}  // namespace

NodeSession::NodeSession(asio::io_context& io, AgentConfig& config, JobReport& report, Hooks hooks)
    : io_(io), config_(config), report_(report), hooks_(std::move(hooks)) {
  DLAUNCH_CHECK(config_.rendezvous.has_value());
}

rendezvous::NodeInfo NodeSession::self_info() const {
  const auto& settings = *config_.rendezvous;
  rendezvous::NodeInfo self;
  self.id = make_agent_id(config_.hostname);
  self.run_id = settings.run_id;
  self.hostname = config_.hostname;
  self.addr = settings.local_addr;
  self.nproc = config_.nproc_per_node;
  self.nnodes = settings.nnodes_text();
  self.node_rank = settings.dynamic ? -1 : settings.node_rank;
  return self;
}

void NodeSession::start() {
  std::weak_ptr<NodeSession> weak = weak_from_this();
  rendezvous::Rendezvous::Events events;
  events.round_started = [weak](const rendezvous::RoundPlan& plan,
                                const rendezvous::PlanMember& me) {
    if (auto session = weak.lock()) session->on_round_started(plan, me);
  };
  events.round_stopped = [weak](const StopReason& reason) {
    if (auto session = weak.lock()) session->on_round_stopped(reason);
  };
  events.finished = [weak](int code, const std::string& why) {
    if (auto session = weak.lock()) session->on_finished(code, why);
  };
  events.closed = [weak] {
    if (auto session = weak.lock()) {
      session->rdzv_closed_ = true;
      session->maybe_finish();
    }
  };
  events.round_ended = [weak](const rendezvous::RoundEnd& end) {
    if (auto session = weak.lock()) session->on_round_ended(end);
  };
  rdzv_ = rendezvous::make_rendezvous(io_, *config_.rendezvous, self_info(), std::move(events));
  rdzv_->start();
}

void NodeSession::on_round_started(const rendezvous::RoundPlan& plan,
                                   const rendezvous::PlanMember& me) {
  config_.node_rank = me.node_rank;
  config_.nnodes = static_cast<int>(plan.members.size());
  config_.first_global_rank = me.first_rank;
  config_.world_size = plan.world_size;
  config_.master_addr = plan.master_addr;
  config_.master_port = plan.master_port;
  report_.node_rank = me.node_rank;
  report_.nnodes = config_.nnodes;
  report_.world_size = plan.world_size;
  report_.nodes.clear();
  for (const auto& m : plan.members) {
    report_.nodes.push_back(
        JobReport::Node{m.node_rank, m.hostname, m.addr, m.nproc, m.first_rank});
  }
  stop_.reset();
  log().info("round {}: node {} of {}, ranks {}-{} of {}, store {}:{}", plan.round, me.node_rank,
             plan.members.size(), me.first_rank, me.first_rank + me.nproc - 1, plan.world_size,
             plan.master_addr, plan.master_port);
  if (signal_) {
    // Told to stop after this node's last report: this round ends before it starts.
    report_signal(*signal_);
    AttemptResult nothing;
    nothing.attempt = plan.round;
    nothing.stop_signal = signal_;
    return attempt_done(nothing);
  }
  if (hooks_.workers_running()) {
    // Only when the host gave up waiting for this node's last report: start once they are gone.
    deferred_round_ = plan.round;
    return hooks_.stop_workers();
  }
  hooks_.start_workers(plan.round);
}

void NodeSession::on_round_stopped(const StopReason& reason) {
  stop_ = reason;
  if (reason.kind == StopReason::Kind::kDone || !hooks_.workers_running()) return;
  hooks_.stop_workers();
  if (reason.node_rank != config_.node_rank || reason.kind == StopReason::Kind::kLost) {
    log().warn("stopping the workers: {}", reason.describe());
  }
}

void NodeSession::local_failure(const WorkerRecord& root_cause) {
  if (!rdzv_) return;
  StopReason reason;
  reason.kind = StopReason::Kind::kFailure;
  reason.node_rank = config_.node_rank;
  reason.hostname = config_.hostname;
  reason.addr = rdzv_->self().addr;
  reason.rank = root_cause.rank;
  reason.local_rank = root_cause.local_rank;
  reason.code = root_cause.status ? root_cause.status->shell_code() : 1;
  reason.what = root_cause.status ? root_cause.status->describe() : "failed";
  rdzv_->report_stop(reason);
}

void NodeSession::attempt_done(const AttemptResult& result) {
  if (final_code_) return maybe_finish();
  if (deferred_round_) {
    const int round = *deferred_round_;
    deferred_round_.reset();
    return hooks_.start_workers(round);
  }
  rendezvous::RoundResult round;
  round.succeeded = result.succeeded();
  round.failed = result.root_cause.has_value() || !result.other_failures.empty();
  round.signal = signal_;
  round.records = attempt_to_json(result);
  rdzv_->report_result(std::move(round));
}

void NodeSession::signalled(int sig) {
  const std::string what = signal_name(sig);
  if (signal_) {
    // Told twice: whatever is left to wait for, stop waiting.
    if (!hooks_.workers_running() && !finished_) {
      final_code_ = final_code_.value_or(128 + sig);
      if (final_why_.empty()) final_why_ = "received " + what;
      rdzv_closed_ = true;
      maybe_finish();
    }
    return;
  }
  signal_ = sig;
  if (rdzv_->finished()) return;  // the end is decided; the workers already got the signal
  if (rdzv_->in_round()) return report_signal(sig);
  leave_what_ = "received " + what;
  rdzv_->leave(128 + sig, leave_what_);
}

void NodeSession::report_signal(int sig) {
  StopReason reason;
  reason.kind = StopReason::Kind::kSignal;
  reason.node_rank = config_.node_rank;
  reason.hostname = config_.hostname;
  reason.addr = rdzv_->self().addr;
  reason.code = 128 + sig;
  reason.what = signal_name(sig);
  rdzv_->report_stop(reason);
}

void NodeSession::on_finished(int code, const std::string& why) {
  final_code_ = code;
  final_why_ = why;
  if (code != 0 && !why.empty() && why != leave_what_) log().error("{}", why);
  if (hooks_.workers_running()) hooks_.stop_workers();
  maybe_finish();
}

void NodeSession::on_round_ended(const rendezvous::RoundEnd& end) {
  std::vector<NodeAttempt> nodes;
  for (const auto& result : end.results) {
    const auto* member = end.plan.find(result.id);
    if (!member) continue;
    try {
      nodes.push_back(NodeAttempt{member->node_rank, host_text(member->hostname, member->addr),
                                  attempt_from_json(result.records)});
    } catch (const std::exception& e) {
      log().warn("unreadable records from node {}: {}", member->node_rank, e.what());
    }
  }
  std::vector<std::string> lost;
  for (const auto& node : end.lost) lost.push_back(node.info.describe() + " was lost: " + node.why);
  job_attempts_.push_back(merge_attempts(end.plan.round, std::move(nodes), end.stop, lost));
  // The leader's summary lists the last round's nodes, all of them.
  report_.nodes.clear();
  for (const auto& m : end.plan.members) {
    report_.nodes.push_back(
        JobReport::Node{m.node_rank, m.hostname, m.addr, m.nproc, m.first_rank});
  }
}

void NodeSession::maybe_finish() {
  if (finished_ || !final_code_ || hooks_.workers_running()) return;
  if (!rdzv_closed_) return;
  finished_ = true;
  report_.job_exit_code = *final_code_;
  const bool leader_report = !job_attempts_.empty();
  if (leader_report) report_.attempts = job_attempts_;
  if (!leader_report && stop_ && stop_->kind == StopReason::Kind::kFailure &&
      stop_->node_rank != config_.node_rank && !report_.attempts.empty()) {
    // The job's root cause is on another node: a local failure came after it.
    auto& last = report_.attempts.back();
    if (last.root_cause) {
      last.other_failures.insert(last.other_failures.begin(), *last.root_cause);
      last.root_cause.reset();
    }
  }
  const bool explained = !report_.attempts.empty() && (report_.attempts.back().root_cause ||
                                                       !report_.attempts.back().reason.empty());
  if (!final_why_.empty() && !explained) report_.failure_reason = final_why_;
  hooks_.finish();
}

void NodeSession::close() {
  if (rdzv_) rdzv_->close();
}

}  // namespace dlaunch::agent
