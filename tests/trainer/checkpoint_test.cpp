#include "trainer/checkpoint.hpp"

#include <doctest/doctest.h>
#include <torch/torch.h>

#include <filesystem>

#include "tests/trainer/test_data.hpp"
#include "trainer/errors.hpp"
#include "trainer/network.hpp"

namespace tr = dlaunch::trainer;
using tr::testing::TempDir;

namespace {

void train_one_step(tr::Network& net, torch::optim::SGD& optimizer) {
  optimizer.zero_grad();
  auto x = torch::randn({4, 1, 28, 28});
  torch::nn::functional::cross_entropy(net.forward(x), torch::tensor({0, 1, 2, 3})).backward();
  optimizer.step();
}

}  // namespace

TEST_CASE("checkpoint: weights, buffers, momentum and progress round-trip") {
  TempDir dir;
  torch::manual_seed(1);
  auto net = tr::make_network(tr::Arch::kCnn, 1, 10, 28);
  torch::optim::SGD optimizer(net->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  train_one_step(*net, optimizer);

  tr::TrainProgress progress;
  progress.epochs_done = 3;
  progress.best_val_acc = 0.8125;
  progress.seed = 7;
  progress.world_size = 2;
  progress.arch = "cnn";
  const std::string path = dir.str("nested/out/checkpoint.pt");
  tr::save_checkpoint(path, *net, optimizer, progress);
  CHECK(std::filesystem::exists(path));
  for (const auto& entry : std::filesystem::directory_iterator(dir.str("nested/out"))) {
    CHECK(entry.path().filename() == "checkpoint.pt");  // no temp file left behind
  }

  torch::manual_seed(2);
  auto other = tr::make_network(tr::Arch::kCnn, 1, 10, 28);
  torch::optim::SGD other_optimizer(other->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  const auto loaded = tr::load_checkpoint(tr::read_file_bytes(path), path, *other, other_optimizer,
                                          torch::Device(torch::kCPU));
  CHECK(loaded.epochs_done == 3);
  CHECK(loaded.best_val_acc == doctest::Approx(0.8125));
  CHECK(loaded.seed == 7);
  CHECK(loaded.world_size == 2);
  CHECK(loaded.arch == "cnn");
  auto a = net->named_parameters();
  auto b = other->named_parameters();
  for (const auto& item : a) CHECK(torch::equal(item.value(), b[item.key()]));
  auto ab = net->named_buffers();
  auto bb = other->named_buffers();
  for (const auto& item : ab) CHECK(torch::equal(item.value(), bb[item.key()]));

  // Same momentum: one more identical step keeps the two models identical.
  torch::manual_seed(3);
  train_one_step(*net, optimizer);
  torch::manual_seed(3);
  train_one_step(*other, other_optimizer);
  b = other->named_parameters();
  for (const auto& item : net->named_parameters()) {
    CHECK(torch::allclose(item.value(), b[item.key()]));
  }
}

TEST_CASE("checkpoint: model.pt loads back, bad files and paths are CheckpointErrors") {
  TempDir dir;
  auto net = tr::make_network(tr::Arch::kResnet18, 1, 10, 28);
  tr::save_model(dir.str("model.pt"), *net);
  auto copy = tr::make_network(tr::Arch::kResnet18, 1, 10, 28);
  torch::load(copy, dir.str("model.pt"));
  auto b = copy->named_parameters();
  CHECK(b.contains("layer2.0.downsample.0.weight"));
  CHECK(b.contains("fc.bias"));
  for (const auto& item : net->named_parameters()) CHECK(torch::equal(item.value(), b[item.key()]));

  torch::optim::SGD optimizer(net->parameters(), torch::optim::SGDOptions(0.1));
  CHECK_THROWS_AS(tr::load_checkpoint("not a zip", "junk", *net, optimizer, torch::Device(torch::kCPU)),
                  tr::CheckpointError);
  CHECK_THROWS_AS(tr::read_file_bytes(dir.str("missing.pt")), tr::CheckpointError);
  tr::testing::write_file(dir.str("file"), "x");
  CHECK_THROWS_AS(tr::save_model(dir.str("file/model.pt"), *net), tr::CheckpointError);
}
