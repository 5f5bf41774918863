#include "trainer/sampler.hpp"

#include <numeric>
#include <utility>

#include "trainer/transforms.hpp"

namespace dlaunch::trainer {

std::vector<std::int64_t> epoch_permutation(std::size_t n, std::uint64_t seed, int epoch) {
  std::vector<std::int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  Rng rng(seed * 0x2545F4914F6CDD1DULL + static_cast<std::uint64_t>(epoch) + 1);
  for (std::size_t i = n; i > 1; --i) {
    const auto j = static_cast<std::size_t>(rng.below(i));
    std::swap(order[i - 1], order[j]);
  }
  return order;
}

std::vector<std::int64_t> shard_indices(const ShardSpec& spec) {
  std::vector<std::int64_t> order;
  if (spec.shuffle) {
    order = epoch_permutation(spec.dataset_size, spec.seed, spec.epoch);
  } else {
    order.resize(spec.dataset_size);
    std::iota(order.begin(), order.end(), 0);
  }
  const auto world = static_cast<std::size_t>(spec.world_size);
  const auto rank = static_cast<std::size_t>(spec.rank);
  std::size_t total = order.size();
  if (spec.pad && total > 0 && total % world != 0) {
    total = (total / world + 1) * world;  // wrap around, as torch's DistributedSampler does
  }
  std::vector<std::int64_t> mine;
  mine.reserve(total / world + 1);
  for (std::size_t i = rank; i < total; i += world) mine.push_back(order[i % order.size()]);
  return mine;
}

}  // namespace dlaunch::trainer
