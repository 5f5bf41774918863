#pragma once
// RendezvousMember: one agent's side of the rendezvous (every node has one, the host's own
// included). It joins, waits for each round's plan, stop and next step on its watch store
// (one WAIT at a time, in that order), heartbeats on its calls store, and tells its agent
// what to do through Events. The agent reports back the first local failure (report_stop:
// the round's stop key, so every other node hears of it at once) and, once its workers are
// gone, the round's result.
//
// The host is declared lost when a connection to it closes or a heartbeat goes unanswered for
// heartbeat_timeout; then `finished` runs with code 1 and the reason. `finished` runs once.
//
// `calls` never waits (heartbeats and writes stay prompt); `watch` holds the waits. On the
// host both are LocalStores. Create with std::make_shared. One io_context thread.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "rendezvous/async_store.hpp"
#include "rendezvous/rendezvous_protocol.hpp"
#include "rendezvous/rendezvous_settings.hpp"

namespace dlaunch::rendezvous {

class RendezvousMember : public std::enable_shared_from_this<RendezvousMember> {
 public:
  struct Events {
    // This node is a member of `plan`'s round: start its workers.
    std::function<void(const RoundPlan& plan, const PlanMember& me)> round_started;
    // The round ends (a failure anywhere, a lost or new node, success): stop the workers.
    std::function<void(const StopReason& reason)> round_stopped;
    // The job is over for this node: exit with `code`; `why` is empty on success.
    std::function<void(int code, const std::string& why)> finished;
  };

  RendezvousMember(boost::asio::io_context& io, std::shared_ptr<AsyncStore> calls,
                   std::shared_ptr<AsyncStore> watch, RendezvousSettings settings, NodeInfo self,
                   Events events);

  void join();
  // The first failure on this node, or a signal to its agent: ends the round everywhere.
  void report_stop(const StopReason& reason);
  // This node's account of the round, once its workers are all gone.
  void report_result(RoundResult result);
  // Says goodbye outside a round (the agent was told to stop); `done` runs once it is sent.
  void leave(std::function<void()> done);
  // Stops heartbeats and waits; no event runs afterwards.
  void close();

  const NodeInfo& self() const { return self_; }
  int round() const { return round_; }
  bool finished() const { return phase_ == Phase::kFinished; }
  // A member of the current round, until the host's next step.
  bool in_round() const { return phase_ == Phase::kInRound || phase_ == Phase::kStopped; }

 private:
  enum class Phase { kJoining, kWaitPlan, kInRound, kStopped, kSpare, kFinished };

  void wait_welcome();
  void wait_plan(int round);
  void wait_stop(int round);
  void wait_next(int round);
  // Waits for `key`, then reads it; re-arms after `timeout` when `forever`.
  void watch(const std::string& key, std::chrono::milliseconds timeout, bool forever,
             std::function<bool()> still_wanted, std::function<void(std::string)> got,
             std::function<void()> timed_out);
  void heartbeat();
  void host_lost(const std::string& why);
  void finish(int code, const std::string& why);

  boost::asio::io_context& io_;
  std::shared_ptr<AsyncStore> calls_, watch_;
  RendezvousSettings settings_;
  NodeInfo self_;
  Events events_;
  Phase phase_ = Phase::kJoining;
  int round_ = 0;
  boost::asio::steady_timer heartbeat_timer_;
  bool heartbeat_outstanding_ = false;
  std::chrono::steady_clock::time_point heartbeat_sent_;
};

}  // namespace dlaunch::rendezvous
