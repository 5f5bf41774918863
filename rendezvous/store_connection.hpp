#pragma once
// StoreConnection: one accepted socket of the store server. Reads into a small buffer (grown
// only for connections that send a lot, so 10k idle sockets stay cheap), feeds the bytes to its
// RequestParser, runs the requests on its key space (workers' or agents', by dialect), and writes
// the replies in request order through a write queue. A parse error, a refused op or a refused peer
// closes this connection only, with a log line. Idle connections are never timed out. A
// connection that opens with an HTTP method is handed, socket and bytes, to the core's HTTP
// service and ends here.
//
// Owned by its pending async operations (handlers hold shared_from_this()); the server core
// keeps a weak reference to close it. One io_context thread.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "rendezvous/key_space.hpp"
#include "rendezvous/reply_queue.hpp"
#include "rendezvous/request_parser.hpp"

namespace dlaunch::rendezvous {

class ServerCore;

class StoreConnection : public std::enable_shared_from_this<StoreConnection> {
 public:
  StoreConnection(std::shared_ptr<ServerCore> core, boost::asio::ip::tcp::socket socket,
                  const boost::asio::ip::tcp::endpoint& peer, ClientId id);

  void start();
  // Closes the socket and drops this connection's waiters. A non-empty reason is logged.
  void close(const std::string& reason);

 private:
  void read_next();
  void on_read(const boost::system::error_code& error, std::size_t n);
  void feed(std::string_view data);
  bool on_classified(Dialect dialect);
  void on_agent_hello();
  void hand_over_http(std::string_view initial);
  void handle(Request& request);
  void on_wait_done(ReplyQueue::Slot slot, bool released);
  void cancel_waits();
  void flush();
  void on_written(const boost::system::error_code& error);
  std::string peer_name() const;  // "host:port", for log lines
  std::size_t backlog() const {
    return outgoing_.size() + in_flight_.size() + replies_.pending_bytes();
  }

  std::shared_ptr<ServerCore> core_;
  boost::asio::ip::tcp::socket socket_;
  const ClientId id_;
  boost::asio::ip::tcp::endpoint peer_;
  std::uint64_t accepted_epoch_;

  std::vector<char> buffer_;
  RequestParser parser_;
  bool classified_ = false;
  bool worker_ = false;
  bool agent_ = false;         // an agent connection whose token was accepted
  KeySpace* space_ = nullptr;  // set once the dialect (and, for agents, the token) is known

  ReplyQueue replies_;
  std::vector<std::pair<WaiterId, ReplyQueue::Slot>> pending_waits_;
  std::string outgoing_;    // replies ready, not yet handed to the socket
  std::string in_flight_;   // the bytes of the async_write in progress
  std::string held_input_;  // input not parsed yet because too many replies are queued
  bool writing_ = false;
  bool read_paused_ = false;
  bool close_after_flush_ = false;
  bool closed_ = false;
};

}  // namespace dlaunch::rendezvous
