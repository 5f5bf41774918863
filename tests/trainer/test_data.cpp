#include "tests/trainer/test_data.hpp"

#include <zlib.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>

namespace dlaunch::trainer::testing {

void write_idx(const std::string& path, const std::vector<std::uint32_t>& dims,
               const std::vector<std::uint8_t>& data, bool gzip) {
  std::string bytes = {0, 0, 0x08, static_cast<char>(dims.size())};
  for (std::uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>((d >> shift) & 0xff));
  }
  bytes.append(data.begin(), data.end());
  if (!gzip) {
    write_file(path, bytes);
    return;
  }
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  gzFile gz = gzopen(path.c_str(), "wb");
  if (gz == nullptr) throw std::runtime_error("gzopen failed for " + path);
  gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(gz);
}

void write_fake_fashion_mnist(const std::string& dir, int n_train, int n_test, bool gzip) {
  const std::string ext = gzip ? ".gz" : "";
  for (int split = 0; split < 2; ++split) {
    const int n = split == 0 ? n_train : n_test;
    const std::string prefix = split == 0 ? "train" : "t10k";
    std::vector<std::uint8_t> images(static_cast<std::size_t>(n) * 28 * 28);
    std::vector<std::uint8_t> labels(static_cast<std::size_t>(n));
    std::uint32_t noise = 12345u + static_cast<std::uint32_t>(split);
    for (int i = 0; i < n; ++i) {
      const int label = (i * 7 + split) % 10;
      labels[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(label);
      std::uint8_t* img = images.data() + static_cast<std::size_t>(i) * 784;
      for (int p = 0; p < 784; ++p) {
        noise = noise * 1664525u + 1013904223u;
        img[p] = static_cast<std::uint8_t>((noise >> 24) & 0x3f);
      }
      const int bx = 2 + (label % 5) * 5;
      const int by = label < 5 ? 4 : 18;
      for (int y = by; y < by + 4; ++y) {
        for (int x = bx; x < bx + 4; ++x) img[y * 28 + x] = 255;
      }
    }
    write_idx(dir + "/" + prefix + "-images-idx3-ubyte" + ext,
              {static_cast<std::uint32_t>(n), 28, 28}, images, gzip);
    write_idx(dir + "/" + prefix + "-labels-idx1-ubyte" + ext, {static_cast<std::uint32_t>(n)},
              labels, gzip);
  }
}

namespace {

std::vector<std::uint8_t> gradient(int w, int h, std::uint8_t c) {
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      std::uint8_t* p = pixels.data() + (static_cast<std::size_t>(y) * w + x) * 3;
      p[0] = static_cast<std::uint8_t>(w > 1 ? x * 255 / (w - 1) : 0);
      p[1] = static_cast<std::uint8_t>(h > 1 ? y * 255 / (h - 1) : 0);
      p[2] = c;
    }
  }
  return pixels;
}

}  // namespace

void write_png(const std::string& path, int w, int h, std::uint8_t c) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  auto pixels = gradient(w, h, c);
  if (stbi_write_png(path.c_str(), w, h, 3, pixels.data(), w * 3) == 0) {
    throw std::runtime_error("cannot write " + path);
  }
}

void write_jpeg(const std::string& path, int w, int h, std::uint8_t c) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  auto pixels = gradient(w, h, c);
  if (stbi_write_jpg(path.c_str(), w, h, 3, pixels.data(), 95) == 0) {
    throw std::runtime_error("cannot write " + path);
  }
}

}  // namespace dlaunch::trainer::testing
