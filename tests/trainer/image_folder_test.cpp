#include "trainer/image_folder.hpp"

#include <doctest/doctest.h>

#include "tests/trainer/test_data.hpp"
#include "trainer/batch_loader.hpp"
#include "trainer/errors.hpp"
#include "trainer/image.hpp"

namespace tr = dlaunch::trainer;
using tr::testing::TempDir;

TEST_CASE("image: PNG and JPEG decode to RGB, corrupt files name themselves") {
  TempDir dir;
  tr::testing::write_png(dir.str("a.png"), 7, 5, 42);
  tr::testing::write_jpeg(dir.str("b.jpg"), 16, 8, 100);
  const auto png = tr::decode_image_file(dir.str("a.png"));
  CHECK(png.width == 7);
  CHECK(png.height == 5);
  CHECK(png.channels == 3);
  CHECK(png.at(6, 0, 0) == 255);
  CHECK(png.at(0, 4, 1) == 255);
  CHECK(png.at(3, 3, 2) == 42);
  const auto jpg = tr::decode_image_file(dir.str("b.jpg"));
  CHECK(jpg.width == 16);
  CHECK(jpg.height == 8);

  tr::testing::write_file(dir.str("bad.jpg"), "\xff\xd8\xff\xe0 definitely not a jpeg");
  tr::testing::write_file(dir.str("empty.png"), "");
  for (const std::string name : {"bad.jpg", "empty.png", "nothere.png"}) {
    const std::string path = dir.str(name);
    CHECK_THROWS_WITH_AS(tr::decode_image_file(path), doctest::Contains(path.c_str()), tr::DataError);
  }
}

TEST_CASE("image folder: sorted classes, image files only, val classes from train") {
  TempDir dir;
  tr::testing::write_png(dir.str("train/turkey/b.png"), 8, 8);
  tr::testing::write_png(dir.str("train/turkey/a.PNG"), 8, 8);
  tr::testing::write_jpeg(dir.str("train/chicken/x.jpg"), 8, 8);
  tr::testing::write_jpeg(dir.str("train/chicken/sub/y.jpeg"), 8, 8);
  tr::testing::write_file(dir.str("train/chicken/notes.txt"), "not an image");
  tr::testing::write_png(dir.str("val/turkey/v.png"), 8, 8);

  const auto classes = tr::find_image_classes(dir.str("train"));
  CHECK(classes == std::vector<std::string>{"chicken", "turkey"});
  const auto train = tr::find_image_samples(dir.str("train"), classes);
  REQUIRE(train.size() == 4);
  CHECK(train[0].path == dir.str("train/chicken/sub/y.jpeg"));
  CHECK(train[0].label == 0);
  CHECK(train[1].path == dir.str("train/chicken/x.jpg"));
  CHECK(train[2].path == dir.str("train/turkey/a.PNG"));
  CHECK(train[3].label == 1);
  const auto val = tr::find_image_samples(dir.str("val"), classes);
  REQUIRE(val.size() == 1);
  CHECK(val[0].label == 1);

  tr::testing::write_png(dir.str("val/goose/g.png"), 8, 8);
  CHECK_THROWS_WITH_AS(tr::find_image_samples(dir.str("val"), classes), doctest::Contains("goose"),
                       tr::DataError);
  CHECK_THROWS_AS(tr::find_image_classes(dir.str("nothing")), tr::DataError);
}

TEST_CASE("image folder: samples are transformed to normalised CHW, a corrupt file fails or is skipped") {
  TempDir dir;
  tr::testing::write_png(dir.str("train/a/0.png"), 40, 30);
  tr::testing::write_jpeg(dir.str("train/b/1.jpg"), 30, 40);
  tr::testing::write_file(dir.str("train/b/2.jpg"), "garbage");
  const auto classes = tr::find_image_classes(dir.str("train"));
  tr::ImageFolder train(tr::find_image_samples(dir.str("train"), classes), 2, 16, true);
  tr::ImageFolder val(tr::find_image_samples(dir.str("train"), classes), 2, 16, false);
  CHECK(train.shape().numel() == 3 * 16 * 16);
  std::vector<float> out(3 * 16 * 16);
  CHECK(train.load(0, 7, tr::SampleLayout::kChw, out.data()) == 0);
  CHECK(val.load(1, 0, tr::SampleLayout::kChw, out.data()) == 1);
  // Val of the 30x40 gradient: blue is constant 0 -> (0 - 0.406) / 0.225 everywhere.
  CHECK(out[2 * 256 + 100] == doctest::Approx(-0.406f / 0.225f).epsilon(0.01));

  tr::LoaderOptions options;
  options.batch_size = 2;
  options.workers = 2;
  CHECK_THROWS_WITH_AS(
      [&] {
        tr::BatchLoader loader(train, {0, 1, 2}, options);
        while (loader.next() != nullptr) {
        }
      }(),
      doctest::Contains(dir.str("train/b/2.jpg").c_str()), tr::DataError);

  std::vector<std::string> warnings;
  std::mutex mutex;
  options.skip_bad_samples = true;
  options.warn = [&](const std::string& w) {
    std::lock_guard<std::mutex> lock(mutex);
    warnings.push_back(w);
  };
  tr::BatchLoader loader(train, {0, 1, 2}, options);
  std::size_t seen = 0;
  while (const tr::Batch* batch = loader.next()) seen += batch->count;
  CHECK(seen == 2);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("2.jpg") != std::string::npos);
}
