#include "trainer/fashion_mnist.hpp"

#include <filesystem>

#include "trainer/errors.hpp"
#include "trainer/idx_file.hpp"

namespace dlaunch::trainer {
namespace {

std::string find_idx(const std::string& dir, const std::string& name) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const std::string& candidate : {dir + "/" + name + ".gz", dir + "/" + name}) {
    if (fs::exists(candidate, ec)) return candidate;
  }
  throw DataError("Fashion-MNIST file " + name + "(.gz) not found in " + dir +
                  " (install dataset-fashion-mnist or pass --data_dir)");
}

}  // namespace

FashionMnist::FashionMnist(const std::string& dir, bool train, std::int64_t max_samples) {
  const std::string prefix = train ? "train" : "t10k";
  images_path_ = find_idx(dir, prefix + "-images-idx3-ubyte");
  const std::string labels_path = find_idx(dir, prefix + "-labels-idx1-ubyte");
  IdxArray images = read_idx_file(images_path_);
  IdxArray labels = read_idx_file(labels_path);
  if (images.dims.size() != 3 || images.dims[1] < 1 || images.dims[2] < 1) {
    throw DataError("IDX file " + images_path_ + " is not an N x rows x cols image array");
  }
  if (labels.dims.size() != 1 || labels.dims[0] != images.dims[0]) {
    throw DataError("IDX file " + labels_path + " has " +
                    (labels.dims.size() == 1 ? std::to_string(labels.dims[0]) : "a non-vector of") +
                    " labels for " + std::to_string(images.dims[0]) + " images in " +
                    images_path_);
  }
  for (std::size_t i = 0; i < labels.data.size(); ++i) {
    if (labels.data[i] >= 10) {
      throw DataError("IDX file " + labels_path + ": label " + std::to_string(labels.data[i]) +
                      " at index " + std::to_string(i) + " is not a class in 0..9");
    }
  }
  rows_ = static_cast<int>(images.dims[1]);
  cols_ = static_cast<int>(images.dims[2]);
  std::size_t n = labels.data.size();
  if (max_samples > 0 && static_cast<std::size_t>(max_samples) < n) {
    n = static_cast<std::size_t>(max_samples);
  }
  if (n == 0) throw DataError("IDX file " + images_path_ + " holds no images");
  pixels_ = std::move(images.data);
  pixels_.resize(n * static_cast<std::size_t>(rows_) * static_cast<std::size_t>(cols_));
  labels_ = std::move(labels.data);
  labels_.resize(n);
  for (int v = 0; v < 256; ++v) lut_[v] = (static_cast<float>(v) / 255.0f - kMean) / kStd;
}

std::string FashionMnist::describe(std::size_t index) const {
  return images_path_ + "[" + std::to_string(index) + "]";
}

std::int64_t FashionMnist::load(std::size_t index, std::uint64_t, SampleLayout, float* out) const {
  const std::size_t pixels = static_cast<std::size_t>(rows_) * static_cast<std::size_t>(cols_);
  const std::uint8_t* src = pixels_.data() + index * pixels;
  for (std::size_t i = 0; i < pixels; ++i) out[i] = lut_[src[i]];
  return labels_[index];
}

}  // namespace dlaunch::trainer
