#include "trainer/grad_reducer.hpp"

#include <doctest/doctest.h>
#include <torch/torch.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "trainer/communicator.hpp"
#include "trainer/errors.hpp"

namespace tr = dlaunch::trainer;

namespace {

// Ranks as threads: rank 0 serves the store on an ephemeral loopback port, the others join.
template <typename Body>
void run_ranks(int world, Body body) {
  std::promise<int> port_promise;
  std::shared_future<int> port = port_promise.get_future().share();
  std::vector<std::future<void>> ranks;
  for (int r = 0; r < world; ++r) {
    ranks.push_back(std::async(std::launch::async, [&, r] {
      tr::CommConfig config;
      config.rank = r;
      config.world_size = world;
      config.timeout = std::chrono::seconds(30);
      if (r == 0) {
        config.master_port = 0;
        tr::Communicator comm(config);
        port_promise.set_value(comm.store_port());
        comm.connect();
        body(comm);
      } else {
        config.master_port = port.get();
        tr::Communicator comm(config);
        comm.connect();
        body(comm);
      }
    }));
  }
  for (auto& f : ranks) f.get();
}

struct Net : torch::nn::Module {
  Net() {
    a = register_module("a", torch::nn::Linear(6, 5));
    b = register_module("b", torch::nn::Linear(5, 4));
    unused = register_parameter("unused", torch::ones({3}));
    c = register_module("c", torch::nn::Linear(4, 2));
  }
  torch::Tensor forward(torch::Tensor x) { return c(torch::tanh(b(torch::tanh(a(x))))); }
  torch::nn::Linear a{nullptr}, b{nullptr}, c{nullptr};
  torch::Tensor unused;
};

// The same initial weights on every rank. The ranks are threads sharing torch's global
// generator, so seeding and drawing happen under one lock.
std::shared_ptr<Net> seeded_net() {
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  torch::manual_seed(0);
  return std::make_shared<Net>();
}

torch::Tensor rank_input(int rank) {
  return torch::linspace(-1.0, 1.0, 8 * 6).reshape({8, 6}) * (rank + 1) + rank;
}

}  // namespace

TEST_CASE("communicator: broadcast, sum and max over 3 Gloo ranks on loopback") {
  run_ranks(3, [](tr::Communicator& comm) {
    torch::Tensor t = torch::full({4}, static_cast<float>(comm.rank() + 1));
    comm.allreduce_sum(t);
    CHECK(torch::allclose(t, torch::full({4}, 6.0f)));
    torch::Tensor m = torch::tensor({static_cast<double>(comm.rank())});
    comm.allreduce_max(m);
    CHECK(m.item<double>() == 2.0);
    torch::Tensor b = torch::full({2}, static_cast<float>(comm.rank() * 10));
    comm.broadcast(b, 0);
    CHECK(torch::allclose(b, torch::zeros({2})));
    comm.barrier();
  });
}

TEST_CASE("grad reducer: bucketed async all-reduce equals the reference average") {
  for (int world : {2, 3}) {
    // Reference: each rank's plain gradients, averaged.
    std::vector<std::vector<torch::Tensor>> local(static_cast<std::size_t>(world));
    for (int r = 0; r < world; ++r) {
      auto net = seeded_net();
      net->forward(rank_input(r)).pow(2).sum().backward();
      for (auto& p : net->parameters()) {
        local[static_cast<std::size_t>(r)].push_back(p.grad().defined() ? p.grad().clone()
                                                                          : torch::zeros_like(p));
      }
    }
    std::vector<torch::Tensor> expected;
    for (std::size_t i = 0; i < local[0].size(); ++i) {
      torch::Tensor sum = torch::zeros_like(local[0][i]);
      for (int r = 0; r < world; ++r) sum += local[static_cast<std::size_t>(r)][i];
      expected.push_back(sum / world);
    }

    std::mutex mutex;
    run_ranks(world, [&](tr::Communicator& comm) {
      auto net = seeded_net();
      std::vector<torch::Tensor> params = net->parameters();
      // Tiny buckets: several of them, launched from the hooks as backward goes.
      tr::GradReducer reducer(comm, params, 64, 48);
      REQUIRE(reducer.num_buckets() >= 3);
      for (int step = 0; step < 2; ++step) {  // the second step checks that prepare() re-zeroes
        reducer.prepare();
        net->forward(rank_input(comm.rank())).pow(2).sum().backward();
        reducer.finish();
        std::lock_guard<std::mutex> lock(mutex);
        CHECK(reducer.buckets_launched_early() >= 1);
        for (std::size_t i = 0; i < params.size(); ++i) {
          CHECK_MESSAGE(torch::allclose(params[i].grad(), expected[i], 1e-5, 1e-6),
                        "rank " << comm.rank() << " param " << i);
        }
      }
    });
  }
}

TEST_CASE("grad reducer: a rank with an empty batch still takes part") {
  run_ranks(2, [](tr::Communicator& comm) {
    auto net = seeded_net();
    std::vector<torch::Tensor> params = net->parameters();
    tr::GradReducer reducer(comm, params, 1 << 20);
    reducer.prepare();
    if (comm.rank() == 0) net->forward(rank_input(0)).sum().backward();
    reducer.finish();  // rank 1 contributes zeros; both see half of rank 0's gradient
    torch::Tensor g = params[0].grad().clone();
    comm.allreduce_sum(g);
    CHECK(torch::allclose(g, params[0].grad() * 2));
  });
}

TEST_CASE("communicator: a peer that never comes is a CommError, not a hang") {
  tr::CommConfig config;
  config.rank = 1;
  config.world_size = 2;
  config.master_port = 1;  // nothing listens on port 1
  config.timeout = std::chrono::seconds(2);
  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(tr::Communicator{config}, tr::CommError);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
}
