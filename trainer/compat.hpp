#pragma once
// Every LibTorch 1.13-vs-2.x difference dtrain meets, in one place, keyed on TORCH_VERSION:
//  - what a concrete process group is: a c10d::ProcessGroup in 1.13, a c10d::Backend in 2.x;
//  - the store layout Python workers use, so dtrain and Python ranks can share one store:
//    under an agent store (torchrun/dlaunch) torch < 2.6 prefixes "/worker/attempt_<N>", and
//    the default group adds "default_pg" (1.13) or "0/" + "<device>/" (2.x);
//  - 1.13's store-based barrier after init_process_group;
//  - TCPStoreOptions (useLibUV from 2.4);
//  - autocast: global CUDA/CPU switches in 1.13, device-keyed calls from 2.4;
//  - setting the current CUDA device without CUDA headers.
// Included only by the .cpp files that talk to c10d or autocast.

#include <torch/version.h>

#include <ATen/autocast_mode.h>
#include <c10/core/Device.h>
#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/Types.hpp>
#include <torch/csrc/distributed/c10d/Work.hpp>
#if TORCH_VERSION_MAJOR >= 2
#include <torch/csrc/distributed/c10d/Backend.hpp>
#else
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#endif
// pip's LibTorch defines USE_C10D_GLOO in its CMake target but ships no Gloo headers: the
// backend is only there when they are.
#if defined(USE_C10D_GLOO) && !__has_include(<gloo/algorithm.h>)
#undef USE_C10D_GLOO
#endif
#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>
#include <cstdlib>
#include <string>

#define DTRAIN_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) ||         \
   (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace dlaunch::trainer::compat {

#if DTRAIN_TORCH_AT_LEAST(2, 0)
using Collective = c10d::Backend;
#else
using Collective = c10d::ProcessGroup;
#endif
using CollectivePtr = c10::intrusive_ptr<Collective>;
using StorePtr = c10::intrusive_ptr<c10d::Store>;

inline StorePtr make_tcp_store(const std::string& host, int port, bool is_server, int world_size,
                               std::chrono::milliseconds timeout) {
  c10d::TCPStoreOptions options;
  options.port = static_cast<std::uint16_t>(port);
  options.isServer = is_server;
  options.numWorkers = static_cast<std::size_t>(world_size);  // clients add 1 to "init/", as Python's do
  options.waitWorkers = false;  // the process group's own rendezvous waits for the ranks
  options.timeout = timeout;
  options.multiTenant = is_server;
#if DTRAIN_TORCH_AT_LEAST(2, 4)
  // Python reads USE_LIBUV the same way; builds without libuv (Debian's) need it off.
  if (const char* v = std::getenv("USE_LIBUV"); v != nullptr && std::string(v) == "0") {
    options.useLibUV = false;
  }
#endif
  return c10::make_intrusive<c10d::TCPStore>(host, options);
}

// The store a worker's default process group lives in, keyed exactly as Python's
// init_process_group(init_method="env://") keys it.
inline StorePtr default_group_store(StorePtr store, bool agent_store, int restart_count,
                                    const std::string& device_type) {
#if DTRAIN_TORCH_AT_LEAST(2, 6)
  (void)agent_store;
  (void)restart_count;
  auto group = c10::make_intrusive<c10d::PrefixStore>("0/", store);
  return c10::make_intrusive<c10d::PrefixStore>(device_type + "/", group);
#else
  (void)device_type;
  if (agent_store) {
    store = c10::make_intrusive<c10d::PrefixStore>(
        "/worker/attempt_" + std::to_string(restart_count), store);
  }
#if DTRAIN_TORCH_AT_LEAST(2, 0)
  auto group = c10::make_intrusive<c10d::PrefixStore>("0/", store);
  return c10::make_intrusive<c10d::PrefixStore>(device_type + "/", group);
#else
  return c10::make_intrusive<c10d::PrefixStore>("default_pg", store);
#endif
#endif
}

// torch 1.13's init_process_group ends with a store-based barrier on this key.
inline bool python_store_barrier() { return !DTRAIN_TORCH_AT_LEAST(2, 0); }
inline const char* python_store_barrier_key() { return "store_based_barrier_key:1"; }

// Turns autocast to `dtype` on or off for one device type on this thread.
inline void set_autocast(c10::DeviceType device, bool enabled, at::ScalarType dtype) {
#if DTRAIN_TORCH_AT_LEAST(2, 4)
  at::autocast::set_autocast_enabled(device, enabled);
  if (enabled) at::autocast::set_autocast_dtype(device, dtype);
#else
  if (device == c10::DeviceType::CUDA) {
    at::autocast::set_enabled(enabled);
    if (enabled) at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_cpu_enabled(enabled);
    if (enabled) at::autocast::set_autocast_cpu_dtype(dtype);
  }
#endif
}

// Makes cuda:index this thread's current device (what cudaSetDevice does), through the
// device-guard registry so no CUDA header is needed.
inline void set_current_device(const c10::Device& device) {
  c10::impl::getDeviceGuardImpl(device.type())->setDevice(device);
}

}  // namespace dlaunch::trainer::compat
