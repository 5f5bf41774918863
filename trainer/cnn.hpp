#pragma once
// The small Fashion-MNIST net: two blocks of two 3x3 conv + BatchNorm + ReLU and a 2x2
// max-pool (32 then 64 channels), then fc1 (64*7*7 -> 128) + BatchNorm + ReLU and fc2.
// Inputs larger than 28x28 are average-pooled to 7x7 before fc1.

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include "trainer/network.hpp"

namespace dlaunch::trainer {

class Cnn final : public Network {
 public:
  Cnn(int in_channels, int num_classes);
  torch::Tensor forward(torch::Tensor images) override;

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr}, conv4_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr}, bn3_{nullptr}, bn4_{nullptr};
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
  torch::nn::BatchNorm1d bn5_{nullptr};
};

}  // namespace dlaunch::trainer
