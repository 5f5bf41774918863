#pragma once
// The image transforms of torchvision's ImageNet recipe, done by hand on 8-bit RGB images:
// training takes a RandomResizedCrop(scale 0.08-1, ratio 3/4-4/3) plus a random horizontal
// flip; validation a Resize(short side = size * 256 / 224) plus CenterCrop(size). Both end
// in one resampling pass (antialiased bilinear, like PIL's) that writes normalised floats, CHW
// or HWC, straight into the batch. No LibTorch.

#include <array>
#include <cstdint>

#include "trainer/image.hpp"
#include "trainer/layout.hpp"

namespace dlaunch::trainer {

// A region of the source image, in source pixels (may be fractional).
struct CropBox {
  double x = 0;
  double y = 0;
  double width = 0;
  double height = 0;
};

// A small deterministic generator (splitmix64): same seed, same crops, on every platform.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  double uniform();  // [0, 1)
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  std::uint64_t below(std::uint64_t n);  // [0, n), n > 0

 private:
  std::uint64_t state_;
};

struct Normalization {
  std::array<float, 3> mean;
  std::array<float, 3> std;
};
inline constexpr Normalization kImageNetNormalization = {{0.485f, 0.456f, 0.406f},
                                                         {0.229f, 0.224f, 0.225f}};

// torchvision RandomResizedCrop.get_params: 10 tries at a random area and log-uniform aspect
// ratio that fits, else a central crop clamped to the ratio range.
CropBox random_resized_crop_box(int width, int height, Rng& rng, double min_scale = 0.08,
                                double max_scale = 1.0, double min_ratio = 3.0 / 4.0,
                                double max_ratio = 4.0 / 3.0);

// Resize(short side to `resize`) then CenterCrop(`crop`), as a box in source pixels.
CropBox center_crop_box(int width, int height, int resize, int crop);

// Resamples `box` of `image` to out_size x out_size (flipped left-right when `flip`), scales
// to [0, 1], normalises, and writes 3 x out_size x out_size floats to `out` in `layout`.
void resample_crop(const Image& image, const CropBox& box, int out_size, bool flip,
                   const Normalization& norm, SampleLayout layout, float* out);

}  // namespace dlaunch::trainer
