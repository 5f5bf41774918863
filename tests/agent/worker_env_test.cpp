#include "agent/worker_env.hpp"

#include <doctest/doctest.h>

using namespace dlaunch::agent;

namespace {

AgentConfig two_nodes_of_four() {
  AgentConfig config;
  config.run_id = "job7";
  config.role = "trainer";
  config.node_rank = 1;
  config.nnodes = 2;
  config.nproc_per_node = 4;
  config.first_global_rank = 4;
  config.world_size = 8;
  config.master_addr = "10.0.0.4";
  config.master_port = 6105;
  config.agent_store = true;
  config.max_restarts = 3;
  config.command = {"python3", "-u", "train.py", "--epochs", "3"};
  config.command_user_args_offset = 3;
  // Node-level values Azure ML / Kubeflow leave in the agent's environment.
  config.base_env = {{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"LOCAL_RANK", "0"}, {"PATH", "/usr/bin"}};
  return config;
}

}  // namespace

TEST_CASE("worker environment: every variable of the contract, recomputed per worker") {
  const AgentConfig config = two_nodes_of_four();
  const Environment env = worker_environment(config, {2, 1, "/logs/e.json"});
  CHECK(env.at("RANK") == "6");
  CHECK(env.at("LOCAL_RANK") == "2");
  CHECK(env.at("WORLD_SIZE") == "8");
  CHECK(env.at("LOCAL_WORLD_SIZE") == "4");
  CHECK(env.at("GROUP_RANK") == "1");
  CHECK(env.at("NODE_RANK") == "1");
  CHECK(env.at("GROUP_WORLD_SIZE") == "2");
  CHECK(env.at("ROLE_NAME") == "trainer");
  CHECK(env.at("ROLE_RANK") == "6");
  CHECK(env.at("ROLE_WORLD_SIZE") == "8");
  CHECK(env.at("MASTER_ADDR") == "10.0.0.4");
  CHECK(env.at("MASTER_PORT") == "6105");
  CHECK(env.at("TORCHELASTIC_USE_AGENT_STORE") == "True");
  CHECK(env.at("TORCHELASTIC_RESTART_COUNT") == "1");
  CHECK(env.at("TORCHELASTIC_MAX_RESTARTS") == "3");
  CHECK(env.at("TORCHELASTIC_RUN_ID") == "job7");
  CHECK(env.at("TORCHELASTIC_ERROR_FILE") == "/logs/e.json");
  CHECK(env.at("TORCH_NCCL_ASYNC_ERROR_HANDLING") == "1");
  CHECK(env.at("NCCL_ASYNC_ERROR_HANDLING") == "1");
  CHECK(env.at("OMP_NUM_THREADS") == "1");
  CHECK(env.at("PATH") == "/usr/bin");
}

TEST_CASE("worker environment: the user's own values win where the contract says so") {
  AgentConfig config = two_nodes_of_four();
  config.base_env["OMP_NUM_THREADS"] = "8";
  config.base_env["NCCL_ASYNC_ERROR_HANDLING"] = "0";
  config.extra_env = {{"FOO", "bar"}};
  const Environment env = worker_environment(config, {0, 0, ""});
  CHECK(env.at("OMP_NUM_THREADS") == "8");
  CHECK(env.at("NCCL_ASYNC_ERROR_HANDLING") == "0");
  CHECK(env.at("FOO") == "bar");

  config.nproc_per_node = 1;
  config.base_env.erase("OMP_NUM_THREADS");
  CHECK(worker_environment(config, {0, 0, ""}).count("OMP_NUM_THREADS") == 0);
  config.agent_store = false;
  CHECK(worker_environment(config, {0, 0, ""}).at("TORCHELASTIC_USE_AGENT_STORE") == "False");
}

TEST_CASE("worker argv: --local_rank=N goes after the script in legacy mode only") {
  AgentConfig config = two_nodes_of_four();
  CHECK(worker_argv(config, 2) == config.command);
  config.use_env = false;
  CHECK(worker_argv(config, 2) ==
        std::vector<std::string>{"python3", "-u", "train.py", "--local_rank=2", "--epochs", "3"});
  config.command = {"/bin/worker"};
  config.command_user_args_offset = 1;
  CHECK(worker_argv(config, 0) == std::vector<std::string>{"/bin/worker", "--local_rank=0"});
}

TEST_CASE("worker environment: --pin_gpus gives each local rank its own CUDA_VISIBLE_DEVICES") {
  AgentConfig config = two_nodes_of_four();
  config.base_env["CUDA_VISIBLE_DEVICES"] = "0,1,2,3";
  CHECK(worker_environment(config, {2, 0, ""}).at("CUDA_VISIBLE_DEVICES") == "0,1,2,3");
  config.visible_devices = {"GPU-a", "GPU-b", "GPU-c", "GPU-d"};
  CHECK(worker_environment(config, {0, 0, ""}).at("CUDA_VISIBLE_DEVICES") == "GPU-a");
  CHECK(worker_environment(config, {3, 0, ""}).at("CUDA_VISIBLE_DEVICES") == "GPU-d");
}
