#include "rendezvous/rendezvous_host.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "rendezvous/logging.hpp"
#include "rendezvous/store_error.hpp"

namespace dlaunch::rendezvous {
namespace {

// Waits that have no deadline of their own are re-armed after this long.
constexpr std::chrono::hours kLongWait{1};
// Lost and departed nodes nodes_view() still shows.
constexpr std::size_t kGoneKept = 64;

}  // namespace

RendezvousHost::RendezvousHost(boost::asio::io_context& io, std::shared_ptr<AsyncStore> store,
                               RendezvousSettings settings, std::string self_id, Server server,
                               Events events)
    : io_(io),
      store_(std::move(store)),
      settings_(std::move(settings)),
      self_id_(std::move(self_id)),
      server_(std::move(server)),
      events_(std::move(events)),
      join_timer_(io),
      last_call_timer_(io),
      barrier_timer_(io),
      collect_timer_(io),
      close_timer_(io),
      liveness_timer_(io) {}

void RendezvousHost::start() {
  wait_inbox();
  arm(liveness_timer_, settings_.keep_alive_interval, &RendezvousHost::on_liveness_tick);
  begin_gathering();
}

void RendezvousHost::close() {
  phase_ = Phase::kClosed;
  for (auto* timer : {&join_timer_, &last_call_timer_, &barrier_timer_, &collect_timer_,
                      &close_timer_, &liveness_timer_}) {
    timer->cancel();
  }
}

void RendezvousHost::arm(boost::asio::steady_timer& timer, std::chrono::milliseconds after,
                         void (RendezvousHost::*handler)()) {
  timer.expires_after(after);
  timer.async_wait([weak = weak_from_this(), handler](const boost::system::error_code& error) {
    auto self = weak.lock();
    if (error || !self || self->phase_ == Phase::kClosed) return;
    ((*self).*handler)();
  });
}

void RendezvousHost::set_json(const std::string& key, const nlohmann::json& value) {
  store_->set(key, value.dump(), [](std::error_code) {});
}

// --- the inbox ------------------------------------------------------------------------------

void RendezvousHost::wait_inbox() {
  store_->wait({rdzv_keys::inbox()}, kLongWait, [weak = weak_from_this()](std::error_code error) {
    auto self = weak.lock();
    if (!self || self->phase_ == Phase::kClosed) return;
    if (error == StoreError::kTimeout) return self->wait_inbox();
    if (error) return;  // the store closed
    self->pop_inbox();
  });
}

void RendezvousHost::pop_inbox() {
  store_->queue_pop(
      rdzv_keys::inbox(),
      [weak = weak_from_this()](std::error_code error, std::optional<std::string> message) {
        auto self = weak.lock();
        if (!self || self->phase_ == Phase::kClosed || error) return;
        if (!message) return self->wait_inbox();
        self->handle(*message);
        self->pop_inbox();
      });
}

void RendezvousHost::handle(const std::string& message) {
  try {
    const auto j = nlohmann::json::parse(message);
    const auto type = j.at("t").get<std::string>();
    if (type == "join") return on_join(node_info_from_json(j));
    if (type == "result") return on_result(result_from_json(j));
    if (type == "bye") return on_bye(j.at("id").get<std::string>());
    log().warn("rendezvous: ignoring a message of unknown type '{}'", type);
  } catch (const std::exception& e) {
    log().warn("rendezvous: ignoring a malformed message: {}", e.what());
  }
}

void RendezvousHost::on_join(NodeInfo info) {
  Welcome welcome;
  const auto refuse = [&](std::string why) {
    log().warn("rendezvous: refusing {}: {}", info.describe(), why);
    welcome.error = std::move(why);
    set_json(rdzv_keys::welcome(info.id), to_json(welcome));
  };
  if (phase_ == Phase::kClosing || phase_ == Phase::kClosed) {
    return refuse("the job is over");
  }
  if (info.run_id != settings_.run_id) {
    return refuse(fmt::format("this rendezvous serves run id '{}', not '{}' (--rdzv_id)",
                              settings_.run_id, info.run_id));
  }
  if (agents_.count(info.id)) return;  // a repeated join
  if (info.nnodes != settings_.nnodes_text()) {
    return refuse("this job runs --nnodes " + settings_.nnodes_text() + ", this node says " +
                  info.nnodes);
  }
  if (!settings_.dynamic) {
    if (info.node_rank < 0 || info.node_rank >= settings_.max_nodes) {
      return refuse(fmt::format("node rank {} is out of range for --nnodes {}", info.node_rank,
                                settings_.max_nodes));
    }
    for (const auto& [id, agent] : agents_) {
      if (agent.info.node_rank == info.node_rank) {
        return refuse(fmt::format("node rank {} is already taken by {}", info.node_rank,
                                  agent.info.describe()));
      }
    }
  }
  Agent agent;
  agent.info = info;
  agent.seq = next_seq_++;
  agent.last_seen = Clock::now();
  for (const auto& socket : info.sockets) socket_owner_[socket] = info.id;
  if (!info.peer_ip.empty() && server_.allow_worker_peer) server_.allow_worker_peer(info.peer_ip);
  agents_.emplace(info.id, std::move(agent));

  welcome.round = round_;
  welcome.wait_next = phase_ != Phase::kGathering;
  set_json(rdzv_keys::welcome(info.id), to_json(welcome));
  log().info("rendezvous: {} joined{} ({} agent{} here)", info.describe(),
             welcome.wait_next ? fmt::format(" during round {}", round_) : "", agents_.size(),
             agents_.size() == 1 ? "" : "s");

  if (phase_ == Phase::kRunning && settings_.dynamic &&
      static_cast<int>(plan_.members.size()) < settings_.max_nodes) {
    // A bigger world is possible: every member restarts into it (free of the budget).
    write_stop(about(info, StopReason::Kind::kJoined, "joined"));
  }
  maybe_complete_round();
}

void RendezvousHost::on_result(RoundResult result) {
  if (result.round != round_ || !plan_.find(result.id) ||
      (phase_ != Phase::kRunning && phase_ != Phase::kCollecting)) {
    return;
  }
  const auto* member = plan_.find(result.id);
  const bool ok = result.succeeded;
  const auto signal = result.signal;
  const bool failed = result.failed;
  results_[result.id] = std::move(result);
  if (phase_ == Phase::kCollecting) return maybe_decide();

  const auto it = agents_.find(member->id);
  const NodeInfo info = it != agents_.end() ? it->second.info : NodeInfo{};
  if (signal || !ok) {
    // Its own stop key write normally came first; this covers a result that overtook it.
    auto reason = signal
                      ? about(info, StopReason::Kind::kSignal, "signal " + std::to_string(*signal))
                      : about(info, StopReason::Kind::kFailure,
                              failed ? "a worker failed" : "its workers stopped");
    reason.code = signal ? 128 + *signal : 1;
    write_stop(reason);
  } else if (results_.size() == plan_.members.size()) {
    StopReason done;
    done.kind = StopReason::Kind::kDone;
    write_stop(done);
  } else if (!barrier_armed_) {
    barrier_armed_ = true;
    first_finished_ = info.describe();
    arm(barrier_timer_, settings_.exit_barrier_timeout, &RendezvousHost::on_barrier_timeout);
  }
}

void RendezvousHost::on_bye(const std::string& id) {
  const auto it = agents_.find(id);
  if (it == agents_.end()) return;
  if (phase_ == Phase::kClosing) {
    it->second.said_bye = true;
    return maybe_closed();
  }
  lost(id, "it left");
}

void RendezvousHost::lost(const std::string& id, const std::string& why) {
  if (id == self_id_ || phase_ == Phase::kClosed) return;
  const auto it = agents_.find(id);
  if (it == agents_.end()) return;
  const NodeInfo info = it->second.info;
  agents_.erase(it);
  std::erase_if(socket_owner_, [&](const auto& entry) { return entry.second == id; });
  gone_.push_back(Gone{info, why});
  if (gone_.size() > kGoneKept) gone_.pop_front();
  if (phase_ == Phase::kClosing) return maybe_closed();

  const auto* member = plan_.find(id);
  const bool in_round =
      member && (phase_ == Phase::kRunning || phase_ == Phase::kCollecting) && !results_.count(id);
  if (in_round) {
    NodeInfo shown = info;
    shown.node_rank = member->node_rank;
    log().warn("rendezvous: {} lost: {}", shown.describe(), why);
    lost_.push_back(LostNode{shown, member->node_rank, why});
    if (phase_ == Phase::kRunning) {
      write_stop(about(shown, StopReason::Kind::kLost, why));
    } else {
      maybe_decide();
    }
  } else {
    log().info("rendezvous: {} left: {}", info.describe(), why);
    maybe_complete_round();
  }
}

void RendezvousHost::connection_closed(const std::string& endpoint) {
  const auto it = socket_owner_.find(endpoint);
  if (it == socket_owner_.end()) return;
  const std::string id = it->second;
  if (phase_ == Phase::kClosing) return on_bye(id);
  lost(id, "its connection to the host closed");
}

void RendezvousHost::abort(const std::string& why, int code) {
  if (phase_ == Phase::kGathering) fail_round(why, code);
}

// --- liveness ---------------------------------------------------------------------------------

void RendezvousHost::on_liveness_tick() {
  check_liveness();
  arm(liveness_timer_, settings_.keep_alive_interval, &RendezvousHost::on_liveness_tick);
}

void RendezvousHost::check_liveness() {
  std::vector<std::string> ids, keys;
  for (const auto& [id, agent] : agents_) {
    if (id == self_id_) continue;
    ids.push_back(id);
    keys.push_back(rdzv_keys::heartbeat(id));
  }
  if (ids.empty()) return;
  store_->multi_get(keys, [weak = weak_from_this(), ids](std::error_code error,
                                                         std::vector<std::string> values) {
    auto self = weak.lock();
    if (error || !self || self->phase_ == Phase::kClosed || values.size() != ids.size()) return;
    const auto now = Clock::now();
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const auto it = self->agents_.find(ids[i]);
      if (it == self->agents_.end()) continue;
      auto& agent = it->second;
      if (values[i] != agent.heartbeat) {
        agent.heartbeat = values[i];
        agent.last_seen = now;
      } else if (now - agent.last_seen > self->settings_.heartbeat_timeout && !agent.said_bye) {
        self->lost(ids[i], "no heartbeat for " + seconds_text(self->settings_.heartbeat_timeout));
      }
    }
  });
}

JobNodes RendezvousHost::nodes_view() const {
  JobNodes view;
  view.round = round_;
  switch (phase_) {
    case Phase::kGathering:
      view.phase = "gathering";
      break;
    case Phase::kRunning:
      view.phase = "running";
      break;
    case Phase::kCollecting:
      view.phase = "stopping";
      break;
    case Phase::kClosing:
    case Phase::kClosed:
      view.phase = "closing";
      break;
  }
  view.restarts_used = restarts_used_;
  view.max_restarts = settings_.max_restarts;
  view.min_nodes = settings_.min_nodes;
  view.max_nodes = settings_.max_nodes;
  const bool round_runs = phase_ == Phase::kRunning || phase_ == Phase::kCollecting;
  const auto now = Clock::now();
  const auto age = [&](const Agent& agent) {
    if (agent.info.id == self_id_) return std::chrono::milliseconds(0);  // the leader itself
    return std::chrono::duration_cast<std::chrono::milliseconds>(now - agent.last_seen);
  };
  std::vector<const Agent*> others;
  for (const auto& [id, agent] : agents_) {
    const auto* member = round_runs ? plan_.find(id) : nullptr;
    if (!member) {
      others.push_back(&agent);
      continue;
    }
    NodeView node;
    node.info = agent.info;
    node.node_rank = member->node_rank;
    node.state = NodeView::State::kMember;
    node.last_seen_age = age(agent);
    view.nodes.push_back(std::move(node));
  }
  std::sort(view.nodes.begin(), view.nodes.end(),
            [](const NodeView& a, const NodeView& b) { return a.node_rank < b.node_rank; });
  std::sort(others.begin(), others.end(),
            [](const Agent* a, const Agent* b) { return a->seq < b->seq; });
  const bool full = static_cast<int>(plan_.members.size()) >= settings_.max_nodes;
  for (const auto* agent : others) {
    NodeView node;
    node.info = agent->info;
    node.state = round_runs && full ? NodeView::State::kSpare : NodeView::State::kJoining;
    node.last_seen_age = age(*agent);
    view.nodes.push_back(std::move(node));
  }
  for (auto it = gone_.rbegin(); it != gone_.rend(); ++it) {
    NodeView node;
    node.info = it->info;
    node.state = NodeView::State::kLost;
    node.lost_why = it->why;
    view.nodes.push_back(std::move(node));
  }
  return view;
}

StopReason RendezvousHost::about(const NodeInfo& info, StopReason::Kind kind,
                                 std::string what) const {
  StopReason reason;
  reason.kind = kind;
  const auto* member = plan_.find(info.id);
  reason.node_rank = member ? member->node_rank : info.node_rank;
  reason.hostname = info.hostname;
  reason.addr = info.addr;
  reason.what = std::move(what);
  return reason;
}

}  // namespace dlaunch::rendezvous
