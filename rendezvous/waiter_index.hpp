#pragma once
// WaiterIndex: the pending WAITs and BARRIERs of one key space, indexed by key and by client so
// that a write, a cancel or a disconnect touches only the waiters concerned (never a scan of
// every key or every waiter).
//
// A WAIT waiter is registered on the keys that were missing; it completes when each of them has
// been written once (DELETE_KEY writes nothing). A BARRIER waiter completes when the barrier's
// count is reached. Completed waiters leave the index; their wake functions are handed back to
// the caller to run once the index is consistent again. Owned by a KeySpace; one thread.

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace dlaunch::rendezvous {

using ClientId = std::uint64_t;
using WaiterId = std::uint64_t;

// Called once when a waiter completes (released = true), or when its key space is cleared
// under it (released = false). Never called after a cancel.
using Wake = std::function<void(bool released)>;

class WaiterIndex {
 public:
  // A waiter of `client` on `missing_keys` (non-empty; duplicates are counted once).
  WaiterId add_wait(ClientId client, const std::vector<std::string>& missing_keys, Wake wake);
  // A waiter of `client` released by release_barrier(key).
  WaiterId add_barrier(ClientId client, const std::string& key, Wake wake);

  // `key` was written: every WAIT waiter on it counts it (all = true), or only the oldest one
  // (all = false, for QUEUE_PUSH). Appends the wakes of completed waiters to `ready`.
  void key_written(const std::string& key, bool all, std::vector<Wake>& ready);
  // The barrier on `key` is complete: appends the wakes of its waiters to `ready`.
  void release_barrier(const std::string& key, std::vector<Wake>& ready);

  // Drops one waiter, or every waiter of a client, without waking it. Returns how many went.
  std::size_t cancel(WaiterId id);
  std::size_t cancel_client(ClientId client);
  // Drops everything; appends every wake to `aborted` (to be called with released = false).
  void clear(std::vector<Wake>& aborted);

  std::size_t size() const { return waiters_.size(); }

 private:
  struct Waiter {
    ClientId client;
    std::vector<std::string> keys;  // WAIT: keys not yet written; BARRIER: the barrier key
    bool barrier;
    Wake wake;
  };
  void unlink(WaiterId id, const Waiter& waiter);

  std::unordered_map<WaiterId, Waiter> waiters_;
  // Ordered sets: ids grow, so the first is the oldest (QUEUE_PUSH wakes that one).
  std::unordered_map<std::string, std::set<WaiterId>> waits_by_key_;
  std::unordered_map<std::string, std::set<WaiterId>> barriers_by_key_;
  std::unordered_map<ClientId, std::vector<WaiterId>> by_client_;
  WaiterId next_id_ = 1;
};

}  // namespace dlaunch::rendezvous
