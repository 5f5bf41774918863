#pragma once
// KeySpace: one store's keys, queues and waiters, with the semantics of torch's TCPStore
// servers (shared/reference/tcpstore-protocol.md §1.5). The server has two: the workers' (wiped
// at each epoch) and the agents'. Every write that creates or changes a key wakes the WAITs on
// it; DELETE_KEY wakes nothing. Wakes run synchronously inside the writing call, after the
// space is consistent. Owned by the server; touched only on its io_context thread.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "rendezvous/waiter_index.hpp"

namespace dlaunch::rendezvous {

class KeySpace {
 public:
  KeySpace() = default;
  KeySpace(const KeySpace&) = delete;
  KeySpace& operator=(const KeySpace&) = delete;

  void set(const std::string& key, std::string value);
  // nullopt for a missing key (the wire answers it with an empty value).
  std::optional<std::string> get(const std::string& key) const;
  // COMPARE_SET as torch answers it: the stored value after the call, or `expected` when the
  // key is missing and `expected` is not empty.
  std::string compare_set(const std::string& key, const std::string& expected, std::string desired);
  // Adds to the decimal integer stored at `key` (missing = 0); nullopt if the value is not one.
  std::optional<std::int64_t> add(const std::string& key, std::int64_t delta);
  void append(const std::string& key, const std::string& value);
  // True if `key` holds a value (or a non-empty queue, as torch's libuv server counts it).
  bool exists(const std::string& key) const;
  bool check(const std::vector<std::string>& keys) const;
  bool erase(const std::string& key);
  std::int64_t num_keys() const { return static_cast<std::int64_t>(values_.size()); }
  std::vector<std::string> list_keys() const;
  // Bytes of every key, value and queued item held (a pass over the space: for metrics).
  std::uint64_t bytes_held() const;

  void queue_push(const std::string& key, std::string value);
  std::optional<std::string> queue_pop(const std::string& key);
  std::int64_t queue_len(const std::string& key) const;

  // WAIT: 0 if every key exists already (`wake` is not kept), else the waiter's id.
  WaiterId wait(ClientId client, const std::vector<std::string>& keys, Wake wake);
  // BARRIER: counts one arrival at `key` (as ADD +1). nullopt if the value there is not a number;
  // 0 if the count reached `world_size` (every earlier waiter is woken; `wake` is not kept);
  // else the waiter's id.
  std::optional<WaiterId> barrier(ClientId client, const std::string& key, std::int64_t world_size,
                                  Wake wake);
  std::size_t cancel_wait(WaiterId id) { return waiters_.cancel(id); }
  std::size_t cancel_waits(ClientId client) { return waiters_.cancel_client(client); }
  std::size_t waiter_count() const { return waiters_.size(); }

  // Forgets every key and queue; every waiter is woken with released = false.
  void clear();

 private:
  void written(const std::string& key, bool wake_all = true);
  void run(std::vector<Wake>& wakes, bool released);

  std::unordered_map<std::string, std::string> values_;
  std::unordered_map<std::string, std::deque<std::string>> queues_;
  WaiterIndex waiters_;
};

// Parses a counter the way torch's servers do (std::stoll: leading blanks, a sign, digits,
// anything after ignored). nullopt when there are no digits or the number overflows.
std::optional<std::int64_t> parse_counter(const std::string& text);

}  // namespace dlaunch::rendezvous
