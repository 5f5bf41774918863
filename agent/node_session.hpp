#pragma once
// NodeSession: one node's part in a job of several nodes, whatever the rendezvous backend
// (rendezvous/rendezvous.hpp): each round's plan becomes this node's ranks and an attempt of its
// workers, the first local failure becomes the round's stop (every node stops at once), the
// attempt's records go to the leader, and the leader's decision becomes a restart or the exit
// code. On the leader it also builds the job-wide report (every node's ranks) for the summary.
//
// The agent owns it and drives its workers through Hooks; it calls back local_failure,
// attempt_done and signalled. Other parts of the agent reach the leader's direct channel
// (status documents, the job's nodes, requests to every node) through rendezvous().
// Create with std::make_shared. Agent thread only.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "agent/agent_config.hpp"
#include "agent/job_report.hpp"
#include "agent/worker_group.hpp"
#include "rendezvous/rendezvous.hpp"

namespace dlaunch::agent {

class NodeSession : public std::enable_shared_from_this<NodeSession> {
 public:
  struct Hooks {
    std::function<void(int attempt)> start_workers;  // with the config as the round set it
    std::function<void()> stop_workers;              // the round ended elsewhere
    std::function<bool()> workers_running;
    std::function<void()> finish;  // the job is over here; the report is final
  };

  NodeSession(boost::asio::io_context& io, AgentConfig& config, JobReport& report, Hooks hooks);

  void start();
  // The first failure of this node's attempt (the root cause here).
  void local_failure(const WorkerRecord& root_cause);
  // Every worker of the attempt is gone.
  void attempt_done(const AttemptResult& result);
  // The agent was told to stop (TERM, INT, HUP, QUIT or request_stop).
  void signalled(int sig);
  void close();

  // The rendezvous this node takes part in (null before start()).
  rendezvous::Rendezvous* rendezvous() { return rdzv_.get(); }
  bool is_leader() const { return rdzv_ && rdzv_->is_leader(); }
  // The workers' store this node serves while it leads, or null.
  rendezvous::StoreServer* store_server() const { return rdzv_ ? rdzv_->served_store() : nullptr; }

 private:
  void on_round_started(const rendezvous::RoundPlan& plan, const rendezvous::PlanMember& me);
  void on_round_stopped(const rendezvous::StopReason& reason);
  void on_finished(int code, const std::string& why);
  void on_round_ended(const rendezvous::RoundEnd& end);
  void maybe_finish();
  void report_signal(int sig);
  rendezvous::NodeInfo self_info() const;

  boost::asio::io_context& io_;
  AgentConfig& config_;
  JobReport& report_;
  Hooks hooks_;
  std::shared_ptr<rendezvous::Rendezvous> rdzv_;

  std::optional<rendezvous::StopReason> stop_;  // why this node's current round ended
  std::vector<AttemptResult> job_attempts_;     // leader: every node's ranks, round by round
  std::optional<int> signal_;
  std::string leave_what_;  // why this node left outside a round (already logged)
  std::optional<int> final_code_;
  std::string final_why_;
  bool rdzv_closed_ = false;
  bool finished_ = false;
  std::optional<int> deferred_round_;  // a plan that came while the last workers were stopping
};

}  // namespace dlaunch::agent
