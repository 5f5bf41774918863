#pragma once
// Builds the training and validation datasets the flags ask for: Fashion-MNIST (train/test
// IDX files) or an ImageFolder tree (DIR/train, DIR/val; the classes come from train).
// No LibTorch.

#include <memory>

#include "trainer/dataset.hpp"
#include "trainer/options.hpp"

namespace dlaunch::trainer {

struct DataSplits {
  std::unique_ptr<Dataset> train;
  std::unique_ptr<Dataset> val;
};

// Throws DataError (missing/corrupt files) or UsageError (imagefolder without stb_image).
DataSplits load_datasets(const Options& options);

// The architecture to use: the flag, or cnn for Fashion-MNIST and resnet18 for images.
Arch resolve_arch(const Options& options);

}  // namespace dlaunch::trainer
