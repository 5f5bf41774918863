#pragma once
// ResNet-18 in torchvision's layout and initialisation (BasicBlock x [2, 2, 2, 2], kaiming
// normal fan-out convs, BatchNorm weight 1 / bias 0), so parameter names match
// torchvision.models.resnet18. For small inputs the stem is a 3x3 stride-1 conv without
// max-pool (the usual CIFAR/MNIST adaptation); `in_channels` 1 takes grayscale directly.

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include "trainer/network.hpp"

namespace dlaunch::trainer {

class BasicBlock final : public torch::nn::Module {
 public:
  BasicBlock(int in, int out, int stride);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  torch::nn::Sequential downsample_{nullptr};
};

class ResNet18 final : public Network {
 public:
  ResNet18(int in_channels, int num_classes, bool small_input);
  torch::Tensor forward(torch::Tensor images) override;

 private:
  bool small_input_;
  torch::nn::Conv2d conv1_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr};
  std::vector<std::shared_ptr<BasicBlock>> blocks_;
  torch::nn::Linear fc_{nullptr};
};

}  // namespace dlaunch::trainer
