#pragma once
// Agent: runs one node's share of a job to the end. On node 0 it serves the workers' c10d
// store on MASTER_PORT for the whole job, with a clean key space for every attempt. It
// starts the worker group, restarts it after a failure while the restart budget lasts,
// forwards TERM/INT/HUP/QUIT to the workers, and at the end prints the summary, writes
// dlaunch_summary.json and returns the exit code. With several nodes (config.rendezvous) a
// NodeSession decides instead: rounds, ranks, restarts and the exit code come from the
// rendezvous, and a failure here or on any node stops every node's workers.
// One io_context, one thread; everything here runs on it.

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <memory>
#include <optional>

#include "agent/activity_board.hpp"
#include "agent/agent_config.hpp"
#include "agent/console.hpp"
#include "agent/job_activity.hpp"
#include "agent/job_events.hpp"
#include "agent/job_report.hpp"
#include "agent/node_session.hpp"
#include "agent/orphan_guard.hpp"
#include "agent/status_service.hpp"
#include "agent/worker_group.hpp"
#include "rendezvous/store_server.hpp"

namespace dlaunch::agent {

class Agent {
 public:
  // `console` is where workers' tagged lines go (dlaunch's stdout/stderr by default).
  Agent(boost::asio::io_context& io, AgentConfig config, Console console = {});

  // Runs the io_context until the job is over. Returns dlaunch's exit code.
  int run();
  // Stops the job as a TERM/INT/HUP/QUIT to dlaunch does: `sig` is forwarded to the workers,
  // then the stop sequence (on several nodes, every node stops); a second call kills at once.
  // For callers on the agent's thread (e.g. the ssh fan-out when its connection closes).
  void request_stop(int sig);
  const JobReport& report() const { return report_; }
  // What every rank of this node is doing (the hang detector's and the status view's model).
  ActivityBoard& activity() { return *board_; }
  // The job-wide view: this node's rows after every sample (and, on the node that serves the
  // store, every other node's as they publish them).
  const JobActivity& job_activity() const { return job_activity_; }
  // The lifecycle as events, counts and phase; other parts record their events through it.
  JobEvents& events() { return events_; }
  // The HTTP endpoints (status, metrics, probes, the page); others add routes (before run()).
  StatusService& status() { return *status_; }

 private:
  void start_attempt(int attempt);
  void on_attempt_done(AttemptResult result);
  void on_signal(int sig);
  void wait_for_signal();
  void finish();
  // Binds MASTER_PORT (port 0 on loopback for --standalone). False when it cannot.
  bool serve_store();
  void start_status();
  // The store this node serves, if any (single node: its own; several: the rendezvous host's).
  rendezvous::StoreServer* served_store() const;
  StatusInputs status_inputs(bool job_scope, JobActivity& scratch) const;
  std::vector<NodeRow> node_rows() const;
  std::string status_url() const;

  boost::asio::io_context& io_;
  AgentConfig config_;
  Console console_;
  std::optional<OrphanGuard> guard_;
  boost::asio::signal_set signals_;
  JobEvents events_;
  // Before store_ and session_: their HTTP services call into it until they close.
  std::unique_ptr<StatusService> status_;
  std::unique_ptr<rendezvous::StoreServer> store_;  // on the node that serves MASTER_PORT
  std::shared_ptr<WorkerGroup> group_;
  std::shared_ptr<NodeSession> session_;  // several nodes
  JobReport report_;
  std::shared_ptr<ActivityBoard> board_;
  JobActivity job_activity_;
  bool finished_ = false;
};

}  // namespace dlaunch::agent
