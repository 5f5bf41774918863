#include "trainer/batch_loader.hpp"

#include <algorithm>

#include "trainer/errors.hpp"

namespace dlaunch::trainer {
namespace {

std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

}  // namespace

BatchLoader::BatchLoader(const Dataset& dataset, std::vector<std::int64_t> indices,
                         LoaderOptions options)
    : dataset_(dataset),
      indices_(std::move(indices)),
      options_(std::move(options)),
      sample_numel_(dataset.shape().numel()),
      num_batches_((indices_.size() + static_cast<std::size_t>(options_.batch_size) - 1) /
                   static_cast<std::size_t>(options_.batch_size)) {
  const auto batch = static_cast<std::size_t>(options_.batch_size);
  const int workers = std::max(1, options_.workers);
  const auto ring = static_cast<std::size_t>(std::max(options_.prefetch, workers));
  slots_.resize(std::min(ring, std::max<std::size_t>(num_batches_, 1)));
  for (Slot& slot : slots_) {
    slot.batch.images.resize(batch * sample_numel_);
    slot.batch.labels.resize(batch);
  }
  const auto threads = std::min<std::size_t>(static_cast<std::size_t>(workers), num_batches_);
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  slot_free_.notify_all();
  slot_ready_.notify_all();
  for (auto& t : threads_) t.join();
}

void BatchLoader::work() {
  for (;;) {
    std::size_t number = 0;
    Slot* slot = nullptr;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      // Batch n may use slot n % ring once batch n - ring has been handed out and released
      // (the consumer releases batch k when it asks for k + 1).
      slot_free_.wait(lock, [&] {
        return stop_ || next_claim_ >= num_batches_ ||
               next_claim_ + 1 < consumed_ + slots_.size() + (consumed_ == 0 ? 1 : 0);
      });
      if (stop_ || next_claim_ >= num_batches_) return;
      number = next_claim_++;
      slot = &slots_[number % slots_.size()];
    }
    fill(*slot, number);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      slot->ready = static_cast<std::int64_t>(number);
    }
    slot_ready_.notify_all();
  }
}

void BatchLoader::fill(Slot& slot, std::size_t number) {
  Batch& batch = slot.batch;
  batch.number = number;
  batch.count = 0;
  slot.error = nullptr;
  const auto size = static_cast<std::size_t>(options_.batch_size);
  const std::size_t begin = number * size;
  const std::size_t end = std::min(begin + size, indices_.size());
  const std::uint64_t epoch_seed = mix(options_.seed ^ mix(static_cast<std::uint64_t>(options_.epoch)));
  for (std::size_t i = begin; i < end; ++i) {
    const auto index = static_cast<std::size_t>(indices_[i]);
    try {
      float* out = batch.images.data() + batch.count * sample_numel_;
      batch.labels[batch.count] = dataset_.load(index, mix(epoch_seed ^ index), options_.layout, out);
      ++batch.count;
    } catch (const DataError& e) {
      if (!options_.skip_bad_samples) {
        slot.error = std::current_exception();
        return;
      }
      if (options_.warn) options_.warn(std::string(e.what()) + " (skipped)");
    } catch (...) {
      slot.error = std::current_exception();
      return;
    }
  }
}

const Batch* BatchLoader::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (consumed_ >= num_batches_) {
    if (consumed_ == num_batches_) ++consumed_;  // release the last batch
    slot_free_.notify_all();
    return nullptr;
  }
  const std::size_t number = consumed_++;
  slot_free_.notify_all();  // batch number - 1 is released
  Slot& slot = slots_[number % slots_.size()];
  slot_ready_.wait(lock, [&] { return slot.ready == static_cast<std::int64_t>(number); });
  if (slot.error) std::rethrow_exception(slot.error);
  return &slot.batch;
}

}  // namespace dlaunch::trainer
