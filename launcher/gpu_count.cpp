#include "launcher/gpu_count.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <stdexcept>

namespace dlaunch::launcher {
namespace {

constexpr std::string_view kSpace = " \t\r\n";

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? text.npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// strtoul on one entry, as CUDA reads it: an optional sign, then leading digits; the rest is
// ignored. std::nullopt when there are no digits or the value is negative.
std::optional<unsigned long> leading_ordinal(std::string_view entry) {
  bool negative = false;
  if (!entry.empty() && (entry.front() == '+' || entry.front() == '-')) {
    negative = entry.front() == '-';
    entry.remove_prefix(1);
  }
  unsigned long value = 0;
  auto [ptr, ec] = std::from_chars(entry.data(), entry.data() + entry.size(), value);
  if (ptr == entry.data() || ec != std::errc{}) return std::nullopt;
  if (negative && value != 0) return std::nullopt;
  return value;
}

struct Visible {
  std::vector<std::string> devices;
  bool ordinals = false;
  std::string note;
};

Visible parse_visible_devices(std::string_view text) {
  Visible visible;
  text = trim(text);
  if (text.empty()) {
    visible.note = "CUDA_VISIBLE_DEVICES is empty";
    return visible;
  }
  const auto entries = split(text, ',');
  const auto first = trim(entries.front());
  const bool uuids = first.starts_with("GPU-") || first.starts_with("MIG-");
  visible.ordinals = !uuids;
  for (auto raw : entries) {
    const auto entry = trim(raw);
    std::string name;
    if (uuids) {
      if (!entry.starts_with(first.substr(0, 4))) {
        visible.note = "CUDA_VISIBLE_DEVICES stops at '" + std::string(entry) + "'";
        break;
      }
      name = std::string(entry);
    } else {
      const auto ordinal = leading_ordinal(entry);
      if (!ordinal) {
        visible.note = "CUDA_VISIBLE_DEVICES stops at '" + std::string(entry) + "'";
        break;
      }
      name = std::to_string(*ordinal);
    }
    if (std::find(visible.devices.begin(), visible.devices.end(), name) != visible.devices.end()) {
      visible.devices.clear();
      visible.note =
          "CUDA_VISIBLE_DEVICES names device " + name + " twice, which hides every device";
      return visible;
    }
    visible.devices.push_back(std::move(name));
  }
  return visible;
}

// Number of entries in <proc_root>/driver/nvidia/gpus; std::nullopt when there is none.
std::optional<int> proc_gpu_count(const DeviceProbe& probe) {
  std::error_code ec;
  std::filesystem::directory_iterator it(probe.proc_root / "driver" / "nvidia" / "gpus", ec);
  if (ec) return std::nullopt;
  int count = 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    ++count;
  }
  if (count == 0) return std::nullopt;
  return count;
}

struct SmiListing {
  int gpus = 0;                      // "GPU N:" lines
  std::vector<std::string> devices;  // what CUDA enumerates: GPU indices, or MIG UUIDs
};

std::optional<SmiListing> nvidia_smi_listing(const DeviceProbe& probe) {
  if (!probe.run_command) return std::nullopt;
  const auto output = probe.run_command({"nvidia-smi", "-L"});
  if (!output) return std::nullopt;
  SmiListing listing;
  std::string gpu;                // index of the current GPU line
  std::vector<std::string> migs;  // its MIG devices
  const auto close_gpu = [&] {
    if (gpu.empty()) return;
    if (migs.empty()) {
      listing.devices.push_back(gpu);
    } else {
      listing.devices.insert(listing.devices.end(), migs.begin(), migs.end());
    }
    gpu.clear();
    migs.clear();
  };
  for (auto raw : split(*output, '\n')) {
    const auto line = trim(raw);
    if (line.starts_with("GPU ")) {
      close_gpu();
      const auto colon = line.find(':');
      const auto index =
          leading_ordinal(line.substr(4, colon == std::string_view::npos ? 0 : colon - 4));
      if (!index) continue;
      gpu = std::to_string(*index);
      ++listing.gpus;
    } else if (line.starts_with("MIG ") && !gpu.empty()) {
      const auto uuid = line.find("UUID: ");
      if (uuid == std::string_view::npos) continue;
      const auto value = line.substr(uuid + 6);
      migs.emplace_back(trim(value.substr(0, value.find(')'))));
    }
  }
  close_gpu();
  if (listing.devices.empty()) return std::nullopt;
  return listing;
}

std::vector<std::string> ordinals(int count) {
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i) names.push_back(std::to_string(i));
  return names;
}

int parse_worker_count(std::string_view value, std::string_view origin) {
  int count = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), count);
  if (value.empty() || ec != std::errc{} || ptr != value.data() + value.size()) {
    throw std::invalid_argument("Unsupported nproc_per_node value: '" + std::string(value) + "' (" +
                                std::string(origin) +
                                " takes a whole number >= 1, auto, gpu or cpu)");
  }
  if (count < 1) {
    throw std::invalid_argument(std::string(origin) + " " + std::string(value) +
                                ": need at least 1 worker");
  }
  return count;
}

std::string describe_gpus(const GpuCount& gpus) {
  std::string text = std::to_string(gpus.count()) + (gpus.count() == 1 ? " GPU" : " GPUs");
  if (gpus.source != "none") text += " from " + gpus.source;
  if (!gpus.note.empty()) text += "; " + gpus.note;
  return text;
}

}  // namespace

DeviceProbe DeviceProbe::system() {
  DeviceProbe probe;
  probe.run_command = [](const std::vector<std::string>& argv) {
    return run_command_output(argv, std::chrono::seconds(10));
  };
  probe.cpu_count = [] {
    const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? static_cast<int>(online) : 1;
  };
  return probe;
}

GpuCount count_gpus(const Environment& env, const DeviceProbe& probe) {
  const auto proc = proc_gpu_count(probe);
  if (const auto it = env.find("CUDA_VISIBLE_DEVICES"); it != env.end()) {
    auto visible = parse_visible_devices(it->second);
    if (visible.ordinals && !visible.devices.empty()) {
      std::optional<int> physical = proc;
      if (!physical) {
        if (const auto listing = nvidia_smi_listing(probe)) physical = listing->gpus;
      }
      const auto beyond = std::find_if(
          visible.devices.begin(), visible.devices.end(), [&](const std::string& name) {
            return physical && std::stoul(name) >= static_cast<unsigned long>(*physical);
          });
      if (beyond != visible.devices.end()) {
        visible.note = "CUDA_VISIBLE_DEVICES stops at device " + *beyond + ": this machine has " +
                       std::to_string(*physical);
        visible.devices.erase(beyond, visible.devices.end());
      }
    }
    return {std::move(visible.devices), "CUDA_VISIBLE_DEVICES", std::move(visible.note)};
  }
  if (proc) return {ordinals(*proc), "/proc/driver/nvidia/gpus", ""};
  if (auto listing = nvidia_smi_listing(probe))
    return {std::move(listing->devices), "nvidia-smi -L", ""};
  return {{}, "none", ""};
}

NprocPerNode resolve_nproc_per_node(std::string_view value, const Environment& env,
                                    const DeviceProbe& probe, std::string_view origin) {
  const auto cpus = [&] { return probe.cpu_count ? std::max(1, probe.cpu_count()) : 1; };
  const std::string flag = std::string(origin) + " " + std::string(value);
  if (value == "cpu") {
    const int count = cpus();
    return {count, std::to_string(count) + " (" + flag + ": " + std::to_string(count) + " CPUs)"};
  }
  if (value == "gpu" || value == "auto") {
    const auto gpus = count_gpus(env, probe);
    if (gpus.count() > 0) {
      return {gpus.count(),
              std::to_string(gpus.count()) + " (" + flag + ": " + describe_gpus(gpus) + ")"};
    }
    if (value == "gpu") {
      throw std::invalid_argument(flag + ": no CUDA device is visible (" + describe_gpus(gpus) +
                                  ")");
    }
    const int count = cpus();
    return {count,
            std::to_string(count) + " (" + flag + ": no GPU, " + std::to_string(count) + " CPUs)"};
  }
  const int count = parse_worker_count(value, origin);
  return {count, std::to_string(count) + " (" + flag + ")"};
}

std::vector<std::string> pinned_visible_devices(const GpuCount& gpus, int nproc) {
  if (nproc < 1) throw std::invalid_argument("cannot pin " + std::to_string(nproc) + " workers");
  if (nproc > gpus.count()) {
    throw std::invalid_argument("cannot pin " + std::to_string(nproc) +
                                " workers to one GPU each: " + describe_gpus(gpus));
  }
  return {gpus.devices.begin(), gpus.devices.begin() + nproc};
}

}  // namespace dlaunch::launcher
