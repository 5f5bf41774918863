#pragma once
// dtrain's command line: the flags of the Azure ML sample pytorch_train.py (--num_epochs,
// --output_dir, --learning_rate, --momentum) plus the data-parallel ones. Every flag is
// accepted with underscores or hyphens (--num_epochs == --num-epochs) and as "--flag value"
// or "--flag=value". Parsing throws UsageError with one line naming the bad flag.
// No LibTorch here.

#include <cstdint>
#include <string>
#include <vector>

namespace dlaunch::trainer {

enum class DatasetKind { kFashionMnist, kImageFolder };
enum class Arch { kAuto, kCnn, kResnet18 };
enum class Precision { kFp32, kBf16 };
enum class BackendChoice { kAuto, kGloo, kNccl };
enum class DeviceChoice { kAuto, kCpu, kCuda };
enum class MemoryFormat { kAuto, kContiguous, kChannelsLast };

struct Options {
  int num_epochs = 25;
  std::string output_dir = "./outputs";
  double learning_rate = 0.001;
  double momentum = 0.9;
  int lr_step_size = 7;  // StepLR(step_size=7, gamma=0.1) as in pytorch_train.py
  double lr_gamma = 0.1;

  std::string data_dir;  // empty: /usr/share/datasets/fashion-mnist for fashion-mnist
  DatasetKind dataset = DatasetKind::kFashionMnist;
  int image_size = 224;
  bool skip_bad_images = false;
  std::int64_t max_train_samples = 0;  // 0: all
  std::int64_t max_val_samples = 0;    // 0: all

  Arch arch = Arch::kAuto;  // cnn for fashion-mnist, resnet18 for imagefolder
  std::int64_t batch_size = 32;  // per worker
  int workers = 2;               // loader threads per worker process
  int prefetch = 0;              // batches decoded ahead; 0: 2 x workers
  int threads = 0;               // intra-op threads; 0: OMP_NUM_THREADS or cores / local workers
  std::uint64_t seed = 0;
  Precision precision = Precision::kFp32;
  MemoryFormat memory_format = MemoryFormat::kAuto;  // auto: channels-last where it measured faster

  std::string resume;  // checkpoint to resume from; empty: <output_dir>/checkpoint.pt on restart
  BackendChoice backend = BackendChoice::kAuto;
  DeviceChoice device = DeviceChoice::kAuto;
  int comm_timeout_s = 1800;  // collectives and store, like torch's default process group timeout
  double bucket_mb = 25.0;    // gradient all-reduce bucket size (the first bucket is 1 MB)
  int local_rank = -1;        // --local_rank=N from torch.distributed.launch without --use_env

  bool help = false;
};

// Parses argv[1..]; throws UsageError. argv[0] is ignored.
Options parse_options(const std::vector<std::string>& args);

// The --help text.
std::string usage_text();

const char* to_string(DatasetKind kind);
const char* to_string(Arch arch);

}  // namespace dlaunch::trainer
