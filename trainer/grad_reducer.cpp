#include "trainer/grad_reducer.hpp"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>

#include <mutex>

#include "trainer/communicator.hpp"
#include "trainer/errors.hpp"

namespace dlaunch::trainer {

struct GradReducer::State {
  struct Bucket {
    at::Tensor flat;
    std::vector<std::size_t> members;
    std::size_t pending = 0;  // members whose gradient has not arrived in this backward
    bool launched = false;
    PendingCollective work;
  };

  Communicator* comm = nullptr;
  std::vector<Bucket> buckets;
  std::vector<std::size_t> bucket_of;  // parameter position -> bucket
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators;  // keep hooks alive
  std::mutex mutex;
  bool armed = false;
  std::size_t next_launch = 0;
  std::size_t launched_early = 0;
  std::vector<bool> seen;  // per parameter, in this backward

  // Called under `mutex`: launches complete buckets in order, from next_launch on.
  void launch_ready() {
    while (next_launch < buckets.size() && buckets[next_launch].pending == 0) {
      launch(buckets[next_launch]);
      ++next_launch;
    }
  }

  void launch(Bucket& bucket) {
    if (comm->size() > 1) bucket.flat.div_(comm->size());
    bucket.work = comm->allreduce_sum_async(bucket.flat);
    bucket.launched = true;
  }

  void on_gradient(std::size_t param) {
    std::lock_guard<std::mutex> lock(mutex);
    if (!armed || seen[param]) return;
    seen[param] = true;
    Bucket& bucket = buckets[bucket_of[param]];
    if (bucket.pending > 0) --bucket.pending;
    launch_ready();
  }
};

namespace {

// Runs after AccumulateGrad has added this step's gradient into the parameter's .grad view.
class AccumulatedHook final : public torch::autograd::FunctionPostHook {
 public:
  AccumulatedHook(std::weak_ptr<GradReducer::State> state, std::size_t param)
      : state_(std::move(state)), param_(param) {}
  torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs,
                                            const torch::autograd::variable_list&) override {
    if (auto state = state_.lock()) state->on_gradient(param_);
    return outputs;
  }

 private:
  std::weak_ptr<GradReducer::State> state_;
  std::size_t param_;
};

}  // namespace

GradReducer::GradReducer(Communicator& comm, const std::vector<at::Tensor>& parameters,
                         std::size_t bucket_bytes, std::size_t first_bucket_bytes)
    : state_(std::make_shared<State>()) {
  State& s = *state_;
  s.comm = &comm;
  s.bucket_of.assign(parameters.size(), 0);
  s.seen.assign(parameters.size(), false);

  // Group trainable parameters, last first, into buckets of one dtype and device.
  std::vector<std::vector<std::size_t>> groups;
  std::size_t group_bytes = 0;
  for (std::size_t i = parameters.size(); i-- > 0;) {
    const at::Tensor& p = parameters[i];
    if (!p.requires_grad()) continue;
    const std::size_t bytes = static_cast<std::size_t>(p.numel()) * p.element_size();
    const std::size_t cap = groups.size() == 1 ? first_bucket_bytes : bucket_bytes;
    bool fits = !groups.empty() && group_bytes + bytes <= cap;
    if (fits) {
      const at::Tensor& first = parameters[groups.back().front()];
      fits = first.scalar_type() == p.scalar_type() && first.device() == p.device();
    }
    if (!fits) {
      groups.emplace_back();
      group_bytes = 0;
    }
    groups.back().push_back(i);
    group_bytes += bytes;
  }

  for (const auto& members : groups) {
    State::Bucket bucket;
    std::int64_t total = 0;
    for (std::size_t i : members) total += parameters[i].numel();
    bucket.flat = at::zeros({total}, parameters[members.front()].options().requires_grad(false));
    bucket.members = members;
    std::int64_t offset = 0;
    for (std::size_t i : members) {
      at::Tensor p = parameters[i];
      // The gradient is a view with the parameter's own strides (channels-last stays so),
      // which AccumulateGrad then adds into in place.
      at::Tensor view = p.is_non_overlapping_and_dense()
                            ? bucket.flat.as_strided(p.sizes(), p.strides(), offset)
                            : bucket.flat.narrow(0, offset, p.numel()).view(p.sizes());
      p.mutable_grad() = view;
      s.bucket_of[i] = s.buckets.size();
      offset += p.numel();
      auto accumulator = torch::autograd::impl::grad_accumulator(p);
      accumulator->add_post_hook(std::make_unique<AccumulatedHook>(state_, i));
      s.accumulators.push_back(std::move(accumulator));
    }
    s.buckets.push_back(std::move(bucket));
  }
}

GradReducer::~GradReducer() = default;

void GradReducer::prepare() {
  std::lock_guard<std::mutex> lock(state_->mutex);
  for (auto& bucket : state_->buckets) {
    bucket.flat.zero_();
    bucket.pending = bucket.members.size();
    bucket.launched = false;
  }
  std::fill(state_->seen.begin(), state_->seen.end(), false);
  state_->next_launch = 0;
  state_->armed = true;
}

void GradReducer::finish() {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->armed = false;
    state_->launched_early = state_->next_launch;
    while (state_->next_launch < state_->buckets.size()) {
      state_->launch(state_->buckets[state_->next_launch]);
      ++state_->next_launch;
    }
  }
  // Wait for every bucket even after a failure, so no collective is left running on
  // buffers that the caller may reuse; report the first failure.
  std::string failure;
  for (auto& bucket : state_->buckets) {
    try {
      bucket.work.wait();
    } catch (const CommError& e) {
      if (failure.empty()) failure = e.what();
    }
  }
  if (!failure.empty()) throw CommError(failure);
}

std::size_t GradReducer::num_buckets() const { return state_->buckets.size(); }

std::size_t GradReducer::buckets_launched_early() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->launched_early;
}

std::vector<std::size_t> GradReducer::bucket_members(std::size_t b) const {
  return state_->buckets.at(b).members;
}

}  // namespace dlaunch::trainer
