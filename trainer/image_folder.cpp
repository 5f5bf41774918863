#include "trainer/image_folder.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "trainer/errors.hpp"
#include "trainer/image.hpp"
#include "trainer/transforms.hpp"

namespace dlaunch::trainer {
namespace {

namespace fs = std::filesystem;

bool has_image_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const char* const kExtensions[] = {".jpg", ".jpeg", ".png", ".bmp", ".ppm",
                                            ".pgm", ".pnm",  ".tga", ".gif"};
  return std::any_of(std::begin(kExtensions), std::end(kExtensions),
                     [&](const char* e) { return ext == e; });
}

std::vector<std::string> list_class_dirs(const std::string& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) throw DataError("image folder " + root + " is not a directory");
  std::vector<std::string> names;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec)) names.push_back(it->path().filename().string());
  }
  if (ec) throw DataError("cannot list image folder " + root + ": " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

std::vector<std::string> find_image_classes(const std::string& root) {
  auto classes = list_class_dirs(root);
  if (classes.empty()) throw DataError("image folder " + root + " has no class folders");
  return classes;
}

std::vector<ImageFolderSample> find_image_samples(const std::string& root,
                                                  const std::vector<std::string>& classes,
                                                  std::int64_t max_samples) {
  for (const auto& name : list_class_dirs(root)) {
    if (!std::binary_search(classes.begin(), classes.end(), name)) {
      throw DataError("image folder " + root + "/" + name +
                      " is not a class of the training set");
    }
  }
  std::vector<ImageFolderSample> samples;
  for (std::size_t label = 0; label < classes.size(); ++label) {
    const fs::path dir = fs::path(root) / classes[label];
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;  // a split may lack a class
    std::vector<std::string> paths;
    const auto options = fs::directory_options::follow_directory_symlink;
    for (fs::recursive_directory_iterator it(dir, options, ec), end; !ec && it != end;
         it.increment(ec)) {
      if (it->is_regular_file(ec) && has_image_extension(it->path())) {
        paths.push_back(it->path().string());
      }
    }
    if (ec) throw DataError("cannot list image folder " + dir.string() + ": " + ec.message());
    std::sort(paths.begin(), paths.end());
    for (auto& p : paths) samples.push_back({std::move(p), static_cast<int>(label)});
  }
  if (samples.empty()) throw DataError("image folder " + root + " has no images");
  if (max_samples > 0 && static_cast<std::size_t>(max_samples) < samples.size()) {
    std::vector<ImageFolderSample> kept;
    const double stride = static_cast<double>(samples.size()) / static_cast<double>(max_samples);
    for (std::int64_t i = 0; i < max_samples; ++i) {
      kept.push_back(samples[static_cast<std::size_t>(static_cast<double>(i) * stride)]);
    }
    samples = std::move(kept);
  }
  return samples;
}

ImageFolder::ImageFolder(std::vector<ImageFolderSample> samples, int num_classes, int image_size,
                         bool train)
    : samples_(std::move(samples)),
      num_classes_(num_classes),
      image_size_(image_size),
      train_(train) {}

std::int64_t ImageFolder::load(std::size_t index, std::uint64_t augment_seed, SampleLayout layout,
                                float* out) const {
  const ImageFolderSample& sample = samples_[index];
  const Image image = decode_image_file(sample.path);
  if (train_) {
    Rng rng(augment_seed);
    const CropBox box = random_resized_crop_box(image.width, image.height, rng);
    const bool flip = rng.uniform() < 0.5;
    resample_crop(image, box, image_size_, flip, kImageNetNormalization, layout, out);
  } else {
    const int resize = (image_size_ * 256 + 112) / 224;
    const CropBox box = center_crop_box(image.width, image.height, resize, image_size_);
    resample_crop(image, box, image_size_, false, kImageNetNormalization, layout, out);
  }
  return sample.label;
}

}  // namespace dlaunch::trainer
