#include "trainer/checkpoint.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "trainer/errors.hpp"

namespace dlaunch::trainer {
namespace {

// Serialises through `write` into a temp file next to `path`, makes it durable, renames it.
template <typename Write>
void write_atomically(const std::string& path, const char* what, Write&& write) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  if (ec) {
    throw CheckpointError(std::string("cannot create the folder of ") + what + " " + path + ": " +
                          ec.message());
  }
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  try {
    write(temp);
  } catch (const std::exception& e) {
    std::remove(temp.c_str());
    throw CheckpointError(std::string("cannot write ") + what + " " + temp + ": " + e.what());
  }
  if (int fd = ::open(temp.c_str(), O_RDONLY); fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(temp.c_str());
    throw CheckpointError(std::string("cannot rename ") + temp + " to " + path + ": " + why);
  }
}

}  // namespace

void save_checkpoint(const std::string& path, torch::nn::Module& model,
                     torch::optim::Optimizer& optimizer, const TrainProgress& progress) {
  write_atomically(path, "checkpoint", [&](const std::string& temp) {
    torch::serialize::OutputArchive archive;
    torch::serialize::OutputArchive model_archive;
    model.save(model_archive);
    archive.write("model", model_archive);
    torch::serialize::OutputArchive optimizer_archive;
    optimizer.save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
    archive.write("epochs_done", c10::IValue(progress.epochs_done));
    archive.write("best_val_acc", c10::IValue(progress.best_val_acc));
    archive.write("seed", c10::IValue(progress.seed));
    archive.write("world_size", c10::IValue(progress.world_size));
    archive.write("arch", c10::IValue(progress.arch));
    archive.save_to(temp);
  });
}

TrainProgress load_checkpoint(const std::string& bytes, const std::string& what,
                              torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                              const c10::Device& device) {
  TrainProgress progress;
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(bytes.data(), bytes.size(), device);
    c10::IValue value;
    archive.read("arch", value);
    progress.arch = value.toStringRef();
    archive.read("epochs_done", value);
    progress.epochs_done = value.toInt();
    archive.read("best_val_acc", value);
    progress.best_val_acc = value.toDouble();
    archive.read("seed", value);
    progress.seed = value.toInt();
    archive.read("world_size", value);
    progress.world_size = value.toInt();
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    model.load(model_archive);
    torch::serialize::InputArchive optimizer_archive;
    archive.read("optimizer", optimizer_archive);
    optimizer.load(optimizer_archive);
  } catch (const CheckpointError&) {
    throw;
  } catch (const std::exception& e) {
    std::string message = e.what();
    if (auto nl = message.find('\n'); nl != std::string::npos) message.resize(nl);
    throw CheckpointError("cannot load checkpoint " + what + ": " + message);
  }
  return progress;
}

void save_model(const std::string& path, torch::nn::Module& model) {
  write_atomically(path, "model", [&](const std::string& temp) {
    torch::serialize::OutputArchive archive;
    model.save(archive);
    archive.save_to(temp);
  });
}

std::string read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CheckpointError("cannot read checkpoint " + path + ": " + std::strerror(errno));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) throw CheckpointError("cannot read checkpoint " + path + ": I/O error");
  return bytes.str();
}

}  // namespace dlaunch::trainer
