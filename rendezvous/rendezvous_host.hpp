#pragma once
// RendezvousHost: the one place that decides, on the node that serves the store (node 0).
// It reads the members' inbox, welcomes agents, forms each round (who is a member, their node
// and global ranks), starts a clean worker epoch before it publishes a round's plan, watches
// heartbeats and the agents' connections, notices a round's stop, collects every member's
// result, decides restart or exit (round_policy.hpp) with the job-wide budget, and at the end
// waits (bounded) for every agent's goodbye so the store outlives the job everywhere.
//
// Works on any AsyncStore over the agent key space (the server's in-process LocalStore in
// dlaunch; a bare KeySpace in tests). Create with std::make_shared; handlers hold weak
// pointers. One io_context thread.

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "rendezvous/async_store.hpp"
#include "rendezvous/job_nodes.hpp"
#include "rendezvous/rendezvous_protocol.hpp"
#include "rendezvous/rendezvous_settings.hpp"
#include "rendezvous/round_end.hpp"
#include "rendezvous/round_policy.hpp"

namespace dlaunch::rendezvous {

class RendezvousHost : public std::enable_shared_from_this<RendezvousHost> {
 public:
  // What the host needs from the store server it runs beside (empty functions: nothing).
  struct Server {
    std::function<void()> begin_worker_epoch;
    std::function<void(const std::string& ip)> allow_worker_peer;
  };
  using LostNode = rendezvous::LostNode;
  using RoundEnd = rendezvous::RoundEnd;
  struct Events {
    std::function<void(const RoundEnd&)> round_ended;
    std::function<void()> closed;  // the job is over and every agent said goodbye (or timed out)
  };

  RendezvousHost(boost::asio::io_context& io, std::shared_ptr<AsyncStore> store,
                 RendezvousSettings settings, std::string self_id, Server server, Events events);

  void start();
  // An agent connection of the server closed; `endpoint` is its peer "ip:port".
  void connection_closed(const std::string& endpoint);
  // The host was told to stop while no round runs: the rendezvous ends with this error.
  void abort(const std::string& why, int code);
  // Stops every timer and wait (the store is going away).
  void close();

  int restarts_used() const { return restarts_used_; }
  // Who is in the job and how each node stands (no status documents: the caller adds them).
  JobNodes nodes_view() const;

 private:
  enum class Phase { kGathering, kRunning, kCollecting, kClosing, kClosed };
  using Clock = std::chrono::steady_clock;
  struct Agent {
    NodeInfo info;
    std::uint64_t seq = 0;
    std::string heartbeat;
    Clock::time_point last_seen;
    bool said_bye = false;
  };

  void wait_inbox();
  void pop_inbox();
  void handle(const std::string& message);
  void on_join(NodeInfo info);
  void on_result(RoundResult result);
  void on_bye(const std::string& id);
  void lost(const std::string& id, const std::string& why);

  void begin_gathering();
  void maybe_complete_round();
  void complete_round();
  void fail_round(const std::string& error, int code);
  void watch_stop(int round);
  void on_stop(StopReason reason);
  void write_stop(const StopReason& reason);
  void maybe_decide();
  void decide();
  void begin_closing();
  void maybe_closed();
  void finish_closed();

  void check_liveness();
  void arm(boost::asio::steady_timer& timer, std::chrono::milliseconds after,
           void (RendezvousHost::*handler)());
  void on_join_timeout();
  void on_last_call();
  void on_barrier_timeout();
  void on_collect_timeout();
  void on_liveness_tick();

  StopReason about(const NodeInfo& info, StopReason::Kind kind, std::string what) const;
  std::string missing_text() const;
  void set_json(const std::string& key, const nlohmann::json& value);

  boost::asio::io_context& io_;
  std::shared_ptr<AsyncStore> store_;
  RendezvousSettings settings_;
  std::string self_id_;
  Server server_;
  Events events_;

  Phase phase_ = Phase::kGathering;
  std::map<std::string, Agent> agents_;  // joined and not gone: members, spares, newcomers
  std::map<std::string, std::string> socket_owner_;  // "ip:port" -> agent id
  std::uint64_t next_seq_ = 0;
  int round_ = 0;
  RoundPlan plan_;
  std::map<std::string, RoundResult> results_;
  std::vector<LostNode> lost_;
  struct Gone {
    NodeInfo info;
    std::string why;
  };
  std::deque<Gone> gone_;  // the newest nodes that left or were lost, for nodes_view()
  std::optional<StopReason> stop_;
  int restarts_used_ = 0;
  bool last_call_armed_ = false;
  bool barrier_armed_ = false;
  std::string first_finished_;  // the node whose success armed the exit barrier

  boost::asio::steady_timer join_timer_, last_call_timer_, barrier_timer_, collect_timer_,
      close_timer_, liveness_timer_;
};

}  // namespace dlaunch::rendezvous
