#pragma once
// LocalStore: an AsyncStore working directly on a KeySpace of the server in this process (the
// agents' space on the node that serves), with the same semantics as the wire. Handlers are
// posted to the io_context, never run inside the call. Waits that time out are cancelled; a
// space cleared under a wait (server closed) ends it with StoreError::kClosed.
// Keeps the space's owner alive through a shared_ptr. One io_context thread.

#include <memory>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "rendezvous/async_store.hpp"
#include "rendezvous/key_space.hpp"

namespace dlaunch::rendezvous {

class LocalStore : public AsyncStore, public std::enable_shared_from_this<LocalStore> {
 public:
  LocalStore(boost::asio::io_context& io, std::shared_ptr<KeySpace> space, ClientId id);
  ~LocalStore() override;

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
  struct PendingWait {
    std::unique_ptr<boost::asio::steady_timer> timer;
    DoneHandler done;
  };
  template <class Result>
  void post(Handler<Result> done, std::error_code error, Result result);
  void post(DoneHandler done, std::error_code error);
  // Parks `done` until the waiter's wake or its timeout, whichever comes first.
  void park(std::uint64_t tag, WaiterId waiter, Timeout timeout, DoneHandler done);
  void finish(std::uint64_t tag, std::error_code error);
  Wake wake_for(std::uint64_t tag);

  boost::asio::io_context& io_;
  std::shared_ptr<KeySpace> space_;
  const ClientId id_;
  std::uint64_t next_tag_ = 1;
  std::unordered_map<std::uint64_t, PendingWait> waits_;
};

}  // namespace dlaunch::rendezvous
