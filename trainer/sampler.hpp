#pragma once
// The distributed sampler: which sample indices a rank visits in an epoch. Training shards
// are a permutation drawn from (seed, epoch) — so each epoch reshuffles, identically on every
// rank — padded by wrapping around to a multiple of the world size, then dealt round-robin;
// every rank gets the same count, so no rank waits forever in a collective for one that ran
// out of data. Validation shards are the plain order dealt round-robin without padding:
// disjoint and exactly complete (sizes differ by at most one; their results are summed).
// No LibTorch.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dlaunch::trainer {

struct ShardSpec {
  std::size_t dataset_size = 0;
  int world_size = 1;
  int rank = 0;
  std::uint64_t seed = 0;
  int epoch = 0;
  bool shuffle = true;  // training: permute per epoch
  bool pad = true;      // training: equal counts per rank
};

std::vector<std::int64_t> shard_indices(const ShardSpec& spec);

// The permutation of 0..n-1 for (seed, epoch): a Fisher-Yates shuffle driven by splitmix64.
std::vector<std::int64_t> epoch_permutation(std::size_t n, std::uint64_t seed, int epoch);

}  // namespace dlaunch::trainer
