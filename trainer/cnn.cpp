#include "trainer/cnn.hpp"

#include <torch/nn/functional/pooling.h>

namespace dlaunch::trainer {
namespace {

torch::nn::Conv2d conv3x3(int in, int out) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1).bias(false));
}

}  // namespace

Cnn::Cnn(int in_channels, int num_classes) {
  conv1_ = register_module("conv1", conv3x3(in_channels, 32));
  bn1_ = register_module("bn1", torch::nn::BatchNorm2d(32));
  conv2_ = register_module("conv2", conv3x3(32, 32));
  bn2_ = register_module("bn2", torch::nn::BatchNorm2d(32));
  conv3_ = register_module("conv3", conv3x3(32, 64));
  bn3_ = register_module("bn3", torch::nn::BatchNorm2d(64));
  conv4_ = register_module("conv4", conv3x3(64, 64));
  bn4_ = register_module("bn4", torch::nn::BatchNorm2d(64));
  fc1_ = register_module("fc1", torch::nn::Linear(torch::nn::LinearOptions(64 * 7 * 7, 128).bias(false)));
  bn5_ = register_module("bn5", torch::nn::BatchNorm1d(128));
  fc2_ = register_module("fc2", torch::nn::Linear(128, num_classes));
}

torch::Tensor Cnn::forward(torch::Tensor x) {
  x = bn1_(conv1_(x)).relu_();
  x = bn2_(conv2_(x)).relu_();
  x = torch::max_pool2d(x, 2);
  x = bn3_(conv3_(x)).relu_();
  x = bn4_(conv4_(x)).relu_();
  x = torch::max_pool2d(x, 2);
  if (x.size(2) != 7 || x.size(3) != 7) x = torch::adaptive_avg_pool2d(x, {7, 7});
  x = bn5_(fc1_(x.flatten(1))).relu_();
  return fc2_(x);
}

}  // namespace dlaunch::trainer
