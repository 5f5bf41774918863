#pragma once
// checkpoint.pt and model.pt. A checkpoint holds the model's parameters and buffers, the
// optimizer state (momentum buffers), and the progress: epochs completed, best validation
// accuracy, seed, world size, architecture. model.pt holds the best weights as LibTorch's
// torch::save writes a module: a TorchScript archive that Python opens with torch.jit.load,
// its named parameters and buffers matching the model's.
//
// Writes are atomic (a temp file in the same folder, fsync, rename), so a worker killed
// mid-write leaves the previous file intact. Errors are CheckpointError.

#include <cstdint>
#include <string>

namespace c10 {
struct Device;
}
namespace torch::nn {
class Module;
}
namespace torch::optim {
class Optimizer;
}

namespace dlaunch::trainer {

struct TrainProgress {
  std::int64_t epochs_done = 0;  // resume at this (0-based) epoch
  double best_val_acc = 0.0;
  std::int64_t seed = 0;
  std::int64_t world_size = 1;
  std::string arch;
};

void save_checkpoint(const std::string& path, torch::nn::Module& model,
                     torch::optim::Optimizer& optimizer, const TrainProgress& progress);

// Restores model and optimizer from a checkpoint held in memory (read by rank 0 and
// broadcast); `what` names it in errors. Tensors land on `device`.
TrainProgress load_checkpoint(const std::string& bytes, const std::string& what,
                              torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                              const c10::Device& device);

void save_model(const std::string& path, torch::nn::Module& model);

// The whole file, or CheckpointError.
std::string read_file_bytes(const std::string& path);

}  // namespace dlaunch::trainer
