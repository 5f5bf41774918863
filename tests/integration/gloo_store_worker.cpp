// A LibTorch 1.13 ProcessGroupGloo rank whose store is a TCPStore *client* of the server on
// HOST:PORT (the way dtrain runs under dlaunch). all_reduce and barrier; exit 0 on success.
//
//   gloo_store_worker HOST PORT RANK WORLD
//
// Kept out of the rendezvous library: it links LibTorch, which only tests and dtrain may.

#include <torch/torch.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: gloo_store_worker HOST PORT RANK WORLD\n";
    return 2;
  }
  const std::string host = argv[1];
  const int rank = std::atoi(argv[3]);
  const int world = std::atoi(argv[4]);
  try {
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(std::atoi(argv[2]));
    options.isServer = false;
    options.numWorkers = world;
    options.timeout = std::chrono::seconds(60);
    auto store = c10::make_intrusive<c10d::TCPStore>(host, options);
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>("libtorch", store);

    auto gloo_options = c10d::ProcessGroupGloo::Options::create(std::chrono::seconds(60));
    gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    c10d::ProcessGroupGloo group(prefixed, rank, world, gloo_options);

    std::vector<at::Tensor> tensors{torch::full({4}, static_cast<float>(rank + 1))};
    group.allreduce(tensors)->wait();
    const float expected = world * (world + 1) / 2.0f;
    if (tensors[0][0].item<float>() != expected) {
      std::cerr << "rank " << rank << ": all_reduce gave " << tensors[0][0].item<float>()
                << ", expected " << expected << "\n";
      return 1;
    }
    group.barrier()->wait();
    std::cout << "rank " << rank << " ok (LibTorch ProcessGroupGloo)" << std::endl;
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "rank " << rank << ": " << error.what() << "\n";
    return 1;
  }
}
