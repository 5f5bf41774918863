#include "rendezvous/builtin_rendezvous.hpp"

#include <system_error>

#include <boost/asio/post.hpp>

#include "rendezvous/local_address.hpp"
#include "rendezvous/logging.hpp"
#include "rendezvous/store_error.hpp"

namespace dlaunch::rendezvous {
namespace asio = boost::asio;

namespace {

std::string endpoint_text(const asio::ip::tcp::endpoint& endpoint) {
  return unmapped(endpoint.address()).to_string() + ":" + std::to_string(endpoint.port());
}

}  // namespace

BuiltinRendezvous::BuiltinRendezvous(asio::io_context& io, RendezvousSettings settings,
                                     NodeInfo self, Events events)
    : io_(io), settings_(std::move(settings)), self_(std::move(self)), events_(std::move(events)) {}

BuiltinRendezvous::~BuiltinRendezvous() = default;

void BuiltinRendezvous::start() {
  const bool host = settings_.dynamic
                        ? settings_.is_host.value_or(is_this_host(settings_.endpoint.host))
                        : settings_.node_rank == 0;
  if (host && serve()) return;
  if (finished_) return;
  if (settings_.endpoint.port == 0) {
    return fail("the rendezvous endpoint " + settings_.endpoint.to_string() +
                    " has port 0: only the node that serves may pick a free port",
                1);
  }
  connect();
}

bool BuiltinRendezvous::serve() {
  const bool v6 = settings_.endpoint.host.find(':') != std::string::npos;
  const Endpoint bind{v6 ? "::" : "0.0.0.0", settings_.endpoint.port};
  try {
    server_ = std::make_unique<StoreServer>(io_, bind, StoreServerOptions{settings_.token});
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
  log().info("serving the workers' store and the rendezvous on {} (run {}, {} node{})",
             settings_.endpoint.to_string(), settings_.run_id, settings_.nnodes_text(),
             settings_.max_nodes == 1 ? "" : "s");
  if (!settings_.token.empty()) {
    // Workers' store connections: loopback, this machine, and the agents that join.
    server_->restrict_worker_peers(local_addresses());
  }
  if (self_.addr.empty()) self_.addr = settings_.endpoint.host;
  std::weak_ptr<BuiltinRendezvous> weak = weak_from_this();
  RendezvousHost::Server hooks;
  hooks.begin_worker_epoch = [weak] {
    if (auto self = weak.lock()) self->server_->begin_worker_epoch();
  };
  hooks.allow_worker_peer = [weak](const std::string& ip) {
    auto self = weak.lock();
    boost::system::error_code error;
    const auto address = asio::ip::make_address(ip, error);
    if (self && !error) self->server_->allow_worker_peer(address);
  };
  host_ = std::make_shared<RendezvousHost>(
      io_, server_->agent_store(), settings_, self_.id, hooks,
      RendezvousHost::Events{[weak](const RoundEnd& end) {
                               auto self = weak.lock();
                               if (self && self->events_.round_ended)
                                 self->events_.round_ended(end);
                             },
                             [weak] {
                               if (auto self = weak.lock()) {
                                 self->host_closed_ = true;
                                 self->maybe_closed();
                               }
                             }});
  // A killed agent's connection closes at once: faster than any missed heartbeat.
  server_->set_agent_observer([weak](const asio::ip::tcp::endpoint& peer, bool open) {
    auto self = weak.lock();
    if (!open && self && self->host_) self->host_->connection_closed(endpoint_text(peer));
  });
  board_ = std::make_shared<StatusBoard>(server_->agent_store());
  broadcast_ = std::make_shared<RequestBroadcast>(io_, server_->agent_store());
  host_->start();
  board_->start();
  if (events_.leadership_changed) {
    asio::post(io_, [weak] {
      auto self = weak.lock();
      if (self && !self->closed_) self->events_.leadership_changed(true);
    });
  }
  begin(server_->agent_store(), server_->agent_store(), server_->agent_store(),
        server_->agent_store());
  return true;
}

void BuiltinRendezvous::connect() {
  StoreClient::Options options;
  options.agent = true;
  options.agent_token = settings_.token;
  options.connect_timeout = settings_.join_timeout;
  calls_ = StoreClient::create(io_, options);
  watch_ = StoreClient::create(io_, options);
  link_calls_ = StoreClient::create(io_, options);
  link_watch_ = StoreClient::create(io_, options);
  log().info("joining the rendezvous at {} (run {})", settings_.endpoint.to_string(),
             settings_.run_id);
  for (const auto& client : {calls_, watch_, link_calls_, link_watch_}) {
    client->connect(settings_.endpoint, [weak = weak_from_this()](std::error_code error) {
      auto self = weak.lock();
      if (!self || self->finished_ || self->closed_) return;
      if (error == StoreError::kRefused) {
        return self->fail("the rendezvous host " + self->settings_.endpoint.to_string() +
                              " refused this node's job token (--rdzv_token or DLAUNCH_RDZV_TOKEN)",
                          1);
      }
      if (error) {
        return self->fail("cannot reach the rendezvous host " +
                              self->settings_.endpoint.to_string() + " within join_timeout (" +
                              seconds_text(self->settings_.join_timeout) + "): " + error.message(),
                          1);
      }
      if (++self->connected_ == 4) self->on_connected();
    });
  }
}

void BuiltinRendezvous::on_connected() {
  const auto local = calls_->local_endpoint();
  self_.peer_ip = unmapped(local.address()).to_string();
  if (self_.addr.empty()) self_.addr = self_.peer_ip;
  self_.sockets.clear();
  for (const auto& client : {calls_, watch_, link_calls_, link_watch_}) {
    self_.sockets.push_back(endpoint_text(client->local_endpoint()));
  }
  begin(calls_, watch_, link_calls_, link_watch_);
}

void BuiltinRendezvous::begin(std::shared_ptr<AsyncStore> calls, std::shared_ptr<AsyncStore> watch,
                              std::shared_ptr<AsyncStore> link_calls,
                              std::shared_ptr<AsyncStore> link_watch) {
  std::weak_ptr<BuiltinRendezvous> weak = weak_from_this();
  member_ = std::make_shared<RendezvousMember>(
      io_, std::move(calls), std::move(watch), settings_, self_,
      RendezvousMember::Events{[weak](const RoundPlan& plan, const PlanMember& me) {
                                 auto self = weak.lock();
                                 if (self && self->events_.round_started)
                                   self->events_.round_started(plan, me);
                               },
                               [weak](const StopReason& reason) {
                                 auto self = weak.lock();
                                 if (self && self->events_.round_stopped)
                                   self->events_.round_stopped(reason);
                               },
                               [weak](int code, const std::string& why) {
                                 if (auto self = weak.lock()) self->on_finished(code, why);
                               }});
  link_ = std::make_shared<LeaderLink>(self_.id, std::move(link_calls), std::move(link_watch));
  if (handler_) link_->set_handler(handler_);
  link_->start();
  if (pending_status_) {
    link_->publish(std::move(*pending_status_));
    pending_status_.reset();
  }
  member_->join();
}

void BuiltinRendezvous::on_finished(int code, const std::string& why) {
  if (finished_) return;
  finished_ = true;
  if (link_) link_->close();
  if (events_.finished) events_.finished(code, why);
  maybe_closed();
}

void BuiltinRendezvous::fail(const std::string& error, int code) {
  if (finished_) return;
  host_closed_ = true;  // nothing of the rendezvous to wait for
  asio::post(io_, [weak = weak_from_this(), error, code] {
    if (auto self = weak.lock(); self && !self->closed_) self->on_finished(code, error);
  });
}

void BuiltinRendezvous::maybe_closed() {
  if (!finished_ || closed_event_sent_ || (host_ && !host_closed_)) return;
  closed_event_sent_ = true;
  if (events_.closed) events_.closed();
}

void BuiltinRendezvous::report_stop(const StopReason& reason) {
  if (member_) member_->report_stop(reason);
}

void BuiltinRendezvous::report_result(RoundResult result) {
  if (member_) member_->report_result(std::move(result));
}

void BuiltinRendezvous::leave(int code, const std::string& what) {
  if (finished_) return;
  if (!member_) {
    // Still connecting (or binding failed): nothing to say goodbye to.
    for (const auto& client : {calls_, watch_, link_calls_, link_watch_}) {
      if (client) client->close();
    }
    return fail(what + " before the rendezvous", code);
  }
  if (member_->finished()) return;
  if (host_) return host_->abort("the rendezvous host " + what, code);
  member_->leave([weak = weak_from_this(), code, what] {
    if (auto self = weak.lock(); self && !self->closed_) self->on_finished(code, what);
  });
}

void BuiltinRendezvous::close() {
  closed_ = true;
  if (member_) member_->close();
  if (link_) link_->close();
  if (host_) host_->close();
  if (board_) board_->close();
  if (broadcast_) broadcast_->close();
  for (const auto& client : {calls_, watch_, link_calls_, link_watch_}) {
    if (client) client->close();
  }
  if (server_) server_->close();
}

const NodeInfo& BuiltinRendezvous::self() const {
  return self_;
}

bool BuiltinRendezvous::in_round() const {
  return member_ && member_->in_round();
}

void BuiltinRendezvous::publish_node_status(nlohmann::json doc) {
  if (closed_ || finished_) return;
  if (!link_) {
    pending_status_ = std::move(doc);  // sent once joined
    return;
  }
  link_->publish(std::move(doc));
}

std::optional<JobNodes> BuiltinRendezvous::nodes_view() const {
  if (!host_) return std::nullopt;
  JobNodes view = host_->nodes_view();
  for (auto& node : view.nodes) node.status = board_->status(node.info.id);
  return view;
}

bool BuiltinRendezvous::broadcast_request(nlohmann::json request,
                                          std::chrono::milliseconds deadline,
                                          std::function<void(Answers)> done) {
  if (!host_ || closed_) return false;
  std::vector<std::string> expected;
  for (const auto& node : host_->nodes_view().nodes) {
    if (node.state != NodeView::State::kLost) expected.push_back(node.info.id);
  }
  broadcast_->send(std::move(request), deadline, std::move(expected), std::move(done));
  return true;
}

void BuiltinRendezvous::set_request_handler(RequestHandler handler) {
  handler_ = std::move(handler);
  if (link_) link_->set_handler(handler_);
}

}  // namespace dlaunch::rendezvous
