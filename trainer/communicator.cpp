#include "trainer/communicator.hpp"

#include <ATen/ATen.h>

#include <thread>

#include "trainer/compat.hpp"
#include "trainer/errors.hpp"

namespace dlaunch::trainer {
namespace {

// Runs a c10d call, turning whatever it throws into a CommError that says what failed.
template <typename F>
auto guarded(const char* what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const CommError&) {
    throw;
  } catch (const std::exception& e) {
    std::string message = e.what();
    if (auto nl = message.find('\n'); nl != std::string::npos) message.resize(nl);
    throw CommError(std::string(what) + " failed: " + message);
  }
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

}  // namespace

struct PendingCollective::State {
  c10::intrusive_ptr<c10d::Work> work;
  std::chrono::milliseconds timeout;
};

PendingCollective::PendingCollective() = default;
PendingCollective::~PendingCollective() = default;
PendingCollective::PendingCollective(PendingCollective&&) noexcept = default;
PendingCollective& PendingCollective::operator=(PendingCollective&&) noexcept = default;

void PendingCollective::wait() {
  if (!state_ || !state_->work) return;
  auto work = std::move(state_->work);
  guarded("all-reduce", [&] {
    work->wait(state_->timeout);
    return 0;
  });
}

struct Communicator::Impl {
  CommConfig config;
  compat::StorePtr store;       // the TCPStore itself
  compat::CollectivePtr group;  // Gloo or NCCL
  int port = 0;

  void check_connected() const {
    if (!group) throw CommError("collective called before connect()");
  }
};

Communicator::Communicator(const CommConfig& config) : impl_(std::make_unique<Impl>()) {
  impl_->config = config;
  const bool serve = config.rank == 0 && !config.use_agent_store;
  auto store = guarded("connecting to the store", [&] {
    return compat::make_tcp_store(config.master_addr, config.master_port, serve,
                                  config.world_size, config.timeout);
  });
  impl_->port = static_cast<int>(static_cast<c10d::TCPStore*>(store.get())->getPort());
  impl_->store = std::move(store);
}

Communicator::~Communicator() = default;

void Communicator::connect() {
  const CommConfig& config = impl_->config;
  const std::string device_type = config.backend == "nccl" ? "cuda" : "cpu";
  auto store = compat::default_group_store(impl_->store, config.use_agent_store,
                                           config.restart_count, device_type);
  if (config.backend == "gloo") {
#ifdef USE_C10D_GLOO
    impl_->group = guarded("creating the Gloo process group", [&]() -> compat::CollectivePtr {
      auto options = c10d::ProcessGroupGloo::Options::create(config.timeout);
      // Loopback jobs stay on loopback; otherwise pick the interface as Python does.
      if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname != nullptr && *ifname) {
        options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
      } else if (is_loopback(config.master_addr)) {
        options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      } else {
        options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      }
      return c10::make_intrusive<c10d::ProcessGroupGloo>(store, config.rank, config.world_size,
                                                         options);
    });
#else
    throw UsageError("this dtrain was built without Gloo (USE_C10D_GLOO): use --backend nccl");
#endif
  } else if (config.backend == "nccl") {
#ifdef USE_C10D_NCCL
    impl_->group = guarded("creating the NCCL process group", [&]() -> compat::CollectivePtr {
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = config.timeout;
      return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, config.rank, config.world_size,
                                                         options);
    });
#else
    throw UsageError("this dtrain was built without NCCL: use --backend gloo");
#endif
  } else {
    throw UsageError("unknown backend " + config.backend);
  }
  if (compat::python_store_barrier()) {
    // Mirror torch 1.13's init_process_group so mixed C++/Python groups agree on the store.
    guarded("the store barrier after joining", [&] {
      const std::string key = compat::python_store_barrier_key();
      store->add(key, 1);
      const auto deadline = std::chrono::steady_clock::now() + config.timeout;
      while (store->add(key, 0) < config.world_size) {
        if (std::chrono::steady_clock::now() > deadline) {
          throw CommError("timed out waiting for all " + std::to_string(config.world_size) +
                          " ranks at the store barrier");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      return 0;
    });
  }
}

int Communicator::rank() const { return impl_->config.rank; }
int Communicator::size() const { return impl_->config.world_size; }
const std::string& Communicator::backend_name() const { return impl_->config.backend; }
int Communicator::store_port() const { return impl_->port; }

void Communicator::broadcast(at::Tensor& tensor, int root) {
  impl_->check_connected();
  guarded("broadcast", [&] {
    std::vector<at::Tensor> tensors{tensor};
    c10d::BroadcastOptions options;
    options.rootRank = root;
    options.timeout = impl_->config.timeout;
    impl_->group->broadcast(tensors, options)->wait(impl_->config.timeout);
    return 0;
  });
}

void Communicator::allreduce_sum(at::Tensor& tensor) { allreduce_sum_async(tensor).wait(); }

void Communicator::allreduce_max(at::Tensor& tensor) {
  impl_->check_connected();
  guarded("all-reduce (max)", [&] {
    std::vector<at::Tensor> tensors{tensor};
    c10d::AllreduceOptions options;
    options.reduceOp = c10d::ReduceOp::MAX;
    options.timeout = impl_->config.timeout;
    impl_->group->allreduce(tensors, options)->wait(impl_->config.timeout);
    return 0;
  });
}

void Communicator::barrier() {
  impl_->check_connected();
  guarded("barrier", [&] {
    c10d::BarrierOptions options;
    options.timeout = impl_->config.timeout;
    impl_->group->barrier(options)->wait(impl_->config.timeout);
    return 0;
  });
}

PendingCollective Communicator::allreduce_sum_async(at::Tensor& tensor) {
  impl_->check_connected();
  PendingCollective pending;
  pending.state_ = std::make_unique<PendingCollective::State>();
  pending.state_->timeout = impl_->config.timeout;
  pending.state_->work = guarded("all-reduce", [&] {
    std::vector<at::Tensor> tensors{tensor};
    c10d::AllreduceOptions options;
    options.reduceOp = c10d::ReduceOp::SUM;
    options.timeout = impl_->config.timeout;
    return impl_->group->allreduce(tensors, options);
  });
  return pending;
}

}  // namespace dlaunch::trainer
