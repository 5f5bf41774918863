#include "trainer/image.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "trainer/errors.hpp"

#ifdef DTRAIN_HAVE_STB
#include <stb_image.h>
#endif

namespace dlaunch::trainer {
namespace {

// Larger images are refused rather than risking a multi-GB allocation from a corrupt header.
constexpr long long kMaxPixels = 1LL << 28;

std::vector<unsigned char> read_file(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) throw DataError("cannot read image " + path + ": " + std::strerror(errno));
  std::vector<unsigned char> bytes;
  unsigned char buffer[1 << 16];
  for (;;) {
    std::size_t got = std::fread(buffer, 1, sizeof buffer, file.get());
    bytes.insert(bytes.end(), buffer, buffer + got);
    if (got < sizeof buffer) break;
  }
  if (std::ferror(file.get())) throw DataError("cannot read image " + path + ": I/O error");
  return bytes;
}

}  // namespace

bool image_decoding_supported() {
#ifdef DTRAIN_HAVE_STB
  return true;
#else
  return false;
#endif
}

Image decode_image_file(const std::string& path) {
#ifdef DTRAIN_HAVE_STB
  const std::vector<unsigned char> bytes = read_file(path);
  if (bytes.empty()) throw DataError("corrupt image " + path + ": the file is empty");
  if (bytes.size() > static_cast<std::size_t>(INT32_MAX)) {
    throw DataError("image " + path + " is larger than 2 GiB");
  }
  int width = 0;
  int height = 0;
  int channels = 0;
  const int length = static_cast<int>(bytes.size());
  if (stbi_info_from_memory(bytes.data(), length, &width, &height, &channels) == 0) {
    throw DataError("corrupt image " + path + ": " + stbi_failure_reason());
  }
  if (static_cast<long long>(width) * height > kMaxPixels) {
    throw DataError("image " + path + " is too large (" + std::to_string(width) + "x" +
                    std::to_string(height) + ")");
  }
  std::unique_ptr<stbi_uc, void (*)(void*)> data(
      stbi_load_from_memory(bytes.data(), length, &width, &height, &channels, 3), &stbi_image_free);
  if (!data) throw DataError("corrupt image " + path + ": " + stbi_failure_reason());
  Image image;
  image.width = width;
  image.height = height;
  image.channels = 3;
  image.pixels.assign(data.get(), data.get() + static_cast<std::size_t>(width) * height * 3);
  return image;
#else
  throw DataError("cannot decode " + path +
                  ": this dtrain was built without stb_image (install libstb-dev and rebuild)");
#endif
}

}  // namespace dlaunch::trainer
