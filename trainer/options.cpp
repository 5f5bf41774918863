#include "trainer/options.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>

#include "trainer/errors.hpp"

namespace dlaunch::trainer {
namespace {

// One flag: its canonical (underscore) name, whether it takes a value, the help line, and
// what to do with the value. Values are checked here, so a bad one names its flag.
struct Flag {
  const char* name;
  const char* value_name;  // nullptr: a switch without a value
  const char* help;
  std::function<void(Options&, const std::string& flag, const std::string& value)> apply;
};

[[noreturn]] void bad_value(const std::string& flag, const std::string& value, const char* want) {
  throw UsageError("flag " + flag + ": '" + value + "' is not " + want);
}

std::int64_t parse_int(const std::string& flag, const std::string& value, std::int64_t min,
                       std::int64_t max, const char* want) {
  if (value.empty()) bad_value(flag, value, want);
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(value.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max) bad_value(flag, value, want);
  return v;
}

double parse_double(const std::string& flag, const std::string& value, double min, double max,
                    bool min_inclusive, const char* want) {
  if (value.empty()) bad_value(flag, value, want);
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(value.c_str(), &end);
  bool above = min_inclusive ? v >= min : v > min;
  if (errno != 0 || *end != '\0' || !std::isfinite(v) || !above || v > max) {
    bad_value(flag, value, want);
  }
  return v;
}

template <typename Enum>
Enum parse_choice(const std::string& flag, const std::string& value,
                  std::initializer_list<std::pair<const char*, Enum>> choices) {
  std::string names;
  for (const auto& [name, e] : choices) {
    if (value == name) return e;
    names += names.empty() ? name : std::string("|") + name;
  }
  throw UsageError("flag " + flag + ": '" + value + "' is not one of " + names);
}

constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();

const std::vector<Flag>& flags() {
  static const std::vector<Flag> table = {
      {"num_epochs", "N", "epochs to train (25)",
       [](Options& o, const std::string& f, const std::string& v) {
         o.num_epochs = static_cast<int>(parse_int(f, v, 1, kIntMax, "a positive integer"));
       }},
      {"output_dir", "DIR", "where model.pt and checkpoint.pt go (./outputs)",
       [](Options& o, const std::string& f, const std::string& v) {
         if (v.empty()) bad_value(f, v, "a directory");
         o.output_dir = v;
       }},
      {"learning_rate", "LR", "SGD learning rate (0.001)",
       [](Options& o, const std::string& f, const std::string& v) {
         o.learning_rate = parse_double(f, v, 0.0, 1e6, false, "a positive number");
       }},
      {"momentum", "M", "SGD momentum (0.9)",
       [](Options& o, const std::string& f, const std::string& v) {
         o.momentum = parse_double(f, v, 0.0, 1.0, true, "a number in [0, 1]");
       }},
      {"lr_step_size", "N", "StepLR: decay the learning rate every N epochs (7)",
       [](Options& o, const std::string& f, const std::string& v) {
         o.lr_step_size = static_cast<int>(parse_int(f, v, 1, kIntMax, "a positive integer"));
       }},
      {"lr_gamma", "G", "StepLR decay factor (0.1)",
       [](Options& o, const std::string& f, const std::string& v) {
         o.lr_gamma = parse_double(f, v, 0.0, 1.0, false, "a number in (0, 1]");
       }},
      {"data_dir", "DIR",
       "dataset root (fashion-mnist: /usr/share/datasets/fashion-mnist; imagefolder: "
       "DIR/train/<class>/*, DIR/val/<class>/*)",
       [](Options& o, const std::string& f, const std::string& v) {
         if (v.empty()) bad_value(f, v, "a directory");
         o.data_dir = v;
       }},
      {"dataset", "NAME", "fashion-mnist | imagefolder (fashion-mnist)",
       [](Options& o, const std::string& f, const std::string& v) {
         o.dataset = parse_choice<DatasetKind>(f, v,
                                               {{"fashion-mnist", DatasetKind::kFashionMnist},
                                                {"fashion_mnist", DatasetKind::kFashionMnist},
                                                {"imagefolder", DatasetKind::kImageFolder}});
       }},
      {"image_size", "PX", "imagefolder crop size (224)",
       [](Options& o, const std::string& f, const std::string& v) {
         o.image_size = static_cast<int>(parse_int(f, v, 8, 4096, "an integer in [8, 4096]"));
       }},
      {"skip_bad_images", nullptr, "warn about and skip unreadable or corrupt images",
       [](Options& o, const std::string&, const std::string&) { o.skip_bad_images = true; }},
      {"max_train_samples", "N", "use only the first N training samples (all)",
       [](Options& o, const std::string& f, const std::string& v) {
         o.max_train_samples = parse_int(f, v, 1, std::numeric_limits<std::int64_t>::max(),
                                         "a positive integer");
       }},
      {"max_val_samples", "N", "use only the first N validation samples (all)",
       [](Options& o, const std::string& f, const std::string& v) {
         o.max_val_samples = parse_int(f, v, 1, std::numeric_limits<std::int64_t>::max(),
                                       "a positive integer");
       }},
      {"arch", "NAME", "cnn | resnet18 (cnn for fashion-mnist, resnet18 for imagefolder)",
       [](Options& o, const std::string& f, const std::string& v) {
         o.arch = parse_choice<Arch>(f, v, {{"cnn", Arch::kCnn}, {"resnet18", Arch::kResnet18}});
       }},
      {"batch_size", "N", "batch size per worker (32)",
       [](Options& o, const std::string& f, const std::string& v) {
         o.batch_size = parse_int(f, v, 1, 1 << 20, "a positive integer");
       }},
      {"workers", "N", "data loading threads per worker (2)",
       [](Options& o, const std::string& f, const std::string& v) {
         o.workers = static_cast<int>(parse_int(f, v, 1, 256, "an integer in [1, 256]"));
       }},
      {"prefetch", "N", "batches loaded ahead (2 x workers)",
       [](Options& o, const std::string& f, const std::string& v) {
         o.prefetch = static_cast<int>(parse_int(f, v, 1, 1024, "an integer in [1, 1024]"));
       }},
      {"threads", "N",
       "intra-op threads (OMP_NUM_THREADS, else cores / LOCAL_WORLD_SIZE)",
       [](Options& o, const std::string& f, const std::string& v) {
         o.threads = static_cast<int>(parse_int(f, v, 1, 1024, "an integer in [1, 1024]"));
       }},
      {"seed", "N", "seed for initialisation, shuffling and augmentation (0)",
       [](Options& o, const std::string& f, const std::string& v) {
         o.seed = static_cast<std::uint64_t>(
             parse_int(f, v, 0, std::numeric_limits<std::int64_t>::max(), "a non-negative integer"));
       }},
      {"precision", "P", "fp32 | bf16 (bf16: autocast of forward and loss)",
       [](Options& o, const std::string& f, const std::string& v) {
         o.precision = parse_choice<Precision>(f, v,
                                               {{"fp32", Precision::kFp32},
                                                {"bf16", Precision::kBf16}});
       }},
      {"memory_format", "F",
       "auto | contiguous | channels_last (auto: channels_last on CUDA and for cnn on CPU)",
       [](Options& o, const std::string& f, const std::string& v) {
         o.memory_format = parse_choice<MemoryFormat>(f, v,
                                                      {{"auto", MemoryFormat::kAuto},
                                                       {"contiguous", MemoryFormat::kContiguous},
                                                       {"channels_last", MemoryFormat::kChannelsLast}});
       }},
      {"resume", "PATH", "resume from this checkpoint (default on restart: <output_dir>/checkpoint.pt)",
       [](Options& o, const std::string& f, const std::string& v) {
         if (v.empty()) bad_value(f, v, "a path");
         o.resume = v;
       }},
      {"backend", "NAME", "auto | gloo | nccl (auto: nccl on CUDA, gloo on CPU)",
       [](Options& o, const std::string& f, const std::string& v) {
         o.backend = parse_choice<BackendChoice>(f, v,
                                                 {{"auto", BackendChoice::kAuto},
                                                  {"gloo", BackendChoice::kGloo},
                                                  {"nccl", BackendChoice::kNccl}});
       }},
      {"device", "NAME", "auto | cpu | cuda (auto: cuda:LOCAL_RANK when CUDA is available)",
       [](Options& o, const std::string& f, const std::string& v) {
         o.device = parse_choice<DeviceChoice>(f, v,
                                               {{"auto", DeviceChoice::kAuto},
                                                {"cpu", DeviceChoice::kCpu},
                                                {"cuda", DeviceChoice::kCuda}});
       }},
      {"comm_timeout", "SECONDS", "timeout of the store and of each collective (1800)",
       [](Options& o, const std::string& f, const std::string& v) {
         o.comm_timeout_s = static_cast<int>(parse_int(f, v, 1, 86400 * 7, "a positive integer"));
       }},
      {"bucket_mb", "MB", "gradient all-reduce bucket size (25)",
       [](Options& o, const std::string& f, const std::string& v) {
         o.bucket_mb = parse_double(f, v, 0.0, 1e5, false, "a positive number");
       }},
      {"local_rank", "N", "set by torch.distributed.launch without --use_env (LOCAL_RANK wins)",
       [](Options& o, const std::string& f, const std::string& v) {
         o.local_rank = static_cast<int>(parse_int(f, v, 0, kIntMax, "a non-negative integer"));
       }},
      {"help", nullptr, "print this text and exit",
       [](Options& o, const std::string&, const std::string&) { o.help = true; }},
  };
  return table;
}

const Flag* find_flag(const std::string& name) {
  for (const auto& flag : flags()) {
    if (name == flag.name) return &flag;
  }
  return nullptr;
}

}  // namespace

Options parse_options(const std::vector<std::string>& args) {
  Options options;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h") {
      options.help = true;
      continue;
    }
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      throw UsageError("unexpected argument '" + arg + "' (dtrain takes only --flags; see --help)");
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    std::replace(name.begin(), name.end(), '-', '_');
    const Flag* flag = find_flag(name);
    if (flag == nullptr) throw UsageError("unknown flag --" + name + " (see dtrain --help)");
    const std::string shown = "--" + name;
    if (flag->value_name == nullptr) {
      if (has_value) throw UsageError("flag " + shown + " takes no value");
    } else if (!has_value) {
      if (i + 1 >= args.size()) throw UsageError("flag " + shown + " needs a value");
      value = args[++i];
    }
    flag->apply(options, shown, value);
  }
  if (options.dataset == DatasetKind::kImageFolder && options.data_dir.empty() && !options.help) {
    throw UsageError("--dataset imagefolder needs --data_dir DIR (with DIR/train and DIR/val)");
  }
  return options;
}

std::string usage_text() {
  std::string text =
      "usage: dtrain [--flag value | --flag=value]...\n"
      "Data-parallel LibTorch trainer. Reads RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR,\n"
      "MASTER_PORT from the environment (dlaunch, torchrun); none set: one process.\n"
      "Flags (hyphens and underscores are interchangeable):\n";
  for (const auto& flag : flags()) {
    std::string left = std::string("  --") + flag.name;
    if (flag.value_name != nullptr) left += std::string(" ") + flag.value_name;
    if (left.size() < 28) left.resize(28, ' ');
    text += left + " " + flag.help + "\n";
  }
  text +=
      "Exit codes: 0 done, 1 internal error, 2 bad usage, 3 data error, 4 communication\n"
      "failure (peer lost, timeout), 5 checkpoint or output error.\n";
  return text;
}

const char* to_string(DatasetKind kind) {
  return kind == DatasetKind::kFashionMnist ? "fashion-mnist" : "imagefolder";
}

const char* to_string(Arch arch) {
  switch (arch) {
    case Arch::kCnn:
      return "cnn";
    case Arch::kResnet18:
      return "resnet18";
    case Arch::kAuto:
      break;
  }
  return "auto";
}

}  // namespace dlaunch::trainer
