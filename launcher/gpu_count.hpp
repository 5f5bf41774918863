#pragma once
// GPU counting without LibTorch, for --nproc_per_node auto|gpu|cpu, and the per-worker
// CUDA_VISIBLE_DEVICES of the opt-in pinned mode.
//
// Sources, first that answers wins:
//   1. CUDA_VISIBLE_DEVICES when set, parsed as CUDA (and torch's _parse_visible_devices) do:
//      "" -> none; ordinals are read like strtoul ("1gpu2,2ampere" -> 1,2; "+3" -> 3, "-0" -> 0)
//      and the list stops at the first entry that is not one ("-1", "NoDevFiles", "4,3,two" ->
//      4,3); a repeated ordinal hides every device; "GPU-<uuid>" / "MIG-<...>" lists keep the
//      entries with the first entry's prefix. When the machine's GPU count is known from 2 or 3,
//      an ordinal list also stops at the first ordinal the machine does not have.
//   2. /proc/driver/nvidia/gpus/<pci id>/ entries (one per GPU the driver, or the container
//      runtime, exposes).
//   3. `nvidia-smi -L` ("GPU 0: ... (UUID: GPU-...)" lines; a MIG-enabled GPU counts as its
//      "MIG ... (UUID: MIG-...)" devices, the way CUDA enumerates them).
// Neither present -> 0 GPUs.
//
// Two ways to give workers their GPUs (the launcher's flag chooses):
//   - default, torchrun's way: every worker inherits the parent's CUDA_VISIBLE_DEVICES and sees
//     all devices; a worker uses device LOCAL_RANK (cuda:LOCAL_RANK). Scripts written for
//     torchrun / torch.distributed.launch expect this.
//   - pinned (opt-in): worker i gets CUDA_VISIBLE_DEVICES = the i-th visible device only, so it
//     sees exactly one device, as cuda:0. Use it for programs that always take device 0, or to
//     keep a worker from touching its neighbours' GPUs. A script that calls
//     set_device(LOCAL_RANK) breaks under it for LOCAL_RANK > 0.

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "launcher/cluster_env.hpp"
#include "launcher/command_output.hpp"

namespace dlaunch::launcher {

// Where device information comes from; tests swap every part.
struct DeviceProbe {
  std::filesystem::path proc_root = "/proc";  // reads <proc_root>/driver/nvidia/gpus
  CommandRunner run_command;                  // runs {"nvidia-smi", "-L"}; empty: never run
  std::function<int()> cpu_count;             // os.cpu_count(); empty: 1

  // The real machine: /proc, nvidia-smi with a 10 s timeout, sysconf(_SC_NPROCESSORS_ONLN).
  static DeviceProbe system();
};

struct GpuCount {
  // What each visible device is called in CUDA_VISIBLE_DEVICES, in CUDA's order: the parent's
  // own entries when it set the variable, otherwise "0".."n-1" (or MIG UUIDs from nvidia-smi).
  std::vector<std::string> devices;
  std::string
      source;        // "CUDA_VISIBLE_DEVICES", "/proc/driver/nvidia/gpus", "nvidia-smi -L", "none"
  std::string note;  // why a set CUDA_VISIBLE_DEVICES yields fewer devices than entries, if so

  int count() const { return static_cast<int>(devices.size()); }
};

// Counts the GPUs this process may use.
GpuCount count_gpus(const Environment& env, const DeviceProbe& probe);

// --nproc_per_node resolved to a worker count.
struct NprocPerNode {
  int nproc = 1;
  std::string reason;  // "4 (--nproc_per_node gpu: 4 GPUs from CUDA_VISIBLE_DEVICES)"
};

// `value` is an integer >= 1, "gpu" (GPU count; no GPU is an error, as torchrun's "Cuda is not
// available"), "cpu" (os.cpu_count(), as torchrun) or "auto" (GPU count if any, else CPU count,
// as torchrun 1.13). Anything else throws std::invalid_argument quoting it; `origin` names the
// flag or variable the text came from ("--nproc_per_node", "PET_NPROC_PER_NODE").
NprocPerNode resolve_nproc_per_node(std::string_view value, const Environment& env,
                                    const DeviceProbe& probe,
                                    std::string_view origin = "--nproc_per_node");

// Pinned mode: the CUDA_VISIBLE_DEVICES of local ranks 0..nproc-1, one device each, taken in
// order from `gpus.devices`. Throws std::invalid_argument when nproc exceeds the device count.
std::vector<std::string> pinned_visible_devices(const GpuCount& gpus, int nproc);

}  // namespace dlaunch::launcher
