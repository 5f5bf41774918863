#pragma once
// Data-parallel gradient averaging without a C++ DDP: the parameters' gradients become views
// into a few flat buckets (the first ~1 MB, the rest ~25 MB, filled in reverse registration
// order, which is roughly the order backward produces them). A post-hook on each parameter's
// gradient accumulator counts down its bucket; when a bucket is complete, it and every
// complete bucket before it are divided by the world size and all-reduced asynchronously,
// while backward carries on. finish() launches what is left (unused parameters, or an
// empty batch), in the same bucket order on every rank, and waits for all of them.
//
// Owner: the training loop, one per model. prepare() before each backward, finish() after it
// and before the optimizer step. Hooks may run on autograd threads; bucket state is locked.

#include <cstddef>
#include <memory>
#include <vector>

namespace at {
class Tensor;
}

namespace dlaunch::trainer {

class Communicator;

class GradReducer {
 public:
  GradReducer(Communicator& comm, const std::vector<at::Tensor>& parameters,
              std::size_t bucket_bytes, std::size_t first_bucket_bytes = std::size_t{1} << 20);
  ~GradReducer();
  GradReducer(const GradReducer&) = delete;
  GradReducer& operator=(const GradReducer&) = delete;

  // Zeroes every gradient bucket and arms the hooks for one backward pass.
  void prepare();
  // Launches the buckets the backward did not complete, waits for all; afterwards every
  // gradient holds the average over ranks. Throws CommError.
  void finish();

  std::size_t num_buckets() const;
  // Buckets the last backward launched from its hooks, before finish() (overlap achieved).
  std::size_t buckets_launched_early() const;
  // Parameter positions (into the constructor's list) of bucket b, in bucket order.
  std::vector<std::size_t> bucket_members(std::size_t b) const;

  struct State;  // shared with the autograd hooks, which hold it weakly

 private:
  std::shared_ptr<State> state_;
};

}  // namespace dlaunch::trainer
