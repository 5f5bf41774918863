#pragma once
// An 8-bit interleaved (HWC) image, and decoding one from a file. Decoding uses stb_image
// (JPEG, PNG, BMP, PPM/PGM, TGA, GIF) when the build found it (DTRAIN_HAVE_STB); otherwise
// decode_image_file throws DataError saying imagefolder is unavailable. No LibTorch.

#include <cstdint>
#include <string>
#include <vector>

namespace dlaunch::trainer {

struct Image {
  int width = 0;
  int height = 0;
  int channels = 0;  // 3 for decoded files (grey and alpha are converted to RGB)
  std::vector<std::uint8_t> pixels;  // height x width x channels
  std::uint8_t at(int x, int y, int c) const {
    return pixels[(static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                   static_cast<std::size_t>(x)) *
                      static_cast<std::size_t>(channels) +
                  static_cast<std::size_t>(c)];
  }
};

// Reads and decodes `path` to RGB. Throws DataError naming the file when it cannot be read
// or is not a decodable image.
Image decode_image_file(const std::string& path);

// True when this build can decode images (stb_image was found).
bool image_decoding_supported();

}  // namespace dlaunch::trainer
