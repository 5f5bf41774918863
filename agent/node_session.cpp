#include "agent/node_session.hpp"

#include <unistd.h>

#include <random>
#include <system_error>

#include "agent/exit_status.hpp"
#include "agent/logging.hpp"
#include "agent/node_results.hpp"
#include "rendezvous/check.hpp"
#include "rendezvous/local_address.hpp"
#include "rendezvous/store_error.hpp"

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

std::string endpoint_text(const asio::ip::tcp::endpoint& endpoint) {
  return rendezvous::unmapped(endpoint.address()).to_string() + ":" +
         std::to_string(endpoint.port());
}

}  // namespace

NodeSession::NodeSession(asio::io_context& io, AgentConfig& config, JobReport& report, Hooks hooks)
    : io_(io), config_(config), report_(report), hooks_(std::move(hooks)) {
  DLAUNCH_CHECK(config_.rendezvous.has_value());
  settings_ = *config_.rendezvous;
}

rendezvous::NodeInfo NodeSession::self_info() const {
  rendezvous::NodeInfo self;
  self.id = make_agent_id(config_.hostname);
  self.run_id = settings_.run_id;
  self.hostname = config_.hostname;
  self.addr = settings_.local_addr;
  self.nproc = config_.nproc_per_node;
  self.nnodes = settings_.nnodes_text();
  self.node_rank = settings_.dynamic ? -1 : settings_.node_rank;
  return self;
}

void NodeSession::start() {
  const bool host =
      settings_.dynamic
          ? settings_.is_host.value_or(rendezvous::is_this_host(settings_.endpoint.host))
          : settings_.node_rank == 0;
  if (host && serve()) return;
  if (finished_ || final_code_) return;
  if (settings_.endpoint.port == 0) {
    return fail("the rendezvous endpoint " + settings_.endpoint.to_string() +
                    " has port 0: only the node that serves may pick a free port",
                1);
  }
  connect();
}

bool NodeSession::serve() {
  const bool v6 = settings_.endpoint.host.find(':') != std::string::npos;
  const rendezvous::Endpoint bind{v6 ? "::" : "0.0.0.0", settings_.endpoint.port};
  try {
    server_ = std::make_unique<rendezvous::StoreServer>(
        io_, bind, rendezvous::StoreServerOptions{settings_.token});
  } catch (const std::system_error& e) {
    if (settings_.dynamic && !settings_.is_host && e.code() == std::errc::address_in_use) {
      // The endpoint is this machine, but another agent on it serves already: join it.
      log().info("another agent serves {}; joining it", settings_.endpoint.to_string());
      return false;
    }
    fail(e.what(), 1);
    return true;
  }
  settings_.endpoint.port = server_->port();
  config_.master_port = server_->port();
  log().info("serving the workers' store and the rendezvous on {} (run {}, {} node{})",
             settings_.endpoint.to_string(), settings_.run_id,
             settings_.elastic()
                 ? std::to_string(settings_.min_nodes) + ":" + std::to_string(settings_.max_nodes)
                 : std::to_string(settings_.max_nodes),
             settings_.max_nodes == 1 ? "" : "s");
  if (!settings_.token.empty()) {
    // Workers' store connections: loopback, this machine, and the agents that join.
    server_->restrict_worker_peers(rendezvous::local_addresses());
  }
  auto self = self_info();
  if (self.addr.empty()) self.addr = settings_.endpoint.host;
  rendezvous::RendezvousHost::Server hooks;
  hooks.begin_worker_epoch = [this] { server_->begin_worker_epoch(); };
  hooks.allow_worker_peer = [this](const std::string& ip) {
    boost::system::error_code error;
    const auto address = asio::ip::make_address(ip, error);
    if (!error) server_->allow_worker_peer(address);
  };
  std::weak_ptr<NodeSession> weak = weak_from_this();
  host_ = std::make_shared<rendezvous::RendezvousHost>(
      io_, server_->agent_store(), settings_, self.id, hooks,
      rendezvous::RendezvousHost::Events{[weak](const rendezvous::RendezvousHost::RoundEnd& end) {
                                           if (auto session = weak.lock())
                                             session->on_round_ended(end);
                                         },
                                         [weak] {
                                           if (auto session = weak.lock()) {
                                             session->host_closed_ = true;
                                             session->maybe_finish();
                                           }
                                         }});
  // A killed agent's connection closes at once: faster than any missed heartbeat.
  server_->set_agent_observer([weak](const asio::ip::tcp::endpoint& peer, bool open) {
    auto session = weak.lock();
    if (!open && session && session->host_) session->host_->connection_closed(endpoint_text(peer));
  });
  host_->start();
  begin(std::move(self), server_->agent_store(), server_->agent_store());
  return true;
}

void NodeSession::connect() {
  rendezvous::StoreClient::Options options;
  options.agent = true;
  options.agent_token = settings_.token;
  options.connect_timeout = settings_.join_timeout;
  calls_ = rendezvous::StoreClient::create(io_, options);
  watch_ = rendezvous::StoreClient::create(io_, options);
  log().info("joining the rendezvous at {} (run {})", settings_.endpoint.to_string(),
             settings_.run_id);
  for (const auto& client : {calls_, watch_}) {
    client->connect(settings_.endpoint, [weak = weak_from_this()](std::error_code error) {
      auto self = weak.lock();
      if (!self || self->finished_ || self->final_code_) return;
      if (error == rendezvous::StoreError::kRefused) {
        return self->fail("the rendezvous host " + self->settings_.endpoint.to_string() +
                              " refused this node's job token (--rdzv_token or DLAUNCH_RDZV_TOKEN)",
                          1);
      }
      if (error) {
        return self->fail("cannot reach the rendezvous host " +
                              self->settings_.endpoint.to_string() + " within join_timeout (" +
                              rendezvous::seconds_text(self->settings_.join_timeout) +
                              "): " + error.message(),
                          1);
      }
      if (++self->connected_ == 2) self->on_connected();
    });
  }
}

void NodeSession::on_connected() {
  auto self = self_info();
  const auto local = calls_->local_endpoint();
  self.peer_ip = rendezvous::unmapped(local.address()).to_string();
  if (self.addr.empty()) self.addr = self.peer_ip;
  self.sockets = {endpoint_text(local), endpoint_text(watch_->local_endpoint())};
  begin(std::move(self), calls_, watch_);
}

void NodeSession::begin(rendezvous::NodeInfo self, std::shared_ptr<rendezvous::AsyncStore> calls,
                        std::shared_ptr<rendezvous::AsyncStore> watch) {
  std::weak_ptr<NodeSession> weak = weak_from_this();
  member_ = std::make_shared<rendezvous::RendezvousMember>(
      io_, std::move(calls), std::move(watch), settings_, std::move(self),
      rendezvous::RendezvousMember::Events{
          [weak](const rendezvous::RoundPlan& plan, const rendezvous::PlanMember& me) {
            if (auto session = weak.lock()) session->on_round_started(plan, me);
          },
          [weak](const StopReason& reason) {
            if (auto session = weak.lock()) session->on_round_stopped(reason);
          },
          [weak](int code, const std::string& why) {
            if (auto session = weak.lock()) session->on_finished(code, why);
          }});
  member_->join();
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
  if (!member_) return;
  StopReason reason;
  reason.kind = StopReason::Kind::kFailure;
  reason.node_rank = config_.node_rank;
  reason.hostname = config_.hostname;
  reason.addr = member_->self().addr;
  reason.rank = root_cause.rank;
  reason.local_rank = root_cause.local_rank;
  reason.code = root_cause.status ? root_cause.status->shell_code() : 1;
  reason.what = root_cause.status ? root_cause.status->describe() : "failed";
  member_->report_stop(reason);
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
  member_->report_result(std::move(round));
}

void NodeSession::signalled(int sig) {
  const std::string what = signal_name(sig);
  if (signal_) {
    // Told twice: whatever is left to wait for, stop waiting.
    if (!hooks_.workers_running() && !finished_) {
      final_code_ = final_code_.value_or(128 + sig);
      if (final_why_.empty()) final_why_ = "received " + what;
      host_closed_ = true;
      maybe_finish();
    }
    return;
  }
  signal_ = sig;
  if (!member_) return fail("received " + what + " before the rendezvous", 128 + sig);
  if (member_->finished()) return;  // the end is decided; the workers already got the signal
  if (member_->in_round()) return report_signal(sig);
  if (host_) return host_->abort("the rendezvous host received " + what, 128 + sig);
  member_->leave([weak = weak_from_this(), sig, what] {
    auto self = weak.lock();
    if (!self) return;
    if (!self->final_code_) {
      self->final_code_ = 128 + sig;
      self->final_why_ = "received " + what;
    }
    self->maybe_finish();
  });
}

void NodeSession::report_signal(int sig) {
  StopReason reason;
  reason.kind = StopReason::Kind::kSignal;
  reason.node_rank = config_.node_rank;
  reason.hostname = config_.hostname;
  reason.addr = member_->self().addr;
  reason.code = 128 + sig;
  reason.what = signal_name(sig);
  member_->report_stop(reason);
}

void NodeSession::on_finished(int code, const std::string& why) {
  final_code_ = code;
  final_why_ = why;
  if (code != 0 && !why.empty()) log().error("{}", why);
  if (hooks_.workers_running()) hooks_.stop_workers();
  maybe_finish();
}

void NodeSession::fail(const std::string& error, int code) {
  if (final_code_) return;
  final_code_ = code;
  final_why_ = error;
  log().error("{}", error);
  host_closed_ = true;  // nothing of the rendezvous to wait for
  maybe_finish();
}

void NodeSession::on_round_ended(const rendezvous::RendezvousHost::RoundEnd& end) {
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
}

void NodeSession::maybe_finish() {
  if (finished_ || !final_code_ || hooks_.workers_running()) return;
  if (host_ && !host_closed_) return;
  finished_ = true;
  report_.job_exit_code = *final_code_;
  if (host_ && !job_attempts_.empty()) report_.attempts = job_attempts_;
  if (!host_ && stop_ && stop_->kind == StopReason::Kind::kFailure &&
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
  if (member_) member_->close();
  if (host_) host_->close();
  if (calls_) calls_->close();
  if (watch_) watch_->close();
  if (server_) server_->close();
}

}  // namespace dlaunch::agent
