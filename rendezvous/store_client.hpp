#pragma once
// StoreClient: an AsyncStore over one TCP connection to a StoreServer (or to any v2 TCPStore
// server): the v2 dialect (VALIDATE + PING), or the agent dialect (hello + job token) that
// reaches the agents' key space. Used by agents on every node and by the tests.
//
// connect() resolves, connects and handshakes, retrying refused or reset attempts with backoff
// until Options::connect_timeout (the server may not be up yet). Requests made before it
// completes are queued. A WAIT or BARRIER holds the connection until it ends (the protocol
// answers in order), so later requests are held back until then; on timeout the client sends
// CANCEL_WAIT, as torch's does. Fire-and-forget ops (SET, APPEND, MULTI_SET, QUEUE_PUSH) complete
// once written to the socket. When the connection breaks, everything pending ends with
// StoreError::kClosed and so does every later request: make a new client to reconnect.
//
// Create with create() (shared ownership: handlers keep it alive). One io_context thread.

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "rendezvous/async_store.hpp"
#include "rendezvous/endpoint.hpp"
#include "rendezvous/reply_reader.hpp"
#include "rendezvous/wire.hpp"

namespace dlaunch::rendezvous {

class StoreClient : public AsyncStore, public std::enable_shared_from_this<StoreClient> {
 public:
  struct Options {
    bool agent = false;       // open the agent dialect instead of v2
    std::string agent_token;  // presented in the agent hello
    std::chrono::milliseconds connect_timeout{std::chrono::seconds(30)};
  };

  static std::shared_ptr<StoreClient> create(boost::asio::io_context& io, Options options);
  static std::shared_ptr<StoreClient> create(boost::asio::io_context& io) {
    return create(io, Options{});
  }
  StoreClient(boost::asio::io_context& io, Options options);  // use create()

  // Ends without error once the handshake is done; with StoreError::kRefused for a wrong agent
  // token, StoreError::kTimeout (or the last connect error) when the time runs out.
  void connect(const Endpoint& endpoint, DoneHandler done);
  void close();
  bool ready() const { return ready_ && !broken_; }
  // This end of the connection (what the server sees as the peer); unspecified when not open.
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  void set(std::string key, std::string value, DoneHandler done) override;
  void get(std::string key, Handler<std::string> done) override;
  void add(std::string key, std::int64_t delta, Handler<std::int64_t> done) override;
  void compare_set(std::string key, std::string expected, std::string desired,
                   Handler<std::string> done) override;
  void check(std::vector<std::string> keys, Handler<bool> done) override;
  void wait(std::vector<std::string> keys, Timeout timeout, DoneHandler done) override;
  void delete_key(std::string key, Handler<bool> done) override;
  void num_keys(Handler<std::int64_t> done) override;
  void append(std::string key, std::string value, DoneHandler done) override;
  void multi_get(std::vector<std::string> keys, Handler<std::vector<std::string>> done) override;
  void multi_set(std::vector<std::string> keys, std::vector<std::string> values,
                 DoneHandler done) override;
  void list_keys(Handler<std::vector<std::string>> done) override;
  void queue_push(std::string key, std::string value, DoneHandler done) override;
  void queue_pop(std::string key, Handler<std::optional<std::string>> done) override;
  void queue_len(std::string key, Handler<std::int64_t> done) override;
  void barrier(std::string key, std::int64_t world_size, Timeout timeout,
               DoneHandler done) override;

 private:
  using Completion = std::function<void(std::error_code, Reply&)>;
  struct Expect {
    ReplyKind kind = ReplyKind::kByte;
    std::size_t count = 0;
    Completion done;
    std::uint64_t wait = 0;  // the WAIT/BARRIER this reply ends
    bool cancel = false;     // the answer to a CANCEL_WAIT whose WAIT was answered first
  };
  struct Outgoing {
    std::string bytes;
    std::optional<Expect> expect;  // nullopt: fire-and-forget
    DoneHandler written;           // fire-and-forget: called once written
  };
  enum class WaitPhase { kQueued, kSent, kCancelling };
  struct WaitState {
    std::unique_ptr<boost::asio::steady_timer> timer;
    WaitPhase phase = WaitPhase::kQueued;
    DoneHandler done;
  };

  void send(Op op, std::string body, std::optional<Expect> expect, DoneHandler written = {});
  void send_wait(Op op, std::string body, Timeout timeout, DoneHandler done);
  void pump();
  void write_out();
  void read_more();
  void dispatch();
  void on_wait_reply(std::uint64_t tag, std::uint8_t byte);
  void on_wait_timeout(std::uint64_t tag);
  void attempt_connect();
  void retry_or_fail(const boost::system::error_code& error);
  void on_connected();
  void on_handshake_done(std::error_code error);
  void on_transport_error(const boost::system::error_code& error);
  void fail_all(std::error_code error);
  template <class... Args>
  void post(std::function<void(Args...)> handler, Args... args);

  boost::asio::io_context& io_;
  Options options_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer connect_timer_;
  Endpoint endpoint_;
  DoneHandler connect_done_;
  std::chrono::steady_clock::time_point deadline_;
  std::chrono::milliseconds backoff_{50};
  bool connecting_ = false;
  bool ready_ = false;
  bool broken_ = false;

  std::deque<Outgoing> queued_;  // not yet sent (before ready, or behind a WAIT)
  std::deque<Expect> awaiting_;  // sent, reply not yet read, in wire order
  bool wait_outstanding_ = false;
  std::unordered_map<std::uint64_t, WaitState> waits_;
  std::uint64_t next_wait_ = 1;

  std::string out_;
  std::string in_flight_;
  std::vector<DoneHandler> out_written_;
  std::vector<DoneHandler> in_flight_written_;
  bool writing_ = false;
  std::string in_;
  char read_buffer_[16 * 1024];
};

}  // namespace dlaunch::rendezvous
