#pragma once
// LeaderLink: one node's end of the leader's direct channel (rendezvous_protocol.hpp's
// rdzv/status and rdzv/bcast/ keys, in the leader's agent key space). It sends the node's status
// documents, latest wins (one in flight; newer ones replace the one waiting), and answers the
// leader's broadcast requests through the agent's handler.
//
// `calls` carries documents and answers and never waits; `watch` holds the wait for the next
// request. Both are this link's own (StoreClients to the leader, or LocalStores on the leader),
// so a large document never delays the rendezvous' heartbeats. A broken connection ends the
// link quietly: the rendezvous notices the leader's loss on its own connections and makes a new
// link to the next leader. Create with std::make_shared. One io_context thread.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "rendezvous/async_store.hpp"
#include "rendezvous/rendezvous.hpp"

namespace dlaunch::rendezvous {

class LeaderLink : public std::enable_shared_from_this<LeaderLink> {
 public:
  LeaderLink(std::string self_id, std::shared_ptr<AsyncStore> calls,
             std::shared_ptr<AsyncStore> watch);

  // Begins waiting for requests (those sent before this are not answered).
  void start();
  void publish(nlohmann::json doc);
  void set_handler(Rendezvous::RequestHandler handler);
  void close();

 private:
  void flush();
  void wait_request();
  void on_timeout();
  void handle(std::uint64_t n, const std::string& value);

  std::string self_id_;
  std::shared_ptr<AsyncStore> calls_, watch_;
  Rendezvous::RequestHandler handler_;
  std::optional<std::string> pending_;  // the newest document not yet handed to the socket
  bool sending_ = false;
  std::uint64_t next_ = 1;  // the request waited for
  bool closed_ = false;
};

}  // namespace dlaunch::rendezvous
