#include "trainer/idx_file.hpp"

#include <doctest/doctest.h>

#include "tests/trainer/test_data.hpp"
#include "trainer/errors.hpp"
#include "trainer/fashion_mnist.hpp"

namespace tr = dlaunch::trainer;
using tr::testing::TempDir;

namespace {
std::string error_of(const std::string& path) {
  try {
    tr::read_idx_file(path);
  } catch (const tr::DataError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("idx: reads plain and gzip files alike") {
  TempDir dir;
  const std::vector<std::uint8_t> data = {1, 2, 3, 4, 5, 6};
  for (bool gzip : {false, true}) {
    const std::string path = dir.str(gzip ? "a.gz" : "a");
    tr::testing::write_idx(path, {2, 3}, data, gzip);
    const auto array = tr::read_idx_file(path);
    CHECK(array.dims == std::vector<std::int64_t>{2, 3});
    CHECK(array.data == data);
  }
}

TEST_CASE("idx: corrupt or truncated files are one DataError naming the file") {
  TempDir dir;
  const std::string missing = dir.str("missing.gz");
  CHECK(error_of(missing).find(missing) != std::string::npos);

  tr::testing::write_file(dir.str("magic"), std::string("\x01\x02\x08\x01\x00\x00\x00\x01x", 9));
  CHECK(error_of(dir.str("magic")).find("bad magic") != std::string::npos);

  tr::testing::write_file(dir.str("float"), std::string("\x00\x00\x0d\x01\x00\x00\x00\x01xxxx", 12));
  CHECK(error_of(dir.str("float")).find("0x0d") != std::string::npos);

  tr::testing::write_idx(dir.str("short"), {10, 10}, std::vector<std::uint8_t>(50, 7), false);
  const std::string short_error = error_of(dir.str("short"));
  CHECK(short_error.find("truncated") != std::string::npos);
  CHECK(short_error.find(dir.str("short")) != std::string::npos);

  tr::testing::write_idx(dir.str("long"), {2}, {1, 2, 3}, false);
  CHECK(error_of(dir.str("long")).find("trailing") != std::string::npos);

  // A gzip stream cut in half, and one with garbage after the gzip magic.
  tr::testing::write_idx(dir.str("cut.gz"), {100, 100}, std::vector<std::uint8_t>(10000, 9), true);
  {
    std::FILE* f = std::fopen(dir.str("cut.gz").c_str(), "rb");
    std::string bytes(4096, '\0');
    bytes.resize(std::fread(bytes.data(), 1, bytes.size(), f));
    std::fclose(f);
    tr::testing::write_file(dir.str("cut.gz"), bytes.substr(0, bytes.size() / 2));
    tr::testing::write_file(dir.str("garbage.gz"), bytes.substr(0, 10) + std::string(200, 'z'));
  }
  CHECK(error_of(dir.str("cut.gz")).find(dir.str("cut.gz")) != std::string::npos);
  CHECK(error_of(dir.str("garbage.gz")).find(dir.str("garbage.gz")) != std::string::npos);
}

TEST_CASE("fashion-mnist: loads the four files, normalises, limits samples") {
  TempDir dir;
  tr::testing::write_fake_fashion_mnist(dir.str(), 50, 20);
  tr::FashionMnist train(dir.str(), true, 0);
  tr::FashionMnist test(dir.str(), false, 0);
  tr::FashionMnist limited(dir.str(), true, 8);
  CHECK(train.size() == 50);
  CHECK(test.size() == 20);
  CHECK(limited.size() == 8);
  CHECK(train.shape().numel() == 784);
  std::vector<float> sample(784);
  const auto label = train.load(3, 0, tr::SampleLayout::kChw, sample.data());
  CHECK(label == (3 * 7) % 10);
  const int bx = 2 + (label % 5) * 5;
  const int by = label < 5 ? 4 : 18;
  CHECK(sample[static_cast<std::size_t>(by * 28 + bx)] ==
        doctest::Approx((1.0f - tr::FashionMnist::kMean) / tr::FashionMnist::kStd));

  // Labels that do not match the images, and an out-of-range label.
  tr::testing::write_idx(dir.str("train-labels-idx1-ubyte.gz"), {49}, std::vector<std::uint8_t>(49, 1), true);
  CHECK_THROWS_AS(tr::FashionMnist(dir.str(), true, 0), tr::DataError);
  tr::testing::write_idx(dir.str("train-labels-idx1-ubyte.gz"), {50}, std::vector<std::uint8_t>(50, 10), true);
  CHECK_THROWS_WITH_AS(tr::FashionMnist(dir.str(), true, 0), doctest::Contains("label 10"), tr::DataError);

  TempDir empty;
  CHECK_THROWS_WITH_AS(tr::FashionMnist(empty.str(), true, 0),
                       doctest::Contains("train-images-idx3-ubyte"), tr::DataError);
}
