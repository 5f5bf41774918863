#pragma once
// BuiltinRendezvous: the static and c10d backends. One agent serves (static: node rank 0; c10d:
// the agent whose machine owns the endpoint's address, or is_host=1): it binds the endpoint's
// port once and serves there both the workers' c10d store and the agents' rendezvous, with the
// RendezvousHost deciding and the leader's direct channel (status board, request broadcast).
// Every agent, the serving one included, is a RendezvousMember (on LocalStores there, on four
// StoreClient connections elsewhere: calls, watch and the direct channel's two).
//
// The serving agent is the leader for the whole job: if it goes, every other node stops its
// workers and exits 1 ("lost the rendezvous host"). Create with make_rendezvous(). One
// io_context thread.

#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "rendezvous/leader_link.hpp"
#include "rendezvous/rendezvous.hpp"
#include "rendezvous/rendezvous_host.hpp"
#include "rendezvous/rendezvous_member.hpp"
#include "rendezvous/request_broadcast.hpp"
#include "rendezvous/status_board.hpp"
#include "rendezvous/store_client.hpp"
#include "rendezvous/store_server.hpp"

namespace dlaunch::rendezvous {

class BuiltinRendezvous : public Rendezvous,
                          public std::enable_shared_from_this<BuiltinRendezvous> {
 public:
  BuiltinRendezvous(boost::asio::io_context& io, RendezvousSettings settings, NodeInfo self,
                    Events events);
  ~BuiltinRendezvous() override;

  void start() override;
  void report_stop(const StopReason& reason) override;
  void report_result(RoundResult result) override;
  void leave(int code, const std::string& what) override;
  void close() override;

  const NodeInfo& self() const override;
  bool in_round() const override;
  bool finished() const override { return finished_; }
  bool is_leader() const override { return host_ != nullptr; }

  void publish_node_status(nlohmann::json doc) override;
  std::optional<JobNodes> nodes_view() const override;
  bool broadcast_request(nlohmann::json request, std::chrono::milliseconds deadline,
                         std::function<void(Answers)> done) override;
  void set_request_handler(RequestHandler handler) override;

  StoreServer* served_store() const override { return server_.get(); }

 private:
  // Binds and starts hosting; false when this node should join another host instead.
  bool serve();
  void connect();
  void on_connected();
  void begin(std::shared_ptr<AsyncStore> calls, std::shared_ptr<AsyncStore> watch,
             std::shared_ptr<AsyncStore> link_calls, std::shared_ptr<AsyncStore> link_watch);
  void on_finished(int code, const std::string& why);
  void fail(const std::string& error, int code);
  void maybe_closed();

  boost::asio::io_context& io_;
  RendezvousSettings settings_;
  NodeInfo self_;
  Events events_;

  std::unique_ptr<StoreServer> server_;
  std::shared_ptr<RendezvousHost> host_;
  std::shared_ptr<StatusBoard> board_;
  std::shared_ptr<RequestBroadcast> broadcast_;
  std::shared_ptr<StoreClient> calls_, watch_, link_calls_, link_watch_;
  int connected_ = 0;
  std::shared_ptr<RendezvousMember> member_;
  std::shared_ptr<LeaderLink> link_;
  RequestHandler handler_;
  std::optional<nlohmann::json> pending_status_;  // published before joining
  bool finished_ = false;
  bool host_closed_ = false;
  bool closed_event_sent_ = false;
  bool closed_ = false;
};

}  // namespace dlaunch::rendezvous
