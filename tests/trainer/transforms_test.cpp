#include "trainer/transforms.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

namespace tr = dlaunch::trainer;

namespace {

tr::Image gradient_image(int w, int h) {
  tr::Image image;
  image.width = w;
  image.height = h;
  image.channels = 3;
  image.pixels.resize(static_cast<std::size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      auto* p = &image.pixels[(static_cast<std::size_t>(y) * w + x) * 3];
      p[0] = static_cast<std::uint8_t>(x);
      p[1] = static_cast<std::uint8_t>(y);
      p[2] = 200;
    }
  }
  return image;
}

const tr::Normalization kIdentity = {{0, 0, 0}, {1.0f / 255, 1.0f / 255, 1.0f / 255}};

}  // namespace

TEST_CASE("transforms: random resized crop stays inside, within scale and ratio") {
  tr::Rng rng(42);
  for (int i = 0; i < 2000; ++i) {
    const int w = 20 + static_cast<int>(rng.below(400));
    // Aspect ratios from 1/2 to 2, where 10 tries practically always find a fitting crop.
    const int h = std::max(20, static_cast<int>(w * rng.uniform(0.5, 2.0)));
    const auto box = tr::random_resized_crop_box(w, h, rng);
    CHECK(box.x >= 0);
    CHECK(box.y >= 0);
    CHECK(box.x + box.width <= w);
    CHECK(box.y + box.height <= h);
    const double area = box.width * box.height / (static_cast<double>(w) * h);
    const double ratio = box.width / box.height;
    const bool whole = area > 1.0 - 1e-9;  // the fallback when nothing fit
    if (!whole) {
      // Width and height are rounded to whole pixels: allow half a pixel on each side.
      const double slack = (0.5 * box.width + 0.5 * box.height + 0.25) / (static_cast<double>(w) * h);
      CHECK_MESSAGE(area >= 0.08 - slack, w << "x" << h << " box " << box.width << "x" << box.height);
      CHECK(ratio >= 3.0 / 4 - 1.5 / box.height);
      CHECK(ratio <= 4.0 / 3 + 1.5 / box.height);
      CHECK(area <= 1.0);
    }
  }
  // A very wide image cannot fit ratios in 10 tries: the fallback clamps to 4/3.
  tr::Rng r2(1);
  const auto wide = tr::random_resized_crop_box(1000, 10, r2, 1.0, 1.0);
  CHECK(wide.height == 10);
  CHECK(wide.width == 13);
  CHECK(wide.x == (1000 - 13) / 2);
  // Same seed, same box.
  tr::Rng a(7), b(7);
  const auto ba = tr::random_resized_crop_box(300, 200, a);
  const auto bb = tr::random_resized_crop_box(300, 200, b);
  CHECK(ba.x == bb.x);
  CHECK(ba.width == bb.width);
}

TEST_CASE("transforms: resize + center crop box") {
  // 256 short side then 224 crop of a 512x1024 image: scale 0.5, crop 448 source pixels.
  const auto box = tr::center_crop_box(512, 1024, 256, 224);
  CHECK(box.width == doctest::Approx(448));
  CHECK(box.height == doctest::Approx(448));
  CHECK(box.x == doctest::Approx(32));
  CHECK(box.y == doctest::Approx(288));
}

TEST_CASE("transforms: resampling is identity at scale 1, flips, normalises, averages when shrinking") {
  const auto image = gradient_image(8, 6);
  std::vector<float> out(3 * 4 * 4);
  tr::resample_crop(image, {2, 1, 4, 4}, 4, false, kIdentity, tr::SampleLayout::kChw, out.data());
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 4; ++x) {
      CHECK(out[static_cast<std::size_t>(y * 4 + x)] == doctest::Approx(2 + x));           // R = x
      CHECK(out[static_cast<std::size_t>(16 + y * 4 + x)] == doctest::Approx(1 + y));      // G = y
      CHECK(out[static_cast<std::size_t>(32 + y * 4 + x)] == doctest::Approx(200));        // B
    }
  }
  tr::resample_crop(image, {2, 1, 4, 4}, 4, true, kIdentity, tr::SampleLayout::kChw, out.data());
  CHECK(out[0] == doctest::Approx(5));
  CHECK(out[3] == doctest::Approx(2));

  // HWC holds the same values interleaved.
  std::vector<float> hwc(3 * 4 * 4);
  tr::resample_crop(image, {2, 1, 4, 4}, 4, true, kIdentity, tr::SampleLayout::kHwc, hwc.data());
  for (int c = 0; c < 3; ++c) {
    for (int p = 0; p < 16; ++p) CHECK(hwc[static_cast<std::size_t>(p * 3 + c)] == out[static_cast<std::size_t>(c * 16 + p)]);
  }

  // ImageNet normalisation of a constant channel.
  tr::resample_crop(image, {0, 0, 8, 6}, 3, false, tr::kImageNetNormalization, tr::SampleLayout::kChw, out.data());
  CHECK(out[2 * 9 + 4] == doctest::Approx((200.0f / 255 - 0.406f) / 0.225f).epsilon(1e-4));

  // Halving a 0/255 checkerboard gives its mean, not aliasing.
  tr::Image checker;
  checker.width = checker.height = 16;
  checker.channels = 3;
  checker.pixels.resize(16 * 16 * 3);
  for (int y = 0; y < 16; ++y) {
    for (int x = 0; x < 16; ++x) {
      for (int c = 0; c < 3; ++c) checker.pixels[static_cast<std::size_t>((y * 16 + x) * 3 + c)] = ((x + y) % 2) ? 255 : 0;
    }
  }
  std::vector<float> small(3 * 4 * 4);
  tr::resample_crop(checker, {0, 0, 16, 16}, 4, false, kIdentity, tr::SampleLayout::kChw, small.data());
  for (float v : small) CHECK(v == doctest::Approx(127.5).epsilon(0.05));
}
