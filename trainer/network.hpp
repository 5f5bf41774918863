#pragma once
// The models dtrain trains: a classifier is a torch::nn::Module with forward(images) -> logits.
// Parameter names follow the Python definitions (scripts/ddp_reference.py; torchvision's
// resnet18 layout: conv1, bn1, layer1.0.conv1, ..., fc) so weights map one-to-one.

#include <torch/nn/module.h>

#include <memory>

#include "trainer/options.hpp"

namespace dlaunch::trainer {

class Network : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(torch::Tensor images) = 0;
};

// `image_size` picks the ResNet stem: below 64 px (28x28 Fashion-MNIST) a 3x3 stride-1 conv
// without max-pool, otherwise torchvision's 7x7 stride-2 conv + max-pool.
std::shared_ptr<Network> make_network(Arch arch, int in_channels, int num_classes,
                                      int image_size);

}  // namespace dlaunch::trainer
