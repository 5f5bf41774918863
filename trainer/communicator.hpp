#pragma once
// The process group of one dtrain worker: the c10d store (a client of the launcher's store
// under TORCHELASTIC_USE_AGENT_STORE=True, else served by rank 0) and a Gloo or NCCL backend
// on top, keyed like Python's default group. Collectives take one flat tensor each.
//
// Construction only makes the store (cheap, so a rank-0 test can learn an ephemeral port);
// connect() makes the backend and blocks until every rank has joined. Every c10d failure
// (connect refused, peer gone, timeout) surfaces as CommError. Collectives are issued from
// one thread at a time, in the same order on every rank. LibTorch types are forward-declared
// here; the c10d headers stay in communicator.cpp.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace at {
class Tensor;
}

namespace dlaunch::trainer {

struct CommConfig {
  std::string backend = "gloo";  // "gloo" | "nccl"
  std::string master_addr = "127.0.0.1";
  int master_port = 0;  // 0 (rank 0 serving only): an ephemeral port, see store_port()
  int rank = 0;
  int world_size = 1;
  bool use_agent_store = false;
  int restart_count = 0;
  std::chrono::milliseconds timeout{std::chrono::minutes(30)};
};

// An all-reduce in flight.
class PendingCollective {
 public:
  PendingCollective();
  ~PendingCollective();
  PendingCollective(PendingCollective&&) noexcept;
  PendingCollective& operator=(PendingCollective&&) noexcept;
  // Blocks until done; throws CommError on failure. A no-op when already waited.
  void wait();

 private:
  friend class Communicator;
  struct State;
  std::unique_ptr<State> state_;
};

class Communicator {
 public:
  explicit Communicator(const CommConfig& config);
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  // Creates the backend; blocks until all ranks joined (or the timeout). Throws CommError.
  void connect();

  int rank() const;
  int size() const;
  const std::string& backend_name() const;
  int store_port() const;  // the store's port (useful after binding port 0)

  // Blocking collectives over one dense tensor each (flatten first).
  void broadcast(at::Tensor& tensor, int root = 0);
  void allreduce_sum(at::Tensor& tensor);
  void allreduce_max(at::Tensor& tensor);
  void barrier();
  // Sums `tensor` in place across ranks, asynchronously.
  PendingCollective allreduce_sum_async(at::Tensor& tensor);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dlaunch::trainer
