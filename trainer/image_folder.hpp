#pragma once
// torchvision's ImageFolder for one split: ROOT/<class>/**/<image>, class index = position of
// the class folder in sorted order, files with an image extension only (case-insensitive),
// sorted by path. Training samples get RandomResizedCrop + flip, validation samples
// Resize + CenterCrop; both are normalised with the ImageNet mean/std. No LibTorch.

#include <cstdint>
#include <string>
#include <vector>

#include "trainer/dataset.hpp"

namespace dlaunch::trainer {

struct ImageFolderSample {
  std::string path;
  int label = 0;
};

// The sorted class folder names under `root`. Throws DataError when there are none.
std::vector<std::string> find_image_classes(const std::string& root);

// The images under root/<class> for each of `classes`, sorted; a sub-folder of `root` that is
// not in `classes` is a DataError (its label would be meaningless). `max_samples` (0: all)
// keeps an evenly spread subset so every class stays represented.
std::vector<ImageFolderSample> find_image_samples(const std::string& root,
                                                  const std::vector<std::string>& classes,
                                                  std::int64_t max_samples = 0);

class ImageFolder final : public Dataset {
 public:
  ImageFolder(std::vector<ImageFolderSample> samples, int num_classes, int image_size, bool train);

  std::size_t size() const override { return samples_.size(); }
  SampleShape shape() const override { return {3, image_size_, image_size_}; }
  int num_classes() const override { return num_classes_; }
  std::string describe(std::size_t index) const override { return samples_[index].path; }
  std::int64_t load(std::size_t index, std::uint64_t augment_seed, SampleLayout layout,
                    float* out) const override;

 private:
  std::vector<ImageFolderSample> samples_;
  int num_classes_;
  int image_size_;
  bool train_;
};

}  // namespace dlaunch::trainer
