#pragma once
// Loads one epoch's batches of a Dataset on background threads, ahead of the training loop.
// A fixed ring of `prefetch` batch buffers is allocated once; each worker thread claims the
// next batch number, fills its buffer in place (dataset decode + transform), and the consumer
// takes batches strictly in order. So compute never waits on I/O while the ring is full,
// and nothing is allocated per batch.
//
// Threading: next() is called from one consumer thread; a batch returned by next() stays
// valid until the following next() (or destruction). A sample that fails to load is skipped
// with a warning when skip_bad_samples is set; otherwise next() throws its DataError when the
// consumer reaches that batch. No LibTorch.

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "trainer/dataset.hpp"

namespace dlaunch::trainer {

struct LoaderOptions {
  std::int64_t batch_size = 32;
  int workers = 2;
  int prefetch = 4;  // ring size, at least `workers`
  bool skip_bad_samples = false;
  SampleLayout layout = SampleLayout::kChw;
  std::uint64_t seed = 0;  // with epoch and sample index: each sample's augmentation seed
  int epoch = 0;
  std::function<void(const std::string&)> warn;  // called from worker threads
};

struct Batch {
  std::vector<float> images;          // capacity batch_size x sample numel
  std::vector<std::int64_t> labels;   // capacity batch_size
  std::size_t count = 0;              // samples actually filled (skips make it smaller)
  std::size_t number = 0;             // position in the epoch
};

class BatchLoader {
 public:
  BatchLoader(const Dataset& dataset, std::vector<std::int64_t> indices, LoaderOptions options);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  std::size_t num_batches() const { return num_batches_; }
  // The next batch in order; nullptr after the last. Throws the DataError of a failed sample.
  const Batch* next();

 private:
  struct Slot {
    Batch batch;
    std::int64_t ready = -1;  // the batch number held, once filled
    std::exception_ptr error;
  };

  void work();
  void fill(Slot& slot, std::size_t number);

  const Dataset& dataset_;
  const std::vector<std::int64_t> indices_;
  const LoaderOptions options_;
  const std::size_t sample_numel_;
  const std::size_t num_batches_;

  std::mutex mutex_;
  std::condition_variable slot_free_;
  std::condition_variable slot_ready_;
  std::vector<Slot> slots_;
  std::size_t next_claim_ = 0;  // next batch number a worker takes
  std::size_t consumed_ = 0;    // batches handed out by next()
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace dlaunch::trainer
