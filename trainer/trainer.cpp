#include "trainer/trainer.hpp"

#include <torch/cuda.h>
#include <torch/nn/functional/loss.h>
#include <torch/optim/sgd.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <thread>

#include <time.h>

#include "trainer/batch_loader.hpp"
#include "trainer/checkpoint.hpp"
#include "trainer/communicator.hpp"
#include "trainer/compat.hpp"
#include "trainer/datasets.hpp"
#include "trainer/errors.hpp"
#include "trainer/grad_reducer.hpp"
#include "trainer/log.hpp"
#include "trainer/network.hpp"
#include "trainer/sampler.hpp"

namespace dlaunch::trainer {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU time of the whole process (all threads): robust to other load on a shared machine.
double process_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Intra-op threads: the flag, else OMP_NUM_THREADS, else this node's cores shared by its
// workers (what Python gets under torchrun's OMP_NUM_THREADS=1 only when it sets it).
int pick_threads(const Options& options, const WorkerEnv& env) {
  if (options.threads > 0) return options.threads;
  if (const char* omp = std::getenv("OMP_NUM_THREADS")) {
    char* end = nullptr;
    long v = std::strtol(omp, &end, 10);
    if (end != omp && *end == '\0' && v > 0 && v < 4096) return static_cast<int>(v);
  }
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, cores / std::max(1, env.local_world_size));
}

torch::Device pick_device(const Options& options, const WorkerEnv& env) {
  const bool cuda = options.device == DeviceChoice::kCuda ||
                    (options.device == DeviceChoice::kAuto && torch::cuda::is_available());
  if (!cuda) return torch::Device(torch::kCPU);
  if (!torch::cuda::is_available()) throw UsageError("--device cuda: CUDA is not available");
  const auto count = static_cast<int>(torch::cuda::device_count());
  if (env.local_rank >= count) {
    throw UsageError("LOCAL_RANK " + std::to_string(env.local_rank) + " but only " +
                     std::to_string(count) + " CUDA devices are visible");
  }
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(env.local_rank));
}

std::string pick_backend(const Options& options, const torch::Device& device) {
  switch (options.backend) {
    case BackendChoice::kGloo:
      return "gloo";
    case BackendChoice::kNccl:
      if (!device.is_cuda()) throw UsageError("--backend nccl needs CUDA (the device is cpu)");
      return "nccl";
    case BackendChoice::kAuto:
      break;
  }
#ifdef USE_C10D_NCCL
  if (device.is_cuda()) return "nccl";
#endif
  return "gloo";
}

// bf16 autocast around forward + loss, undone (and its weight cache cleared) on exit.
class AutocastScope {
 public:
  AutocastScope(bool enabled, c10::DeviceType device) : enabled_(enabled), device_(device) {
    if (!enabled_) return;
    compat::set_autocast(device_, true, at::kBFloat16);
    at::autocast::increment_nesting();
  }
  ~AutocastScope() {
    if (!enabled_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    compat::set_autocast(device_, false, at::kBFloat16);
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool enabled_;
  c10::DeviceType device_;
};

// Broadcasts rank 0's tensors to every rank, one flat buffer per dtype.
void broadcast_tensors(Communicator& comm, const std::vector<torch::Tensor>& tensors) {
  std::vector<c10::ScalarType> dtypes;
  for (const auto& t : tensors) {
    if (std::find(dtypes.begin(), dtypes.end(), t.scalar_type()) == dtypes.end()) {
      dtypes.push_back(t.scalar_type());
    }
  }
  torch::NoGradGuard no_grad;
  for (auto dtype : dtypes) {
    std::vector<torch::Tensor> group;
    for (const auto& t : tensors) {
      if (t.scalar_type() == dtype) group.push_back(t);
    }
    std::vector<torch::Tensor> flat_parts;
    for (const auto& t : group) flat_parts.push_back(t.reshape({-1}));
    torch::Tensor flat = torch::cat(flat_parts);
    comm.broadcast(flat, 0);
    std::int64_t offset = 0;
    for (auto& t : group) {
      t.copy_(flat.narrow(0, offset, t.numel()).view(t.sizes()));
      offset += t.numel();
    }
  }
}

// Averages BatchNorm running statistics over ranks (each rank saw different batches).
void average_batchnorm_stats(Communicator& comm, torch::nn::Module& model) {
  std::vector<torch::Tensor> stats;
  for (const auto& item : model.named_buffers()) {
    const std::string& name = item.key();
    const bool is_stat = name.size() >= 12 && (name.compare(name.size() - 12, 12, "running_mean") == 0 ||
                                               name.compare(name.size() - 11, 11, "running_var") == 0);
    if (is_stat && item.value().is_floating_point()) stats.push_back(item.value());
  }
  if (stats.empty() || comm.size() == 1) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  for (const auto& t : stats) parts.push_back(t.reshape({-1}));
  torch::Tensor flat = torch::cat(parts);
  comm.allreduce_sum(flat);
  flat.div_(comm.size());
  std::int64_t offset = 0;
  for (auto& t : stats) {
    t.copy_(flat.narrow(0, offset, t.numel()).view(t.sizes()));
    offset += t.numel();
  }
}

struct PhaseTotals {
  double loss_sum = 0;
  double correct = 0;
  double count = 0;
  double seconds = 0;      // the slowest rank's wall time
  double cpu_seconds = 0;  // CPU time of all ranks together
  double loss() const { return count > 0 ? loss_sum / count : 0.0; }
  double accuracy() const { return count > 0 ? correct / count : 0.0; }
};

class Run {
 public:
  Run(const Options& options, const WorkerEnv& env, MetricSink& metrics)
      : options_(options), env_(env), metrics_(metrics), device_(pick_device(options, env)) {}

  void execute();

 private:
  void setup_model();
  void resume_or_sync();
  PhaseTotals train_epoch(int epoch);
  PhaseTotals evaluate();
  PhaseTotals reduce_totals(const torch::Tensor& local, double seconds, double cpu_seconds);
  LoaderOptions loader_options(int epoch, std::int64_t batch_size) const;
  std::pair<torch::Tensor, torch::Tensor> batch_tensors(const Batch& batch,
                                                        const SampleShape& shape) const;
  bool is_rank0() const { return env_.rank == 0; }
  std::string output_path(const char* name) const {
    return (std::filesystem::path(options_.output_dir) / name).string();
  }

  const Options& options_;
  const WorkerEnv& env_;
  MetricSink& metrics_;
  torch::Device device_;
  Arch arch_ = Arch::kCnn;
  bool bf16_ = false;
  bool channels_last_ = false;
  DataSplits data_;
  std::unique_ptr<Communicator> comm_;
  std::shared_ptr<Network> model_;
  std::unique_ptr<torch::optim::SGD> optimizer_;
  std::unique_ptr<GradReducer> reducer_;
  int start_epoch_ = 0;
  double best_val_acc_ = 0.0;
};

void Run::execute() {
  const int threads = pick_threads(options_, env_);
  at::set_num_threads(threads);
  if (device_.is_cuda()) compat::set_current_device(device_);
  arch_ = resolve_arch(options_);
  bf16_ = options_.precision == Precision::kBf16;
  // Channels-last: +20-25% for the cnn under oneDNN on CPU (measured, batch 32, 1 thread) and
  // the cuDNN fast path on GPUs; ResNet-18 at 28x28 on CPU measured slower, so it stays NCHW.
  channels_last_ = options_.memory_format == MemoryFormat::kChannelsLast ||
                   (options_.memory_format == MemoryFormat::kAuto &&
                    (device_.is_cuda() || arch_ == Arch::kCnn));
  torch::manual_seed(options_.seed);

  data_ = load_datasets(options_);
  const std::string backend = pick_backend(options_, device_);
  if (env_.distributed) {
    CommConfig config;
    config.backend = backend;
    config.master_addr = env_.master_addr;
    config.master_port = env_.master_port;
    config.rank = env_.rank;
    config.world_size = env_.world_size;
    config.use_agent_store = env_.use_agent_store;
    config.restart_count = env_.restart_count;
    config.timeout = std::chrono::seconds(options_.comm_timeout_s);
    comm_ = std::make_unique<Communicator>(config);
    comm_->connect();
  }
  log_info("rank " + std::to_string(env_.rank) + "/" + std::to_string(env_.world_size) + " on " +
           device_.str() + (env_.distributed ? ", backend " + backend : ", single process") +
           ", " + std::to_string(threads) + " threads, " + std::string(to_string(arch_)) + " on " +
           to_string(options_.dataset) + " (" + std::to_string(data_.train->size()) + " train, " +
           std::to_string(data_.val->size()) + " val)" + (bf16_ ? ", bf16 autocast" : "") +
           (channels_last_ ? ", channels-last" : ""));

  setup_model();
  resume_or_sync();
  if (comm_) {
    std::vector<torch::Tensor> params;
    for (auto& p : model_->parameters()) params.push_back(p);
    const auto bucket_bytes = static_cast<std::size_t>(options_.bucket_mb * 1024 * 1024);
    reducer_ = std::make_unique<GradReducer>(*comm_, params, std::max<std::size_t>(bucket_bytes, 1),
                                             std::min<std::size_t>(bucket_bytes, 1 << 20));
  }
  if (is_rank0()) {
    metrics_.write(MetricLine().add("lr", options_.learning_rate).add("momentum", options_.momentum));
  }
  if (start_epoch_ >= options_.num_epochs) {
    log_info("checkpoint has all " + std::to_string(options_.num_epochs) + " epochs: nothing to do");
    return;
  }

  for (int epoch = start_epoch_; epoch < options_.num_epochs; ++epoch) {
    const auto epoch_start = Clock::now();
    const double lr =
        options_.learning_rate * std::pow(options_.lr_gamma, epoch / options_.lr_step_size);
    for (auto& group : optimizer_->param_groups()) {
      static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
    }
    const PhaseTotals train = train_epoch(epoch);
    if (comm_) average_batchnorm_stats(*comm_, *model_);
    const PhaseTotals val = evaluate();
    const bool improved = val.accuracy() > best_val_acc_ || epoch == 0;
    if (val.accuracy() > best_val_acc_) best_val_acc_ = val.accuracy();
    if (is_rank0()) {
      if (improved) save_model(output_path("model.pt"), *model_);
      TrainProgress progress;
      progress.epochs_done = epoch + 1;
      progress.best_val_acc = best_val_acc_;
      progress.seed = static_cast<std::int64_t>(options_.seed);
      progress.world_size = env_.world_size;
      progress.arch = to_string(arch_);
      save_checkpoint(output_path("checkpoint.pt"), *model_, *optimizer_, progress);
      const double epoch_seconds = seconds_since(epoch_start);
      const double images_per_sec = train.seconds > 0 ? train.count / train.seconds : 0.0;
      const double images_per_cpu_sec = train.cpu_seconds > 0 ? train.count / train.cpu_seconds : 0.0;
      metrics_.write(MetricLine()
                         .add("epoch", epoch + 1)
                         .add("train_loss", train.loss())
                         .add("train_acc", train.accuracy())
                         .add("val_loss", val.loss())
                         .add("val_acc", val.accuracy())
                         .add("best_val_acc", best_val_acc_)
                         .add("images_per_sec", images_per_sec)
                         .add("epoch_seconds", epoch_seconds)
                         .add("images_per_cpu_sec", images_per_cpu_sec)
                         .add("lr", lr));
      char line[256];
      std::snprintf(line, sizeof line,
                    "epoch %d/%d: train loss %.4f acc %.4f, val loss %.4f acc %.4f (best %.4f), "
                    "%.0f images/s, %.1f s",
                    epoch + 1, options_.num_epochs, train.loss(), train.accuracy(), val.loss(),
                    val.accuracy(), best_val_acc_, images_per_sec, epoch_seconds);
      log_info(line);
    }
  }
  if (comm_) comm_->barrier();  // rank 0's last files are written before anyone reports done
}

void Run::setup_model() {
  const SampleShape shape = data_.train->shape();
  model_ = make_network(arch_, shape.channels, data_.train->num_classes(), shape.height);
  model_->to(device_);
  if (channels_last_) {
    torch::NoGradGuard no_grad;
    for (auto& p : model_->parameters()) {
      if (p.dim() == 4) p.set_data(p.data().contiguous(at::MemoryFormat::ChannelsLast));
    }
  }
  optimizer_ = std::make_unique<torch::optim::SGD>(
      model_->parameters(),
      torch::optim::SGDOptions(options_.learning_rate).momentum(options_.momentum));
}

// Rank 0 reads the checkpoint (the --resume path, or after a restart <output_dir>/
// checkpoint.pt) and broadcasts its bytes, so every rank restores the same state even
// without a shared file system. Without one, rank 0's initial weights are broadcast.
void Run::resume_or_sync() {
  std::string path = options_.resume;
  if (path.empty() && env_.restart_count > 0) path = output_path("checkpoint.pt");
  std::string bytes;
  std::int64_t status = 0;  // >0: bytes follow; 0: none; -1: rank 0 failed to read
  std::string failure;
  if (is_rank0() && !path.empty()) {
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) {
      try {
        bytes = read_file_bytes(path);
        status = static_cast<std::int64_t>(bytes.size());
        if (status == 0) throw CheckpointError("checkpoint " + path + " is empty");
      } catch (const CheckpointError& e) {
        failure = e.what();
        status = -1;
      }
    } else if (!options_.resume.empty()) {
      failure = "checkpoint " + path + " does not exist (--resume)";
      status = -1;
    } else {
      log_info("restart " + std::to_string(env_.restart_count) + " but no " + path +
               " yet: starting from epoch 1");
    }
  }
  if (comm_) {
    torch::Tensor header = torch::tensor({status}, torch::dtype(torch::kLong).device(device_));
    comm_->broadcast(header, 0);
    status = header.cpu().item<std::int64_t>();
    if (status > 0) {
      torch::Tensor payload = torch::empty({status}, torch::dtype(torch::kUInt8).device(device_));
      if (is_rank0()) {
        payload.copy_(torch::from_blob(bytes.data(), {status}, torch::kUInt8));
      }
      comm_->broadcast(payload, 0);
      if (!is_rank0()) {
        torch::Tensor host = payload.cpu();
        bytes.assign(reinterpret_cast<const char*>(host.data_ptr<std::uint8_t>()),
                     static_cast<std::size_t>(status));
      }
    }
  }
  if (status < 0) {
    throw CheckpointError(is_rank0() ? failure : "rank 0 could not read the checkpoint to resume");
  }
  if (status == 0) {
    if (comm_) {
      std::vector<torch::Tensor> state;
      for (auto& p : model_->parameters()) state.push_back(p);
      for (auto& b : model_->buffers()) state.push_back(b);
      broadcast_tensors(*comm_, state);
    }
    return;
  }
  const std::string what = path.empty() ? "from rank 0" : path;
  const TrainProgress progress = load_checkpoint(bytes, what, *model_, *optimizer_, device_);
  if (progress.arch != to_string(arch_)) {
    throw CheckpointError("checkpoint " + what + " is for --arch " + progress.arch + ", not " +
                          to_string(arch_));
  }
  if (progress.world_size != env_.world_size) {
    log_warning("checkpoint was written by " + std::to_string(progress.world_size) +
                " workers, resuming with " + std::to_string(env_.world_size));
  }
  start_epoch_ = static_cast<int>(progress.epochs_done);
  best_val_acc_ = progress.best_val_acc;
  log_info("resumed from " + what + ": " + std::to_string(start_epoch_) +
           " epochs done, best val_acc " + std::to_string(best_val_acc_));
}

LoaderOptions Run::loader_options(int epoch, std::int64_t batch_size) const {
  LoaderOptions lo;
  lo.batch_size = batch_size;
  lo.workers = options_.workers;
  lo.prefetch = options_.prefetch > 0 ? options_.prefetch : 2 * options_.workers;
  lo.skip_bad_samples = options_.skip_bad_images;
  lo.seed = options_.seed;
  lo.epoch = epoch;
  lo.layout = channels_last_ ? SampleLayout::kHwc : SampleLayout::kChw;
  lo.warn = [](const std::string& message) { log_warning(message); };
  return lo;
}

// Wraps a loader batch without copying (the loader keeps it alive until its next batch); on
// CUDA, one copy to the device. Channels-last batches come from HWC samples.
std::pair<torch::Tensor, torch::Tensor> Run::batch_tensors(const Batch& batch,
                                                           const SampleShape& shape) const {
  const auto n = static_cast<std::int64_t>(batch.count);
  const std::int64_t c = shape.channels, h = shape.height, w = shape.width;
  auto* data = const_cast<float*>(batch.images.data());
  torch::Tensor images = channels_last_ ? torch::from_blob(data, {n, c, h, w}, {c * h * w, 1, w * c, c})
                                        : torch::from_blob(data, {n, c, h, w});
  torch::Tensor labels =
      torch::from_blob(const_cast<std::int64_t*>(batch.labels.data()), {n}, torch::kLong);
  if (device_.is_cuda()) {
    images = images.to(device_);
    labels = labels.to(device_);
  }
  return {images, labels};
}

PhaseTotals Run::train_epoch(int epoch) {
  const Dataset& data = *data_.train;
  const SampleShape shape = data.shape();
  ShardSpec spec;
  spec.dataset_size = data.size();
  spec.world_size = env_.world_size;
  spec.rank = env_.rank;
  spec.seed = options_.seed;
  spec.epoch = epoch;
  BatchLoader loader(data, shard_indices(spec), loader_options(epoch, options_.batch_size));

  model_->train();
  auto totals = torch::zeros({3}, torch::dtype(torch::kDouble).device(device_));
  const auto start = Clock::now();
  const double cpu_start = process_cpu_seconds();
  while (const Batch* batch = loader.next()) {
    const auto n = static_cast<std::int64_t>(batch->count);
    if (reducer_) {
      reducer_->prepare();
    } else {
      optimizer_->zero_grad();
    }
    if (n > 0) {
      auto [images, labels] = batch_tensors(*batch, shape);
      torch::Tensor logits;
      torch::Tensor loss;
      {
        AutocastScope autocast(bf16_, device_.type());
        logits = model_->forward(images);
        loss = torch::nn::functional::cross_entropy(logits, labels);
      }
      loss.backward();
      torch::NoGradGuard no_grad;
      totals[0] += loss.detach().to(torch::kDouble) * static_cast<double>(n);
      totals[1] += logits.argmax(1).eq(labels).sum();
      totals[2] += static_cast<double>(n);
    }
    if (reducer_) reducer_->finish();
    optimizer_->step();
  }
  if (device_.is_cuda()) torch::cuda::synchronize(device_.index());
  return reduce_totals(totals, seconds_since(start), process_cpu_seconds() - cpu_start);
}

PhaseTotals Run::evaluate() {
  const Dataset& data = *data_.val;
  const SampleShape shape = data.shape();
  ShardSpec spec;
  spec.dataset_size = data.size();
  spec.world_size = env_.world_size;
  spec.rank = env_.rank;
  spec.shuffle = false;
  spec.pad = false;
  BatchLoader loader(data, shard_indices(spec), loader_options(0, options_.batch_size * 2));

  model_->eval();
  torch::NoGradGuard no_grad;
  auto totals = torch::zeros({3}, torch::dtype(torch::kDouble).device(device_));
  const auto start = Clock::now();
  while (const Batch* batch = loader.next()) {
    const auto n = static_cast<std::int64_t>(batch->count);
    if (n == 0) continue;
    auto [images, labels] = batch_tensors(*batch, shape);
    AutocastScope autocast(bf16_, device_.type());
    torch::Tensor logits = model_->forward(images);
    torch::Tensor loss = torch::nn::functional::cross_entropy(
        logits, labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
    totals[0] += loss.to(torch::kDouble);
    totals[1] += logits.argmax(1).eq(labels).sum();
    totals[2] += static_cast<double>(n);
  }
  return reduce_totals(totals, seconds_since(start), 0.0);
}

// Sums (loss, correct, count) over ranks; the phase lasted as long as its slowest rank.
PhaseTotals Run::reduce_totals(const torch::Tensor& local, double seconds, double cpu_seconds) {
  torch::Tensor sums =
      torch::cat({local, torch::tensor({cpu_seconds}, torch::dtype(torch::kDouble).device(device_))});
  double slowest = seconds;
  if (comm_) {
    comm_->allreduce_sum(sums);
    torch::Tensor time = torch::tensor({seconds}, torch::dtype(torch::kDouble).device(device_));
    comm_->allreduce_max(time);
    slowest = time.cpu().item<double>();
  }
  torch::Tensor host = sums.cpu();
  const double* v = host.data_ptr<double>();
  PhaseTotals totals;
  totals.loss_sum = v[0];
  totals.correct = v[1];
  totals.count = v[2];
  totals.seconds = slowest;
  totals.cpu_seconds = v[3];
  return totals;
}

}  // namespace

void run_training(const Options& options, const WorkerEnv& env, MetricSink& metrics) {
  Run(options, env, metrics).execute();
}

}  // namespace dlaunch::trainer
