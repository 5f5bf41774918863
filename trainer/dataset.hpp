#pragma once
// What the loader needs from a dataset: its size, the shape of one sample, and a thread-safe
// load() that writes one normalised float sample, CHW or HWC, into caller-owned memory (so
// batches are filled in place, without per-sample tensors). No LibTorch.

#include <cstddef>
#include <cstdint>
#include <string>

#include "trainer/layout.hpp"

namespace dlaunch::trainer {

struct SampleShape {
  int channels = 0;
  int height = 0;
  int width = 0;
  std::size_t numel() const {
    return static_cast<std::size_t>(channels) * static_cast<std::size_t>(height) *
           static_cast<std::size_t>(width);
  }
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual std::size_t size() const = 0;
  virtual SampleShape shape() const = 0;
  virtual int num_classes() const = 0;
  // A name for sample `index` in messages (an image's path).
  virtual std::string describe(std::size_t index) const = 0;
  // Writes sample `index` to out[0 .. shape().numel()) in `layout` and returns its label.
  // `augment_seed` drives random augmentation where the dataset has any. Thread-safe; throws
  // DataError.
  virtual std::int64_t load(std::size_t index, std::uint64_t augment_seed, SampleLayout layout,
                            float* out) const = 0;
};

}  // namespace dlaunch::trainer
