#include "launcher/gpu_count.hpp"

#include <unistd.h>

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>

using namespace dlaunch::launcher;
using Devices = std::vector<std::string>;

namespace {

const char* const kSmiTwoGpus =
    "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-6f0a8c4e-1111-2222-3333-444455556666)\n"
    "GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-7a1b9d5f-1111-2222-3333-444455556666)\n";

const char* const kSmiMig =
    "GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77)\n"
    "  MIG 3g.20gb     Device  0: (UUID: MIG-c6d4f1ef-42e4-5de3-91c7-45d71c87eb3f)\n"
    "  MIG 3g.20gb     Device  1: (UUID: MIG-cba663e8-9bed-5b25-b243-5985ef7c9beb)\n"
    "GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-0c9f3b1e-aaaa-bbbb-cccc-ddddeeeeffff)\n";

// A fake machine: a /proc tree with `proc_gpus` GPU entries (none: no driver directory),
// canned `nvidia-smi -L` output (none: not installed), and a CPU count.
class FakeMachine {
 public:
  FakeMachine(std::optional<int> proc_gpus, std::optional<std::string> smi, int cpus)
      : root_(std::filesystem::temp_directory_path() /
              ("dlaunch_gpu_" + std::to_string(::getpid()) + "_" + std::to_string(next_id_++))) {
    std::filesystem::create_directories(root_);
    if (proc_gpus) {
      const auto gpus = root_ / "driver" / "nvidia" / "gpus";
      std::filesystem::create_directories(gpus);
      for (int i = 0; i < *proc_gpus; ++i)
        std::filesystem::create_directory(gpus / ("0000:" + std::to_string(0x10 + i) + ":00.0"));
    }
    probe_.proc_root = root_;
    probe_.run_command = [this, smi](const std::vector<std::string>& argv) {
      commands_.push_back(argv);
      return smi;
    };
    probe_.cpu_count = [cpus] { return cpus; };
  }
  ~FakeMachine() { std::filesystem::remove_all(root_); }

  const DeviceProbe& probe() const { return probe_; }
  const std::vector<std::vector<std::string>>& commands() const { return commands_; }

 private:
  static inline int next_id_ = 0;
  std::filesystem::path root_;
  DeviceProbe probe_;
  std::vector<std::vector<std::string>> commands_;
};

}  // namespace

TEST_CASE("gpu_count: CUDA_VISIBLE_DEVICES is read the way CUDA reads it") {
  struct Case {
    const char* value;
    Devices devices;
  };
  // torch's own test_env_var_parsing cases, plus the cluster spellings
  const std::vector<Case> cases = {
      {"", {}},
      {"-1", {}},
      {"NoDevFiles", {}},
      {"0", {"0"}},
      {"2,3", {"2", "3"}},
      {" 0 , 1 ", {"0", "1"}},
      {"1gpu2,2ampere", {"1", "2"}},
      {"0, 1, 2, -1, 3", {"0", "1", "2"}},
      {"0, 1, 2, 1", {}},
      {"2, +3, -0, 5", {"2", "3", "0", "5"}},
      {"one,two,3,4", {}},
      {"4,3,two,one", {"4", "3"}},
      {"GPU-9e8d35e3", {"GPU-9e8d35e3"}},
      {"GPU-9e8d35e3,GPU-1af40a0c", {"GPU-9e8d35e3", "GPU-1af40a0c"}},
      {"GPU-9e8d35e3,GPU-1af40a0c,3", {"GPU-9e8d35e3", "GPU-1af40a0c"}},
      {"GPU-9e8d35e3,GPU-9e8d35e3", {}},
      {"MIG-c6d4f1ef-42e4-5de3-91c7-45d71c87eb3f", {"MIG-c6d4f1ef-42e4-5de3-91c7-45d71c87eb3f"}},
      {"MIG-GPU-5d5ba0d6/1/0,MIG-GPU-5d5ba0d6/2/0",
       {"MIG-GPU-5d5ba0d6/1/0", "MIG-GPU-5d5ba0d6/2/0"}},
  };
  const FakeMachine machine(std::nullopt, std::nullopt, 4);  // machine size unknown: no truncation
  for (const auto& test : cases) {
    CAPTURE(test.value);
    const auto gpus = count_gpus({{"CUDA_VISIBLE_DEVICES", test.value}}, machine.probe());
    CHECK(gpus.devices == test.devices);
    CHECK(gpus.source == "CUDA_VISIBLE_DEVICES");
  }
  CHECK(count_gpus({{"CUDA_VISIBLE_DEVICES", "0,0"}}, machine.probe()).note ==
        "CUDA_VISIBLE_DEVICES names device 0 twice, which hides every device");
  CHECK(count_gpus({{"CUDA_VISIBLE_DEVICES", "NoDevFiles"}}, machine.probe()).note ==
        "CUDA_VISIBLE_DEVICES stops at 'NoDevFiles'");
}

TEST_CASE("gpu_count: an ordinal the machine does not have ends the list") {
  const FakeMachine proc(2, std::nullopt, 8);
  const auto gpus = count_gpus({{"CUDA_VISIBLE_DEVICES", "1,0,2,3"}}, proc.probe());
  CHECK(gpus.devices == Devices{"1", "0"});
  CHECK(gpus.note == "CUDA_VISIBLE_DEVICES stops at device 2: this machine has 2");
  CHECK(proc.commands().empty());  // /proc answered; nvidia-smi not run

  const FakeMachine smi(std::nullopt, kSmiTwoGpus, 8);
  CHECK(count_gpus({{"CUDA_VISIBLE_DEVICES", "0,1,2"}}, smi.probe()).devices == Devices{"0", "1"});
  CHECK(smi.commands() == std::vector<std::vector<std::string>>{{"nvidia-smi", "-L"}});
}

TEST_CASE("gpu_count: without CUDA_VISIBLE_DEVICES, /proc then nvidia-smi -L then none") {
  const FakeMachine proc(4, kSmiTwoGpus, 8);
  const auto from_proc = count_gpus({}, proc.probe());
  CHECK(from_proc.devices == Devices{"0", "1", "2", "3"});
  CHECK(from_proc.source == "/proc/driver/nvidia/gpus");
  CHECK(proc.commands().empty());

  const FakeMachine empty_proc(0, kSmiTwoGpus, 8);
  const auto from_smi = count_gpus({}, empty_proc.probe());
  CHECK(from_smi.devices == Devices{"0", "1"});
  CHECK(from_smi.source == "nvidia-smi -L");

  const FakeMachine mig(std::nullopt, kSmiMig, 8);
  CHECK(count_gpus({}, mig.probe()).devices == Devices{"MIG-c6d4f1ef-42e4-5de3-91c7-45d71c87eb3f",
                                                       "MIG-cba663e8-9bed-5b25-b243-5985ef7c9beb",
                                                       "1"});

  const FakeMachine bare(std::nullopt, std::nullopt, 8);
  const auto none = count_gpus({}, bare.probe());
  CHECK(none.count() == 0);
  CHECK(none.source == "none");

  const FakeMachine garbage(
      std::nullopt, std::string("NVIDIA-SMI has failed because it couldn't communicate\n"), 8);
  CHECK(count_gpus({}, garbage.probe()).count() == 0);

  DeviceProbe no_runner;
  no_runner.proc_root = "/nonexistent-dlaunch-proc";
  CHECK(count_gpus({}, no_runner).count() == 0);
}

TEST_CASE("gpu_count: --nproc_per_node as torchrun resolves it") {
  const FakeMachine gpus(std::nullopt, kSmiTwoGpus, 16);
  const FakeMachine cpus_only(std::nullopt, std::nullopt, 16);

  CHECK(resolve_nproc_per_node("3", {}, gpus.probe()).nproc == 3);
  CHECK(resolve_nproc_per_node("3", {}, gpus.probe()).reason == "3 (--nproc_per_node 3)");
  CHECK(resolve_nproc_per_node("cpu", {}, gpus.probe()).nproc ==
        16);  // os.cpu_count(), even with GPUs
  CHECK(resolve_nproc_per_node("gpu", {}, gpus.probe()).nproc == 2);
  CHECK(resolve_nproc_per_node("gpu", {}, gpus.probe()).reason ==
        "2 (--nproc_per_node gpu: 2 GPUs from nvidia-smi -L)");
  CHECK(resolve_nproc_per_node("auto", {}, gpus.probe()).nproc == 2);
  CHECK(resolve_nproc_per_node("auto", {}, cpus_only.probe()).nproc == 16);
  CHECK(resolve_nproc_per_node("auto", {}, cpus_only.probe()).reason ==
        "16 (--nproc_per_node auto: no GPU, 16 CPUs)");
  CHECK(resolve_nproc_per_node("auto", {{"CUDA_VISIBLE_DEVICES", ""}}, gpus.probe()).nproc == 16);
  CHECK(resolve_nproc_per_node("gpu", {{"CUDA_VISIBLE_DEVICES", "1"}}, gpus.probe()).nproc == 1);

  CHECK_THROWS_WITH_AS(resolve_nproc_per_node("gpu", {}, cpus_only.probe()),
                       "--nproc_per_node gpu: no CUDA device is visible (0 GPUs)",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(
      resolve_nproc_per_node("gpu", {{"CUDA_VISIBLE_DEVICES", "-1"}}, gpus.probe()),
      "--nproc_per_node gpu: no CUDA device is visible (0 GPUs from CUDA_VISIBLE_DEVICES; "
      "CUDA_VISIBLE_DEVICES stops at '-1')",
      std::invalid_argument);
  for (const char* bad : {"xpu", "", "4x", "-2", "1.5", "GPU"}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(resolve_nproc_per_node(bad, {}, gpus.probe(), "PET_NPROC_PER_NODE"),
                         doctest::Contains("PET_NPROC_PER_NODE"), std::invalid_argument);
  }
  CHECK_THROWS_WITH_AS(resolve_nproc_per_node("0", {}, gpus.probe()),
                       "--nproc_per_node 0: need at least 1 worker", std::invalid_argument);
  CHECK_THROWS_WITH_AS(resolve_nproc_per_node("xpu", {}, gpus.probe()),
                       doctest::Contains("Unsupported nproc_per_node value: 'xpu'"),
                       std::invalid_argument);
}

TEST_CASE("gpu_count: pinned mode gives each local rank one device of the parent's list") {
  const FakeMachine machine(8, std::nullopt, 16);
  const auto subset = count_gpus({{"CUDA_VISIBLE_DEVICES", "4,6,7"}}, machine.probe());
  CHECK(pinned_visible_devices(subset, 3) == Devices{"4", "6", "7"});
  CHECK(pinned_visible_devices(subset, 2) == Devices{"4", "6"});
  CHECK_THROWS_WITH_AS(pinned_visible_devices(subset, 4),
                       "cannot pin 4 workers to one GPU each: 3 GPUs from CUDA_VISIBLE_DEVICES",
                       std::invalid_argument);
  CHECK_THROWS_AS(pinned_visible_devices(subset, 0), std::invalid_argument);

  const auto all = count_gpus({}, machine.probe());
  CHECK(pinned_visible_devices(all, 2) == Devices{"0", "1"});

  const auto uuids = count_gpus({{"CUDA_VISIBLE_DEVICES", "GPU-aa,GPU-bb"}}, machine.probe());
  CHECK(pinned_visible_devices(uuids, 2) == Devices{"GPU-aa", "GPU-bb"});
}

TEST_CASE("gpu_count: the system probe counts this machine's CPUs") {
  const auto probe = DeviceProbe::system();
  CHECK(probe.cpu_count() >= 1);
  CHECK(resolve_nproc_per_node("cpu", {}, probe).nproc == probe.cpu_count());
}
