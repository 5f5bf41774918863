#include "trainer/trainer.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/trainer/test_data.hpp"
#include "trainer/errors.hpp"

namespace tr = dlaunch::trainer;
using tr::testing::TempDir;

namespace {

// Runs one training in-process and returns its metric lines.
std::vector<std::string> train(const std::vector<std::string>& flags, const tr::WorkerEnv& env = {}) {
  std::vector<std::string> args = {"dtrain"};
  args.insert(args.end(), flags.begin(), flags.end());
  const tr::Options options = tr::parse_options(args);
  std::FILE* out = std::tmpfile();
  tr::MetricSink sink(out);
  try {
    tr::run_training(options, env, sink);
  } catch (...) {
    std::fclose(out);
    throw;
  }
  std::rewind(out);
  std::vector<std::string> lines;
  char buf[1024];
  while (std::fgets(buf, sizeof buf, out) != nullptr) lines.emplace_back(buf);
  std::fclose(out);
  return lines;
}

double field(const std::string& line, const std::string& key) {
  const auto at = line.find("\"" + key + "\": ");
  REQUIRE(at != std::string::npos);
  return std::stod(line.substr(at + key.size() + 4));
}

}  // namespace

TEST_CASE("trainer: learns, writes model.pt and checkpoint.pt, resumes at the next epoch") {
  TempDir dir;
  tr::testing::write_fake_fashion_mnist(dir.str("data"), 256, 64);
  const std::vector<std::string> common = {"--data_dir", dir.str("data"), "--output_dir", dir.str("out"),
                                           "--batch_size", "32", "--learning_rate", "0.05",
                                           "--threads", "1", "--workers", "1"};
  auto flags = common;
  flags.insert(flags.end(), {"--num_epochs", "2"});
  const auto first = train(flags);
  REQUIRE(first.size() == 3);
  CHECK(first[0] == "{\"lr\": 0.05, \"momentum\": 0.9}\n");
  CHECK(field(first[1], "epoch") == 1);
  CHECK(field(first[2], "epoch") == 2);
  CHECK(field(first[2], "train_loss") < field(first[1], "train_loss"));
  CHECK(field(first[2], "best_val_acc") >= field(first[2], "val_acc"));
  for (const char* key : {"train_acc", "val_loss", "images_per_sec", "epoch_seconds"}) {
    CHECK(first[2].find(key) != std::string::npos);
  }
  CHECK(std::filesystem::exists(dir.str("out/model.pt")));
  CHECK(std::filesystem::exists(dir.str("out/checkpoint.pt")));

  // --resume: only epoch 3 runs, and it starts from the trained weights.
  flags = common;
  flags.insert(flags.end(), {"--num_epochs", "3", "--resume", dir.str("out/checkpoint.pt")});
  const auto resumed = train(flags);
  REQUIRE(resumed.size() == 2);
  CHECK(field(resumed[1], "epoch") == 3);
  CHECK(field(resumed[1], "train_loss") < field(first[1], "train_loss"));
  CHECK(field(resumed[1], "best_val_acc") >= field(first[2], "best_val_acc"));

  // A restart (TORCHELASTIC_RESTART_COUNT > 0) resumes from <output_dir>/checkpoint.pt.
  tr::WorkerEnv restarted;
  restarted.restart_count = 1;
  flags = common;
  flags.insert(flags.end(), {"--num_epochs", "4"});
  const auto after_restart = train(flags, restarted);
  REQUIRE(after_restart.size() == 2);
  CHECK(field(after_restart[1], "epoch") == 4);

  // Everything done already: nothing trains.
  flags = common;
  flags.insert(flags.end(), {"--num_epochs", "4"});
  CHECK(train(flags, restarted).size() == 1);
}

TEST_CASE("trainer: missing data and a missing --resume file are the documented errors") {
  TempDir dir;
  CHECK_THROWS_AS(train({"--data_dir", dir.str("none"), "--output_dir", dir.str("out"), "--num_epochs", "1"}),
                  tr::DataError);
  tr::testing::write_fake_fashion_mnist(dir.str("data"), 32, 16);
  CHECK_THROWS_WITH_AS(train({"--data_dir", dir.str("data"), "--output_dir", dir.str("out"),
                              "--num_epochs", "1", "--resume", dir.str("nope.pt")}),
                       doctest::Contains("nope.pt"), tr::CheckpointError);
}
