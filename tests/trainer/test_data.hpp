#pragma once
// Tiny generated datasets for the trainer tests: IDX files (plain or gzip), image folders of
// PNG/JPEG files, and a temp folder that removes itself.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace dlaunch::trainer::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string str(const std::string& child = "") const {
    return child.empty() ? path_.string() : (path_ / child).string();
  }

 private:
  std::filesystem::path path_;
};

// An IDX ubyte file with the given dims and data; gzip-compressed when `gzip`.
void write_idx(const std::string& path, const std::vector<std::uint32_t>& dims,
               const std::vector<std::uint8_t>& data, bool gzip);

void write_bytes(const std::string& path, const std::string& bytes);

// A Fashion-MNIST-shaped folder (28x28, 10 classes) of n_train/n_test samples whose label is
// readable from the image (a bright 4x4 block at a class-specific place), so a net can learn it.
void write_fake_fashion_mnist(const std::string& dir, int n_train, int n_test, bool gzip = true);

// A w x h RGB image where pixel (x, y) = (x * 255 / (w-1), y * 255 / (h-1), c).
void write_png(const std::string& path, int w, int h, std::uint8_t c = 0);
void write_jpeg(const std::string& path, int w, int h, std::uint8_t c = 0);

}  // namespace dlaunch::trainer::testing
