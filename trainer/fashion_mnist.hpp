#pragma once
// Fashion-MNIST from its four IDX files (train 60,000 / test 10,000 images of 28x28, 10
// classes), held in memory as bytes and normalised on load with the training set's mean and
// std. Files are looked up as DIR/<name>.gz, then DIR/<name>. No LibTorch.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "trainer/dataset.hpp"

namespace dlaunch::trainer {

inline constexpr const char* kDefaultFashionMnistDir = "/usr/share/datasets/fashion-mnist";

class FashionMnist final : public Dataset {
 public:
  // Reads the train or test split from `dir`, keeping at most `max_samples` (0: all).
  FashionMnist(const std::string& dir, bool train, std::int64_t max_samples);

  std::size_t size() const override { return labels_.size(); }
  SampleShape shape() const override { return {1, rows_, cols_}; }
  int num_classes() const override { return 10; }
  std::string describe(std::size_t index) const override;
  // One channel: CHW and HWC are the same bytes.
  std::int64_t load(std::size_t index, std::uint64_t augment_seed, SampleLayout layout,
                    float* out) const override;

  static constexpr float kMean = 0.2860f;  // of the 60,000 training images, in [0, 1]
  static constexpr float kStd = 0.3530f;

 private:
  std::string images_path_;
  int rows_ = 0;
  int cols_ = 0;
  std::vector<std::uint8_t> pixels_;
  std::vector<std::uint8_t> labels_;
  float lut_[256];  // byte -> normalised value
};

}  // namespace dlaunch::trainer
