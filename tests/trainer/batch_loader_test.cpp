#include "trainer/batch_loader.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <numeric>
#include <thread>

#include "trainer/errors.hpp"

namespace tr = dlaunch::trainer;

namespace {

// Sample i is the value i (2 floats), label i % 3; loads can be slowed down and counted.
class Counting final : public tr::Dataset {
 public:
  explicit Counting(std::size_t n, int delay_ms = 0) : n_(n), delay_ms_(delay_ms) {}
  std::size_t size() const override { return n_; }
  tr::SampleShape shape() const override { return {1, 1, 2}; }
  int num_classes() const override { return 3; }
  std::string describe(std::size_t i) const override { return "sample " + std::to_string(i); }
  std::int64_t load(std::size_t i, std::uint64_t seed, tr::SampleLayout, float* out) const override {
    if (delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
    ++loads;
    if (i == bad) throw tr::DataError("corrupt " + describe(i));
    out[0] = static_cast<float>(i);
    out[1] = static_cast<float>(seed % 1000);
    return static_cast<std::int64_t>(i % 3);
  }
  mutable std::atomic<int> loads{0};
  std::size_t bad = static_cast<std::size_t>(-1);

 private:
  std::size_t n_;
  int delay_ms_;
};

}  // namespace

TEST_CASE("batch loader: batches come in order, complete, last one short") {
  Counting data(23);
  std::vector<std::int64_t> indices(23);
  std::iota(indices.rbegin(), indices.rend(), 0);  // 22, 21, ..., 0
  tr::LoaderOptions options;
  options.batch_size = 5;
  options.workers = 3;
  options.prefetch = 4;
  tr::BatchLoader loader(data, indices, options);
  CHECK(loader.num_batches() == 5);
  std::vector<std::int64_t> seen;
  std::size_t batches = 0;
  while (const tr::Batch* b = loader.next()) {
    CHECK(b->number == batches++);
    for (std::size_t i = 0; i < b->count; ++i) {
      seen.push_back(static_cast<std::int64_t>(b->images[i * 2]));
      CHECK(b->labels[i] == seen.back() % 3);
    }
  }
  CHECK(seen == indices);
  CHECK(loader.next() == nullptr);
}

TEST_CASE("batch loader: loads ahead on threads, bounded by the prefetch ring") {
  Counting data(40, 20);
  std::vector<std::int64_t> indices(40);
  std::iota(indices.begin(), indices.end(), 0);
  tr::LoaderOptions options;
  options.batch_size = 2;
  options.workers = 4;
  options.prefetch = 4;
  const auto start = std::chrono::steady_clock::now();
  tr::BatchLoader loader(data, indices, options);
  // 4 slots x 2 samples are filled ahead, and no more while nothing is consumed.
  for (int i = 0; i < 200 && data.loads.load() < 8; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(data.loads.load() == 8);
  std::size_t n = 0;
  while (const tr::Batch* b = loader.next()) n += b->count;
  CHECK(n == 40);
  // 40 loads of 20 ms on 4 threads take ~200 ms; one thread would need 800 ms.
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed < std::chrono::milliseconds(700));
}

TEST_CASE("batch loader: augmentation seeds depend on epoch and sample, not on threads") {
  Counting data(12);
  std::vector<std::int64_t> indices(12);
  std::iota(indices.begin(), indices.end(), 0);
  auto seeds = [&](int epoch, int workers) {
    tr::LoaderOptions options;
    options.batch_size = 3;
    options.workers = workers;
    options.epoch = epoch;
    tr::BatchLoader loader(data, indices, options);
    std::vector<float> out;
    while (const tr::Batch* b = loader.next()) {
      for (std::size_t i = 0; i < b->count; ++i) out.push_back(b->images[i * 2 + 1]);
    }
    return out;
  };
  CHECK(seeds(0, 1) == seeds(0, 4));
  CHECK(seeds(0, 2) != seeds(1, 2));
}

TEST_CASE("batch loader: a failing sample surfaces at its batch, destruction mid-epoch is clean") {
  Counting data(30);
  data.bad = 17;
  std::vector<std::int64_t> indices(30);
  std::iota(indices.begin(), indices.end(), 0);
  tr::LoaderOptions options;
  options.batch_size = 4;
  options.workers = 2;
  {
    tr::BatchLoader loader(data, indices, options);
    for (int i = 0; i < 4; ++i) CHECK(loader.next() != nullptr);  // samples 0..15
    CHECK_THROWS_WITH_AS(loader.next(), "corrupt sample 17", tr::DataError);
  }
  {
    tr::BatchLoader loader(data, indices, options);
    CHECK(loader.next() != nullptr);
  }  // destroyed with batches pending: joins without hanging
}
