#include "trainer/resnet.hpp"

#include <torch/nn/init.h>

namespace dlaunch::trainer {
namespace {

torch::nn::Conv2d conv(int in, int out, int kernel, int stride, int padding) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(false));
}

}  // namespace

BasicBlock::BasicBlock(int in, int out, int stride) {
  conv1_ = register_module("conv1", conv(in, out, 3, stride, 1));
  bn1_ = register_module("bn1", torch::nn::BatchNorm2d(out));
  conv2_ = register_module("conv2", conv(out, out, 3, 1, 1));
  bn2_ = register_module("bn2", torch::nn::BatchNorm2d(out));
  if (stride != 1 || in != out) {
    downsample_ = register_module(
        "downsample", torch::nn::Sequential(conv(in, out, 1, stride, 0), torch::nn::BatchNorm2d(out)));
  }
}

torch::Tensor BasicBlock::forward(torch::Tensor x) {
  torch::Tensor out = bn1_(conv1_(x)).relu_();
  out = bn2_(conv2_(out));
  out += downsample_ ? downsample_->forward(x) : x;
  return out.relu_();
}

ResNet18::ResNet18(int in_channels, int num_classes, bool small_input) : small_input_(small_input) {
  conv1_ = register_module("conv1", small_input ? conv(in_channels, 64, 3, 1, 1)
                                                : conv(in_channels, 64, 7, 2, 3));
  bn1_ = register_module("bn1", torch::nn::BatchNorm2d(64));
  const int widths[] = {64, 128, 256, 512};
  int in = 64;
  for (int layer = 0; layer < 4; ++layer) {
    torch::nn::Sequential blocks;
    for (int b = 0; b < 2; ++b) {
      const int stride = (layer > 0 && b == 0) ? 2 : 1;
      auto block = std::make_shared<BasicBlock>(in, widths[layer], stride);
      blocks->push_back(block);
      blocks_.push_back(block);
      in = widths[layer];
    }
    register_module("layer" + std::to_string(layer + 1), blocks);
  }
  fc_ = register_module("fc", torch::nn::Linear(512, num_classes));

  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* c = module->as<torch::nn::Conv2d>()) {
      torch::nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
    } else if (auto* bn = module->as<torch::nn::BatchNorm2d>()) {
      torch::nn::init::ones_(bn->weight);
      torch::nn::init::zeros_(bn->bias);
    }
  }
}

torch::Tensor ResNet18::forward(torch::Tensor x) {
  x = bn1_(conv1_(x)).relu_();
  if (!small_input_) x = torch::max_pool2d(x, 3, 2, 1);
  for (auto& block : blocks_) x = block->forward(x);
  x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
  return fc_(x);
}

}  // namespace dlaunch::trainer
