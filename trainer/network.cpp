#include "trainer/network.hpp"

#include "trainer/cnn.hpp"
#include "trainer/errors.hpp"
#include "trainer/resnet.hpp"

namespace dlaunch::trainer {

std::shared_ptr<Network> make_network(Arch arch, int in_channels, int num_classes,
                                      int image_size) {
  switch (arch) {
    case Arch::kCnn:
      return std::make_shared<Cnn>(in_channels, num_classes);
    case Arch::kResnet18:
      return std::make_shared<ResNet18>(in_channels, num_classes, image_size < 64);
    case Arch::kAuto:
      break;
  }
  throw UsageError("no network architecture chosen");
}

}  // namespace dlaunch::trainer
