#pragma once
// Rendezvous: how one node's agent takes part in a job of several nodes, whatever the backend.
// The agent (agent/node_session.*) uses only this interface; make_rendezvous() picks the
// implementation from RendezvousSettings::backend:
//   * built-in (static, c10d): one agent serves the workers' store and the rendezvous on one
//     port (builtin_rendezvous.*);
//   * etcd: agents meet in etcd; the elected leader serves the workers' store; the job survives
//     the leader's loss (etcd_rendezvous.*).
//
// What the agent sees is the same for both: rounds (start your workers with this plan; stop
// them; the job is over with this code), the first local failure reported as the round's stop
// (every node stops at once), the round's result once the workers are gone. On the leader,
// round_ended gives every node's records of each round it decided (the job-wide summary).
//
// The leader's direct channel, the same for both backends (the etcd backend keeps etcd traffic
// to leases and membership): every node may publish a small status document, which the leader
// holds in its view of the job's nodes, and the leader may ask every node a question and
// gather the answers within a deadline.
//
// Create with make_rendezvous() (shared ownership; handlers hold weak pointers). Everything runs
// on the agent's io_context thread; events run on it, never inside a call of this interface.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "rendezvous/job_nodes.hpp"
#include "rendezvous/rendezvous_protocol.hpp"
#include "rendezvous/rendezvous_settings.hpp"
#include "rendezvous/round_end.hpp"

namespace dlaunch::rendezvous {

class StoreServer;

class Rendezvous {
 public:
  struct Events {
    // This node is a member of `plan`'s round: start its workers. (`plan.members` may list only
    // this node: the leader alone holds the whole plan.)
    std::function<void(const RoundPlan& plan, const PlanMember& me)> round_started;
    // The round ends (a failure anywhere, a lost or new node, success): stop the workers.
    std::function<void(const StopReason& reason)> round_stopped;
    // The job is over for this node: exit with `code`; `why` is empty on success. Runs once.
    std::function<void(int code, const std::string& why)> finished;
    // Nothing more needs this process (after `finished`; on the leader, once every node said
    // goodbye or close_timeout passed): the agent may exit. Runs once.
    std::function<void()> closed;
    // Leader only: a round this node's leadership decided, with every member's result.
    std::function<void(const RoundEnd& end)> round_ended;
    // This node became the leader (true) or stopped being it (false).
    std::function<void(bool leader)> leadership_changed;
  };

  // A request from the leader's broadcast_request(): answer it by calling `reply` once, before
  // `deadline` (later answers are dropped). `reply` may be called from a later handler on the
  // loop (capture stacks, then answer).
  using Reply = std::function<void(nlohmann::json answer)>;
  using RequestHandler = std::function<void(
      const nlohmann::json& request, std::chrono::steady_clock::time_point deadline, Reply reply)>;
  // Answers by node id (NodeInfo::id); nodes that did not answer in time are absent.
  using Answers = std::map<std::string, nlohmann::json>;

  virtual ~Rendezvous() = default;

  // Joins: the first event comes later.
  virtual void start() = 0;
  // The first failure on this node, or a signal to its agent, while in a round: ends the round
  // on every node.
  virtual void report_stop(const StopReason& reason) = 0;
  // This node's account of the round, once its workers are all gone.
  virtual void report_result(RoundResult result) = 0;
  // The agent was told to stop outside a round: this node leaves the rendezvous (the leader, or
  // the built-in host, ends it for every node with `code`). `finished(code, ...)` follows.
  // `what` says why ("received SIGTERM").
  virtual void leave(int code, const std::string& what) = 0;
  // Stops every timer, wait and connection; no event runs afterwards.
  virtual void close() = 0;

  // This node's description; `addr` is known once joined.
  virtual const NodeInfo& self() const = 0;
  // A member of the current round, until the leader's next step.
  virtual bool in_round() const = 0;
  // `finished` has run.
  virtual bool finished() const = 0;
  // This node leads the job now (serves the workers' store and decides rounds).
  virtual bool is_leader() const = 0;
  // The workers' store this node serves while it leads (null otherwise): the agent serves its
  // status routes on its port. With a backend whose leader can change, it changes with
  // leadership_changed.
  virtual StoreServer* served_store() const = 0;

  // --- the leader's direct channel ------------------------------------------------------------

  // Hands the leader a small JSON document describing this node's ranks. Best effort, latest
  // wins: documents published while one is on its way replace each other, so calling this often
  // costs one document in flight. Never delays heartbeats or leases (its own connection).
  virtual void publish_node_status(nlohmann::json doc) = 0;
  // Leader only (nullopt elsewhere): every node of the job, its state, last seen age and status
  // document, with the round and the restart budget (job_nodes.hpp).
  virtual std::optional<JobNodes> nodes_view() const = 0;
  // Leader only: sends `request` to every node of the job (this one included) and calls `done`
  // once all have answered or `deadline` has passed, with the answers that came. Returns false
  // (and never calls `done`) when this node is not the leader.
  virtual bool broadcast_request(nlohmann::json request, std::chrono::milliseconds deadline,
                                 std::function<void(Answers)> done) = 0;
  // How this node answers the leader's requests; without a handler it answers nothing.
  virtual void set_request_handler(RequestHandler handler) = 0;
};

// The implementation `settings.backend` names. `self` is this node's description before it
// joins (id, run, host name, nproc, node rank); the backend fills in addresses.
std::shared_ptr<Rendezvous> make_rendezvous(boost::asio::io_context& io,
                                            RendezvousSettings settings, NodeInfo self,
                                            Rendezvous::Events events);

}  // namespace dlaunch::rendezvous
