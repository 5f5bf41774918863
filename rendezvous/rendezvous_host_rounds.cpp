// RendezvousHost, second half: forming a round, its end (stop, collect, decide) and the end of
// the job (goodbyes). The first half (rendezvous_host.cpp) reads the inbox and watches liveness.
#include <algorithm>

#include <fmt/format.h>

#include "rendezvous/logging.hpp"
#include "rendezvous/rendezvous_host.hpp"
#include "rendezvous/store_error.hpp"

namespace dlaunch::rendezvous {
namespace {

constexpr std::chrono::hours kLongWait{1};

std::string join_list(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

}  // namespace

// --- forming a round --------------------------------------------------------------------------

void RendezvousHost::begin_gathering() {
  phase_ = Phase::kGathering;
  last_call_armed_ = false;
  barrier_armed_ = false;
  arm(join_timer_, settings_.join_timeout, &RendezvousHost::on_join_timeout);
  maybe_complete_round();
}

void RendezvousHost::maybe_complete_round() {
  if (phase_ != Phase::kGathering) return;
  const int n = static_cast<int>(agents_.size());
  if (!settings_.dynamic) {
    if (n == settings_.max_nodes) complete_round();
    return;
  }
  if (n >= settings_.max_nodes) return complete_round();
  if (n < settings_.min_nodes) {
    if (last_call_armed_) last_call_timer_.cancel();
    last_call_armed_ = false;
    return;
  }
  // A restart goes ahead with whoever is there; the first round gives late nodes a last call.
  if (round_ > 0 || settings_.last_call_timeout.count() == 0) return complete_round();
  if (!last_call_armed_) {
    last_call_armed_ = true;
    arm(last_call_timer_, settings_.last_call_timeout, &RendezvousHost::on_last_call);
  }
}

void RendezvousHost::on_last_call() {
  if (phase_ == Phase::kGathering && static_cast<int>(agents_.size()) >= settings_.min_nodes) {
    complete_round();
  }
}

void RendezvousHost::on_join_timeout() {
  if (phase_ != Phase::kGathering) return;
  const int n = static_cast<int>(agents_.size());
  if (settings_.dynamic && n >= settings_.min_nodes) return complete_round();
  const std::string wanted = settings_.dynamic ? fmt::format("at least {}", settings_.min_nodes)
                                               : std::to_string(settings_.max_nodes);
  fail_round(fmt::format("the rendezvous timed out after {}: {} of {} nodes joined{}",
                         seconds_text(settings_.join_timeout), n, wanted, missing_text()),
             1);
}

std::string RendezvousHost::missing_text() const {
  std::vector<std::string> present;
  for (const auto& [id, agent] : agents_) present.push_back(agent.info.describe());
  std::string text = present.empty() ? "" : " (" + join_list(present) + ")";
  if (!settings_.dynamic) {
    std::vector<std::string> missing;
    for (int rank = 0; rank < settings_.max_nodes; ++rank) {
      const bool here = std::any_of(agents_.begin(), agents_.end(), [rank](const auto& entry) {
        return entry.second.info.node_rank == rank;
      });
      if (!here) missing.push_back(std::to_string(rank));
    }
    if (!missing.empty())
      text +=
          "; missing node rank" + std::string(missing.size() > 1 ? "s " : " ") + join_list(missing);
  }
  return text;
}

void RendezvousHost::complete_round() {
  join_timer_.cancel();
  last_call_timer_.cancel();
  last_call_armed_ = false;
  std::vector<Candidate> candidates;
  for (const auto& [id, agent] : agents_) {
    candidates.push_back(Candidate{agent.info, agent.seq, id == self_id_});
  }
  plan_ = RoundPlan{};
  plan_.round = round_;
  plan_.members = assign_node_ranks(std::move(candidates), settings_.dynamic, settings_.max_nodes);
  for (const auto& member : plan_.members) plan_.world_size += member.nproc;
  plan_.master_addr = settings_.endpoint.host;
  plan_.master_port = settings_.endpoint.port;
  results_.clear();
  lost_.clear();
  stop_.reset();
  // Every worker of the round must find a clean store: no key of an earlier attempt.
  if (server_.begin_worker_epoch) server_.begin_worker_epoch();
  set_json(rdzv_keys::plan(round_), to_json(plan_));
  phase_ = Phase::kRunning;
  std::vector<std::string> nodes;
  for (const auto& m : plan_.members) {
    nodes.push_back(
        fmt::format("{}={}({})", m.node_rank, m.addr.empty() ? m.hostname : m.addr, m.nproc));
  }
  log().info("rendezvous: round {} formed: {} node{}, {} workers [{}]{}", round_,
             plan_.members.size(), plan_.members.size() == 1 ? "" : "s", plan_.world_size,
             join_list(nodes),
             agents_.size() > plan_.members.size()
                 ? fmt::format(", {} spare", agents_.size() - plan_.members.size())
                 : "");
  watch_stop(round_);
}

void RendezvousHost::fail_round(const std::string& error, int code) {
  // Every member, this node's own included, reports the error as it exits.
  RoundPlan failed;
  failed.round = round_;
  failed.error = error;
  failed.error_code = code;
  set_json(rdzv_keys::plan(round_), to_json(failed));
  set_json(rdzv_keys::next(round_), to_json(NextStep{false, 0, code, error}));
  begin_closing();
}

// --- a round's end --------------------------------------------------------------------------

void RendezvousHost::watch_stop(int round) {
  store_->wait(
      {rdzv_keys::stop(round)}, kLongWait, [weak = weak_from_this(), round](std::error_code error) {
        auto self = weak.lock();
        if (!self || self->round_ != round || self->phase_ != Phase::kRunning) return;
        if (error == StoreError::kTimeout) return self->watch_stop(round);
        if (error) return;
        self->store_->get(
            rdzv_keys::stop(round), [weak, round](std::error_code error, std::string value) {
              auto self = weak.lock();
              if (error || !self || self->round_ != round || self->phase_ != Phase::kRunning) {
                return;
              }
              self->on_stop(stop_from_text(value));
            });
      });
}

void RendezvousHost::write_stop(const StopReason& reason) {
  store_->compare_set(rdzv_keys::stop(round_), "", to_json(reason).dump(),
                      [](std::error_code, std::string) {});
}

void RendezvousHost::on_stop(StopReason reason) {
  phase_ = Phase::kCollecting;
  barrier_timer_.cancel();
  if (reason.kind != StopReason::Kind::kDone) {
    log().warn("rendezvous: round {} stops: {}", round_, reason.describe());
  }
  stop_ = std::move(reason);
  // Members report once their workers are gone: SIGTERM, the grace, SIGKILL, the drain.
  arm(collect_timer_,
      settings_.shutdown_timeout + settings_.heartbeat_timeout + std::chrono::seconds(5),
      &RendezvousHost::on_collect_timeout);
  maybe_decide();
}

void RendezvousHost::on_collect_timeout() {
  if (phase_ != Phase::kCollecting) return;
  std::vector<std::string> silent;
  for (const auto& member : plan_.members) {
    if (!results_.count(member.id) && agents_.count(member.id)) silent.push_back(member.id);
  }
  for (const auto& id : silent) lost(id, "no report within the round's shutdown time");
}

void RendezvousHost::maybe_decide() {
  if (phase_ != Phase::kCollecting) return;
  for (const auto& member : plan_.members) {
    const bool accounted = results_.count(member.id) ||
                           std::any_of(lost_.begin(), lost_.end(), [&](const LostNode& node) {
                             return node.info.id == member.id;
                           });
    if (!accounted) return;
  }
  decide();
}

void RendezvousHost::decide() {
  collect_timer_.cancel();
  RoundOutcome outcome;
  outcome.stop = *stop_;
  outcome.all_succeeded = lost_.empty();
  for (const auto& [id, result] : results_) {
    outcome.all_succeeded = outcome.all_succeeded && result.succeeded;
    outcome.worker_failed = outcome.worker_failed || result.failed;
    if (result.signal && !outcome.signal) outcome.signal = result.signal;
  }
  outcome.member_lost = !lost_.empty();
  outcome.elastic = settings_.elastic();
  outcome.restarts_used = restarts_used_;
  outcome.max_restarts = settings_.max_restarts;
  const Decision decision = decide_after_round(outcome);
  if (decision.spends_budget) ++restarts_used_;

  RoundEnd end;
  end.plan = plan_;
  end.stop = *stop_;
  for (const auto& member : plan_.members) {
    if (auto it = results_.find(member.id); it != results_.end()) end.results.push_back(it->second);
  }
  end.lost = lost_;
  end.decision = decision;
  if (events_.round_ended) events_.round_ended(end);

  if (decision.restart) {
    log().warn("rendezvous: restarting every node in round {}{}", round_ + 1,
               decision.spends_budget
                   ? fmt::format(" ({}/{} restarts used)", restarts_used_, settings_.max_restarts)
                   : " (a membership change: no restart spent)");
    set_json(rdzv_keys::next(round_), to_json(NextStep{true, round_ + 1, 0, ""}));
    ++round_;
    begin_gathering();
  } else {
    set_json(rdzv_keys::next(round_), to_json(NextStep{false, 0, decision.code, decision.reason}));
    begin_closing();
  }
}

// --- the end ----------------------------------------------------------------------------------

void RendezvousHost::begin_closing() {
  phase_ = Phase::kClosing;
  for (auto* timer : {&join_timer_, &last_call_timer_, &barrier_timer_, &collect_timer_}) {
    timer->cancel();
  }
  arm(close_timer_, settings_.close_timeout, &RendezvousHost::finish_closed);
  maybe_closed();
}

void RendezvousHost::maybe_closed() {
  if (phase_ != Phase::kClosing) return;
  for (const auto& [id, agent] : agents_) {
    if (!agent.said_bye) return;
  }
  finish_closed();
}

void RendezvousHost::finish_closed() {
  if (phase_ == Phase::kClosed) return;
  std::vector<std::string> silent;
  for (const auto& [id, agent] : agents_) {
    if (!agent.said_bye) silent.push_back(agent.info.describe());
  }
  if (!silent.empty()) {
    log().warn("rendezvous: no goodbye from {} within {}; closing anyway", join_list(silent),
               seconds_text(settings_.close_timeout));
  }
  close();
  if (events_.closed) events_.closed();
}

void RendezvousHost::on_barrier_timeout() {
  if (phase_ != Phase::kRunning) return;
  std::vector<std::string> running;
  for (const auto& member : plan_.members) {
    if (!results_.count(member.id)) {
      running.push_back("node " + std::to_string(member.node_rank) + " (" + member.addr + ")");
    }
  }
  StopReason reason;
  reason.kind = StopReason::Kind::kBarrier;
  reason.what = fmt::format("{} still running {} after {} finished (exit_barrier_timeout)",
                            join_list(running), seconds_text(settings_.exit_barrier_timeout),
                            first_finished_);
  write_stop(reason);
}

}  // namespace dlaunch::rendezvous
