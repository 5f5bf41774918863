#include "trainer/options.hpp"

#include <doctest/doctest.h>

#include "trainer/errors.hpp"

namespace tr = dlaunch::trainer;

namespace {
tr::Options parse(std::vector<std::string> args) {
  args.insert(args.begin(), "dtrain");
  return tr::parse_options(args);
}
}  // namespace

TEST_CASE("options: defaults mirror pytorch_train.py") {
  const auto o = parse({});
  CHECK(o.num_epochs == 25);
  CHECK(o.output_dir == "./outputs");
  CHECK(o.learning_rate == doctest::Approx(0.001));
  CHECK(o.momentum == doctest::Approx(0.9));
  CHECK(o.dataset == tr::DatasetKind::kFashionMnist);
  CHECK(o.image_size == 224);
  CHECK(o.precision == tr::Precision::kFp32);
  CHECK(o.backend == tr::BackendChoice::kAuto);
}

TEST_CASE("options: underscores, hyphens, and --flag=value are the same flag") {
  CHECK(parse({"--num_epochs", "5"}).num_epochs == 5);
  CHECK(parse({"--num-epochs", "6"}).num_epochs == 6);
  CHECK(parse({"--num-epochs=7"}).num_epochs == 7);
  const auto o = parse({"--learning-rate=0.05", "--batch_size", "64", "--arch", "resnet18",
                        "--precision", "bf16", "--backend", "gloo", "--skip-bad-images",
                        "--output_dir", "/tmp/x", "--max_train_samples", "100", "--seed=3"});
  CHECK(o.learning_rate == doctest::Approx(0.05));
  CHECK(o.batch_size == 64);
  CHECK(o.arch == tr::Arch::kResnet18);
  CHECK(o.precision == tr::Precision::kBf16);
  CHECK(o.backend == tr::BackendChoice::kGloo);
  CHECK(o.skip_bad_images);
  CHECK(o.output_dir == "/tmp/x");
  CHECK(o.max_train_samples == 100);
  CHECK(o.seed == 3);
  CHECK(parse({"--local_rank=1"}).local_rank == 1);
}

TEST_CASE("options: bad flags are one clear UsageError naming the flag") {
  auto message = [](std::vector<std::string> args) -> std::string {
    try {
      parse(std::move(args));
    } catch (const tr::UsageError& e) {
      return e.what();
    }
    return "";
  };
  CHECK(message({"--num_epochs", "zero"}) == "flag --num_epochs: 'zero' is not a positive integer");
  CHECK(message({"--num_epochs", "0"}).find("--num_epochs") != std::string::npos);
  CHECK(message({"--num_epochs"}) == "flag --num_epochs needs a value");
  CHECK(message({"--bogus", "1"}) == "unknown flag --bogus (see dtrain --help)");
  CHECK(message({"--arch", "vgg"}) == "flag --arch: 'vgg' is not one of cnn|resnet18");
  CHECK(message({"--momentum", "1.5"}).find("--momentum") != std::string::npos);
  CHECK(message({"--learning_rate", "nan"}).find("--learning_rate") != std::string::npos);
  CHECK(message({"train.py"}).find("unexpected argument 'train.py'") != std::string::npos);
  CHECK(message({"--skip_bad_images=yes"}) == "flag --skip_bad_images takes no value");
  CHECK(message({"--dataset", "imagefolder"}).find("--data_dir") != std::string::npos);
  for (const auto& m : {message({"--batch_size", "-3"}), message({"--workers", "x"})}) {
    CHECK(!m.empty());
    CHECK(m.find('\n') == std::string::npos);
  }
}

TEST_CASE("options: --help lists every flag") {
  CHECK(parse({"--help"}).help);
  const std::string text = tr::usage_text();
  for (const char* flag : {"--num_epochs", "--output_dir", "--learning_rate", "--momentum",
                           "--data_dir", "--dataset", "--batch_size", "--arch", "--workers",
                           "--seed", "--precision", "--resume", "--backend", "--image_size"}) {
    CHECK_MESSAGE(text.find(flag) != std::string::npos, flag);
  }
}
