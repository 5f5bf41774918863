#include "trainer/datasets.hpp"

#include "trainer/errors.hpp"
#include "trainer/fashion_mnist.hpp"
#include "trainer/image.hpp"
#include "trainer/image_folder.hpp"

namespace dlaunch::trainer {

DataSplits load_datasets(const Options& options) {
  DataSplits splits;
  if (options.dataset == DatasetKind::kFashionMnist) {
    const std::string dir = options.data_dir.empty() ? kDefaultFashionMnistDir : options.data_dir;
    splits.train = std::make_unique<FashionMnist>(dir, true, options.max_train_samples);
    splits.val = std::make_unique<FashionMnist>(dir, false, options.max_val_samples);
    return splits;
  }
  if (!image_decoding_supported()) {
    throw UsageError("--dataset imagefolder: this dtrain was built without stb_image");
  }
  const std::string train_root = options.data_dir + "/train";
  const std::string val_root = options.data_dir + "/val";
  const auto classes = find_image_classes(train_root);
  const int num_classes = static_cast<int>(classes.size());
  splits.train = std::make_unique<ImageFolder>(
      find_image_samples(train_root, classes, options.max_train_samples), num_classes,
      options.image_size, true);
  splits.val = std::make_unique<ImageFolder>(
      find_image_samples(val_root, classes, options.max_val_samples), num_classes,
      options.image_size, false);
  return splits;
}

Arch resolve_arch(const Options& options) {
  if (options.arch != Arch::kAuto) return options.arch;
  return options.dataset == DatasetKind::kFashionMnist ? Arch::kCnn : Arch::kResnet18;
}

}  // namespace dlaunch::trainer
