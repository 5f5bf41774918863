#pragma once
// WorkerSpace: the workers' key space and its epochs. Each restart attempt of the job is an
// epoch: begin_epoch() closes every worker connection of the previous one and wipes keys,
// queues, waiters and the init/ counter, so torch 2.x workers (which add no per-attempt key
// prefix) can never read the previous attempt's Gloo addresses or NCCL ids. A connection
// accepted before the epoch began is refused when it turns out to speak a worker dialect.
// Owned by the server core; one thread.

#include <cstdint>
#include <memory>
#include <unordered_map>

#include "rendezvous/key_space.hpp"

namespace dlaunch::rendezvous {

class StoreConnection;

class WorkerSpace {
 public:
  KeySpace& keys() { return keys_; }
  const KeySpace& keys() const { return keys_; }
  std::uint64_t epoch() const { return epoch_; }
  std::size_t connection_count() const { return members_.size(); }

  // A connection that speaks v1 or v2 joins the current epoch.
  void join(ClientId id, std::weak_ptr<StoreConnection> connection);
  void leave(ClientId id) { members_.erase(id); }

  // Closes the previous epoch's connections, wipes the keys; returns the new epoch's number.
  std::uint64_t begin_epoch();

 private:
  KeySpace keys_;
  std::uint64_t epoch_ = 0;
  std::unordered_map<ClientId, std::weak_ptr<StoreConnection>> members_;
};

}  // namespace dlaunch::rendezvous
