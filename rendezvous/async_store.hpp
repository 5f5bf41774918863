#pragma once
// AsyncStore: the store as agents use it, whether over a socket (StoreClient, on every node)
// or in process (LocalStore, on the node that serves). Every call returns at once; its handler
// runs later on the io_context, never inside the call, with an error_code (StoreError values)
// and the result. Keys are raw: no '/' prefix is added (torch's clients add one; agents don't
// need it). Handlers run in request order per store object.
//
// GET of a missing key yields an empty value, as on the wire; use check() or wait() to tell.
// A wait() holds a StoreClient's connection until it ends (the protocol answers in order):
// requests made meanwhile go out after it; use a second client for concurrent waits.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace dlaunch::rendezvous {

class AsyncStore {
 public:
  template <class T>
  using Handler = std::function<void(std::error_code, T)>;
  using DoneHandler = std::function<void(std::error_code)>;
  using Timeout = std::chrono::milliseconds;

  virtual ~AsyncStore() = default;

  virtual void set(std::string key, std::string value, DoneHandler done) = 0;
  virtual void get(std::string key, Handler<std::string> done) = 0;
  virtual void add(std::string key, std::int64_t delta, Handler<std::int64_t> done) = 0;
  // Returns the stored value after the call (see KeySpace::compare_set).
  virtual void compare_set(std::string key, std::string expected, std::string desired,
                           Handler<std::string> done) = 0;
  virtual void check(std::vector<std::string> keys, Handler<bool> done) = 0;
  // Ends when every key exists (no error) or after `timeout` (StoreError::kTimeout).
  virtual void wait(std::vector<std::string> keys, Timeout timeout, DoneHandler done) = 0;
  virtual void delete_key(std::string key, Handler<bool> done) = 0;
  virtual void num_keys(Handler<std::int64_t> done) = 0;
  virtual void append(std::string key, std::string value, DoneHandler done) = 0;
  virtual void multi_get(std::vector<std::string> keys, Handler<std::vector<std::string>> done) = 0;
  virtual void multi_set(std::vector<std::string> keys, std::vector<std::string> values,
                         DoneHandler done) = 0;
  virtual void list_keys(Handler<std::vector<std::string>> done) = 0;
  virtual void queue_push(std::string key, std::string value, DoneHandler done) = 0;
  // nullopt when the queue is empty (no waiting: wait() on the key first to block).
  virtual void queue_pop(std::string key, Handler<std::optional<std::string>> done) = 0;
  virtual void queue_len(std::string key, Handler<std::int64_t> done) = 0;
  // Counts one arrival at `key`; ends when `world_size` have arrived, or after `timeout`.
  virtual void barrier(std::string key, std::int64_t world_size, Timeout timeout,
                       DoneHandler done) = 0;
};

}  // namespace dlaunch::rendezvous
