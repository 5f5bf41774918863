#include "trainer/transforms.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace dlaunch::trainer {
namespace {

// Filter taps of one output pixel along one axis.
struct Taps {
  int first = 0;
  int count = 0;
  std::size_t offset = 0;  // into Weights::values
};

struct Weights {
  std::vector<Taps> taps;
  std::vector<float> values;
};

// PIL-style antialiased bilinear: a triangle filter whose support widens with the
// downscaling factor, so shrinking a 1000-px photo to 224 averages instead of aliasing.
void compute_weights(int in_size, double start, double length, int out_size, Weights& w) {
  const double scale = length / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = filter_scale;  // triangle radius 1, stretched
  w.taps.resize(static_cast<std::size_t>(out_size));
  w.values.clear();
  for (int i = 0; i < out_size; ++i) {
    const double center = start + (i + 0.5) * scale;
    int lo = static_cast<int>(std::floor(center - support + 0.5));
    int hi = static_cast<int>(std::floor(center + support + 0.5));
    lo = std::clamp(lo, 0, in_size - 1);
    hi = std::clamp(hi, lo + 1, in_size);
    Taps& t = w.taps[static_cast<std::size_t>(i)];
    t.first = lo;
    t.count = hi - lo;
    t.offset = w.values.size();
    double total = 0;
    for (int k = lo; k < hi; ++k) {
      const double weight = std::max(0.0, 1.0 - std::abs((k + 0.5 - center) / filter_scale));
      w.values.push_back(static_cast<float>(weight));
      total += weight;
    }
    if (total <= 0) {  // the box lies between pixel centers at an edge: take the nearest
      const int nearest = std::clamp(static_cast<int>(std::floor(center)), 0, in_size - 1);
      w.values.resize(t.offset);
      t.first = nearest;
      t.count = 1;
      w.values.push_back(1.0f);
      continue;
    }
    for (int k = 0; k < t.count; ++k) w.values[t.offset + static_cast<std::size_t>(k)] /= static_cast<float>(total);
  }
}

}  // namespace

std::uint64_t Rng::next() {
  std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

std::uint64_t Rng::below(std::uint64_t n) { return next() % n; }

CropBox random_resized_crop_box(int width, int height, Rng& rng, double min_scale,
                                double max_scale, double min_ratio, double max_ratio) {
  const double area = static_cast<double>(width) * height;
  const double log_lo = std::log(min_ratio);
  const double log_hi = std::log(max_ratio);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target = area * rng.uniform(min_scale, max_scale);
    const double ratio = std::exp(rng.uniform(log_lo, log_hi));
    const int w = static_cast<int>(std::lround(std::sqrt(target * ratio)));
    const int h = static_cast<int>(std::lround(std::sqrt(target / ratio)));
    if (w > 0 && h > 0 && w <= width && h <= height) {
      const auto y = static_cast<int>(rng.below(static_cast<std::uint64_t>(height - h + 1)));
      const auto x = static_cast<int>(rng.below(static_cast<std::uint64_t>(width - w + 1)));
      return {static_cast<double>(x), static_cast<double>(y), static_cast<double>(w),
              static_cast<double>(h)};
    }
  }
  const double in_ratio = static_cast<double>(width) / height;
  int w = width;
  int h = height;
  if (in_ratio < min_ratio) {
    h = static_cast<int>(std::lround(w / min_ratio));
  } else if (in_ratio > max_ratio) {
    w = static_cast<int>(std::lround(h * max_ratio));
  }
  w = std::clamp(w, 1, width);
  h = std::clamp(h, 1, height);
  return {static_cast<double>((width - w) / 2), static_cast<double>((height - h) / 2),
          static_cast<double>(w), static_cast<double>(h)};
}

CropBox center_crop_box(int width, int height, int resize, int crop) {
  const double scale = static_cast<double>(resize) / std::min(width, height);
  const double side = crop / scale;  // the crop in source pixels
  const double w = std::min(side, static_cast<double>(width));
  const double h = std::min(side, static_cast<double>(height));
  return {(width - w) / 2.0, (height - h) / 2.0, w, h};
}

void resample_crop(const Image& image, const CropBox& box, int out_size, bool flip,
                   const Normalization& norm, SampleLayout layout, float* out) {
  thread_local Weights wx;
  thread_local Weights wy;
  thread_local std::vector<float> rows;
  compute_weights(image.width, box.x, box.width, out_size, wx);
  compute_weights(image.height, box.y, box.height, out_size, wy);

  const int channels = image.channels;
  const int row_lo = wy.taps.front().first;
  const int row_hi = wy.taps.back().first + wy.taps.back().count;
  // Horizontal pass over the rows the vertical filter will touch.
  const std::size_t row_stride = static_cast<std::size_t>(out_size) * 3;
  rows.assign(static_cast<std::size_t>(row_hi - row_lo) * row_stride, 0.0f);
  for (int y = row_lo; y < row_hi; ++y) {
    float* dst = rows.data() + static_cast<std::size_t>(y - row_lo) * row_stride;
    const std::uint8_t* src = image.pixels.data() + static_cast<std::size_t>(y) *
                                                        static_cast<std::size_t>(image.width) *
                                                        static_cast<std::size_t>(channels);
    for (int x = 0; x < out_size; ++x) {
      const Taps& t = wx.taps[static_cast<std::size_t>(x)];
      const float* weights = wx.values.data() + t.offset;
      float acc[3] = {0, 0, 0};
      for (int k = 0; k < t.count; ++k) {
        const std::uint8_t* p = src + static_cast<std::size_t>(t.first + k) * static_cast<std::size_t>(channels);
        for (int c = 0; c < 3; ++c) acc[c] += weights[k] * p[channels == 1 ? 0 : c];
      }
      for (int c = 0; c < 3; ++c) dst[static_cast<std::size_t>(x) * 3 + static_cast<std::size_t>(c)] = acc[c];
    }
  }
  // Vertical pass, flip, scale and normalise, into CHW or HWC.
  const std::size_t plane = static_cast<std::size_t>(out_size) * static_cast<std::size_t>(out_size);
  float scale[3];
  float shift[3];
  for (int c = 0; c < 3; ++c) {
    scale[c] = 1.0f / (255.0f * norm.std[static_cast<std::size_t>(c)]);
    shift[c] = -norm.mean[static_cast<std::size_t>(c)] / norm.std[static_cast<std::size_t>(c)];
  }
  for (int y = 0; y < out_size; ++y) {
    const Taps& t = wy.taps[static_cast<std::size_t>(y)];
    const float* weights = wy.values.data() + t.offset;
    for (int x = 0; x < out_size; ++x) {
      float acc[3] = {0, 0, 0};
      for (int k = 0; k < t.count; ++k) {
        const float* p = rows.data() + static_cast<std::size_t>(t.first + k - row_lo) * row_stride +
                         static_cast<std::size_t>(x) * 3;
        for (int c = 0; c < 3; ++c) acc[c] += weights[k] * p[c];
      }
      const int ox = flip ? out_size - 1 - x : x;
      const std::size_t at = static_cast<std::size_t>(y) * static_cast<std::size_t>(out_size) +
                             static_cast<std::size_t>(ox);
      if (layout == SampleLayout::kHwc) {
        for (int c = 0; c < 3; ++c) out[at * 3 + static_cast<std::size_t>(c)] = acc[c] * scale[c] + shift[c];
      } else {
        for (int c = 0; c < 3; ++c) out[static_cast<std::size_t>(c) * plane + at] = acc[c] * scale[c] + shift[c];
      }
    }
  }
}

}  // namespace dlaunch::trainer
