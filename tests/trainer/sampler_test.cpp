#include "trainer/sampler.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <set>

namespace tr = dlaunch::trainer;

namespace {
std::vector<std::vector<std::int64_t>> shards(std::size_t n, int world, int epoch, bool train) {
  std::vector<std::vector<std::int64_t>> out;
  for (int r = 0; r < world; ++r) {
    tr::ShardSpec spec;
    spec.dataset_size = n;
    spec.world_size = world;
    spec.rank = r;
    spec.seed = 5;
    spec.epoch = epoch;
    spec.shuffle = train;
    spec.pad = train;
    out.push_back(tr::shard_indices(spec));
  }
  return out;
}
}  // namespace

TEST_CASE("sampler: training shards are disjoint, complete and equal when n divides") {
  for (int world : {1, 2, 3, 4}) {
    const auto s = shards(120, world, 0, true);
    std::multiset<std::int64_t> all;
    for (const auto& shard : s) {
      CHECK(shard.size() == 120 / static_cast<std::size_t>(world));
      all.insert(shard.begin(), shard.end());
    }
    CHECK(all.size() == 120);
    CHECK(std::set<std::int64_t>(all.begin(), all.end()).size() == 120);
  }
}

TEST_CASE("sampler: uneven sizes pad to equal counts, duplicating only the pad") {
  for (std::size_t n : {1u, 7u, 101u, 1000u}) {
    for (int world : {2, 3, 8}) {
      const auto s = shards(n, world, 1, true);
      const std::size_t per_rank = (n + static_cast<std::size_t>(world) - 1) / static_cast<std::size_t>(world);
      std::multiset<std::int64_t> all;
      for (const auto& shard : s) {
        CHECK(shard.size() == per_rank);  // every rank takes the same number of steps
        all.insert(shard.begin(), shard.end());
      }
      std::set<std::int64_t> unique(all.begin(), all.end());
      CHECK(unique.size() == n);  // complete
      CHECK(all.size() - n == per_rank * static_cast<std::size_t>(world) - n);  // only the pad repeats
      CHECK(*unique.rbegin() == static_cast<std::int64_t>(n) - 1);
    }
  }
}

TEST_CASE("sampler: each epoch reshuffles, every rank agrees, the seed reproduces") {
  const auto e0 = shards(500, 2, 0, true);
  const auto e1 = shards(500, 2, 1, true);
  const auto e0_again = shards(500, 2, 0, true);
  CHECK(e0 == e0_again);
  CHECK(e0[0] != e1[0]);
  // Rank r's shard of epoch e equals the epoch permutation dealt round-robin.
  const auto perm = tr::epoch_permutation(500, 5, 1);
  for (std::size_t i = 0; i < e1[1].size(); ++i) CHECK(e1[1][i] == perm[2 * i + 1]);
  CHECK(tr::epoch_permutation(500, 5, 0) != tr::epoch_permutation(500, 6, 0));
}

TEST_CASE("sampler: validation shards are exactly disjoint and complete, in order") {
  const auto s = shards(10, 3, 0, false);
  CHECK(s[0] == std::vector<std::int64_t>{0, 3, 6, 9});
  CHECK(s[1] == std::vector<std::int64_t>{1, 4, 7});
  CHECK(s[2] == std::vector<std::int64_t>{2, 5, 8});
  CHECK(shards(2, 4, 0, false)[3].empty());
}
