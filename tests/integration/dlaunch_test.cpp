// dlaunch as a user runs it: bad usage, the worker environment, fail-fast, signals,
// kill -9, legacy launch.
#include <signal.h>

#include <doctest/doctest.h>

#include "tests/support/netns.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

using namespace dlaunch::testing;

namespace {

std::string dlaunch_bin() { return build_path("launcher/dlaunch").string(); }
std::string worker(const std::string& name) {
  return source_path("tests/integration/workers/" + name).string();
}

int count_lines(const std::string& text) {
  int n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

}  // namespace

TEST_CASE("dlaunch: every bad input is one clear line and exit 2, before any worker") {
  TempDir dir;
  write_file(dir / "not_exec", "#!/bin/sh\n");
  write_file(dir / "ok.py", "print('hi')\n");
  const std::vector<std::vector<std::string>> cases = {
      {"--nproc_per_node", "0", "ok.py"},
      {"--nproc_per_node", "many", "ok.py"},
      {"--master_port", "70000", "ok.py"},
      {"--master_port", "0", "ok.py"},
      {"--nnodes", "3:1", "ok.py"},
      {"--node_rank", "-1", "ok.py"},
      {"--max_restarts", "-2", "ok.py"},
      {"--bogus_flag", "ok.py"},
      {"--redirects", "7", "ok.py"},
      {"missing.py"},
      {"--no_python", "--use_env", "./not_exec"},
      {"--no_python", "--use_env", "no-such-binary-anywhere"},
      {"--nproc_per_node", "2"},
  };
  for (const auto& args : cases) {
    std::vector<std::string> argv = {dlaunch_bin(), "--log_dir", (dir / "logs").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto result = run(argv, {}, dir.path());
    const std::string shown = args.front() + (args.size() > 1 ? " " + args[1] : "");
    INFO("dlaunch ", shown, " -> ", result.err);
    CHECK(result.exit_code == 2);
    CHECK(count_lines(result.err) == 1);
    CHECK(result.err.rfind("dlaunch: error: ", 0) == 0);
    CHECK_FALSE(std::filesystem::exists(dir / "logs"));
  }
}

TEST_CASE("dlaunch: --help prints the flags and exits 0") {
  const auto result = run({dlaunch_bin(), "--help"});
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("--nproc_per_node") != std::string::npos);
}

TEST_CASE("dlaunch: the environment of each worker, for 1 and 4 workers") {
  for (int nproc : {1, 4}) {
    TempDir dir;
    const auto result =
        run({dlaunch_bin(), "--standalone", "--nproc_per_node", std::to_string(nproc),
             "--log_dir", (dir / "logs").string(), worker("env_dump.py"), "--flag", "value"},
            {{"OUT", dir.path().string()}, {"PYTHON_EXEC", "/usr/bin/python3"},
             {"OMP_NUM_THREADS", ""}, {"RANK", "9"}, {"WORLD_SIZE", "99"}});
    INFO(result.err);
  REQUIRE(result.exit_code == 0);
    for (int rank = 0; rank < nproc; ++rank) {
      const auto env = parse_env_file(dir / ("env_" + std::to_string(rank)));
      CHECK(env.at("RANK") == std::to_string(rank));
      CHECK(env.at("LOCAL_RANK") == std::to_string(rank));
      CHECK(env.at("WORLD_SIZE") == std::to_string(nproc));
      CHECK(env.at("LOCAL_WORLD_SIZE") == std::to_string(nproc));
      CHECK(env.at("GROUP_RANK") == "0");
      CHECK(env.at("NODE_RANK") == "0");
      CHECK(env.at("GROUP_WORLD_SIZE") == "1");
      CHECK(env.at("ROLE_NAME") == "default");
      CHECK(env.at("ROLE_RANK") == std::to_string(rank));
      CHECK(env.at("ROLE_WORLD_SIZE") == std::to_string(nproc));
      CHECK(env.at("MASTER_ADDR") == "127.0.0.1");
      CHECK(std::stoi(env.at("MASTER_PORT")) > 0);
      CHECK(env.at("TORCHELASTIC_USE_AGENT_STORE") == "True");
      CHECK(env.at("TORCHELASTIC_RESTART_COUNT") == "0");
      CHECK(env.at("TORCHELASTIC_MAX_RESTARTS") == "0");
      // --standalone makes up a fresh run id, as torchrun does; all ranks share it.
      CHECK(env.at("TORCHELASTIC_RUN_ID").size() >= 8);
      CHECK(env.at("TORCHELASTIC_RUN_ID") ==
            parse_env_file(dir / "env_0").at("TORCHELASTIC_RUN_ID"));
      CHECK(env.at("TORCHELASTIC_ERROR_FILE").find(dir.path().string()) == 0);
      CHECK(env.at("TORCH_NCCL_ASYNC_ERROR_HANDLING") == "1");
      CHECK(env.at("NCCL_ASYNC_ERROR_HANDLING") == "1");
      if (nproc > 1) CHECK(env.at("OMP_NUM_THREADS") == "1");
      if (nproc == 1) CHECK(env.count("OMP_NUM_THREADS") == 0);
      CHECK(env.at("ARGV") == "--flag value");
    }
  }
}

TEST_CASE("dlaunch: Azure ML's per-node command line gives torch.distributed.launch's environment") {
  TempDir dir;
  const auto result = run(
      {dlaunch_bin(), "--nproc_per_node", "2", "--nnodes", "1", "--node_rank", "0", "--master_addr",
       "127.0.0.1", "--master_port", "6105", "--use_env", "--rdzv_id", "job-x", "--log_dir", (dir / "logs").string(),
       worker("env_dump.py"), "--epochs", "3"},
      {{"OUT", dir.path().string()}, {"PYTHON_EXEC", "/usr/bin/python3"},
       // What Azure ML leaves in a single-node PyTorch job's environment: node-level values.
       {"AZUREML_RUN_ID", "run_1"}, {"AZUREML_NODE_COUNT", "1"}, {"NODE_RANK", "0"},
       {"RANK", "0"}, {"WORLD_SIZE", "1"}, {"LOCAL_RANK", "0"}, {"MASTER_ADDR", "10.9.9.9"},
       {"MASTER_PORT", "6105"}});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  for (int rank = 0; rank < 2; ++rank) {
    const auto env = parse_env_file(dir / ("env_" + std::to_string(rank)));
    CHECK(env.at("RANK") == std::to_string(rank));
    CHECK(env.at("LOCAL_RANK") == std::to_string(rank));
    CHECK(env.at("WORLD_SIZE") == "2");
    CHECK(env.at("MASTER_ADDR") == "127.0.0.1");
    CHECK(env.at("MASTER_PORT") == "6105");
    CHECK(env.at("ARGV") == "--epochs 3");
    CHECK(env.at("TORCHELASTIC_RUN_ID") == "job-x");
  }
  CHECK(std::filesystem::exists(dir / "logs/70_driver_log_0.txt"));
  CHECK(std::filesystem::exists(dir / "logs/70_driver_log_1.txt"));
}

TEST_CASE("dlaunch: a busy MASTER_PORT is one clear error naming it, nothing started") {
  TempDir dir;
  // Hold a port the way another service on 6105 would.
  const auto probe = run({dlaunch_bin(), "--standalone", "--no_python", "--log_dir",
                          (dir / "logs0").string(), "/bin/sh", "-c", "echo $MASTER_PORT"});
  REQUIRE(probe.exit_code == 0);
  Subprocess holder({"/usr/bin/python3", "-c",
                     "import socket,sys,time\n"
                     "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                     "s.bind(('0.0.0.0', 0)); s.listen(); open(sys.argv[1],'w').write(str(s.getsockname()[1]))\n"
                     "time.sleep(60)",
                     (dir / "port").string()},
                    {}, dir / "holder.out", dir / "holder.err");
  REQUIRE(eventually([&] { return !read_file(dir / "port").empty(); }, std::chrono::seconds(10)));
  const std::string port = read_file(dir / "port");
  const auto result = run({dlaunch_bin(), "--nproc_per_node", "2", "--master_port", port, "--use_env",
                           "--log_dir", (dir / "logs").string(), worker("env_dump.py")},
                          {{"OUT", dir.path().string()}});
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("dlaunch: error: ") != std::string::npos);
  CHECK(result.err.find(":" + port) != std::string::npos);
  CHECK(result.err.find("in use") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "env_0"));
}

TEST_CASE("dlaunch: legacy launch (no --use_env) passes --local_rank=N before the script's args") {
  TempDir dir;
  const auto result = run({dlaunch_bin(), "--nproc_per_node", "2", "--master_port", "29511", "--log_dir",
                           (dir / "logs").string(), worker("legacy_args.py"), "--tag", "t1"},
                          {{"PYTHON_EXEC", "/usr/bin/python3"}});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find("[0]: local_rank 0 tag t1") != std::string::npos);
  CHECK(result.out.find("[1]: local_rank 1 tag t1") != std::string::npos);
}

TEST_CASE("dlaunch: one rank exits 7, dlaunch exits 7 promptly and every other worker is gone") {
  TempDir dir;
  const std::string mark = "fail-fast-" + std::to_string(::getpid());
  const auto result =
      run({dlaunch_bin(), "--standalone", "--nproc_per_node", "4", "--no_python", "--log_dir",
           (dir / "logs").string(), "/bin/sh", "-c",
           "if [ $RANK = 3 ]; then sleep 0.3; exit 7; fi; exec sleep 60"},
          {{"DLAUNCH_TEST_MARK", mark}}, {}, std::chrono::seconds(30));
  CHECK(result.exit_code == 7);
  CHECK(result.seconds < 5);
  CHECK(result.err.find("Root cause") != std::string::npos);
  CHECK(result.err.find("rank       : 3 (local_rank: 3)") != std::string::npos);
  CHECK(pids_with_env("DLAUNCH_TEST_MARK", mark).empty());
}

TEST_CASE("dlaunch: kill -9 of dlaunch leaves no worker and no grandchild behind") {
  TempDir dir;
  const std::string mark = "kill9-" + std::to_string(::getpid());
  Subprocess launcher({dlaunch_bin(), "--standalone", "--nproc_per_node", "3", "--no_python",
                       "--log_dir", (dir / "logs").string(), "/bin/sh", "-c",
                       "sleep 300 & sleep 300 & echo started; wait"},
                      {{"DLAUNCH_TEST_MARK", mark}}, dir / "out", dir / "err");
  // All 6 sleeping grandchildren are there (dlaunch and its guard carry the mark too).
  auto sleepers = [&] {
    int n = 0;
    for (pid_t pid : pids_with_env("DLAUNCH_TEST_MARK", mark)) {
      n += read_file("/proc/" + std::to_string(pid) + "/comm") == "sleep\n";
    }
    return n;
  };
  REQUIRE(eventually([&] { return sleepers() == 6; }, std::chrono::seconds(10)));
  launcher.signal(SIGKILL);
  launcher.wait_for(std::chrono::seconds(5));
  CHECK(eventually([&] { return pids_with_env("DLAUNCH_TEST_MARK", mark).empty(); },
                   std::chrono::seconds(5)));
}

TEST_CASE("dlaunch: SIGTERM and SIGINT are forwarded to the workers, then a clean stop") {
  for (int sig : {SIGTERM, SIGINT}) {
    TempDir dir;
    const std::string mark = "forward-" + std::to_string(::getpid()) + "-" + std::to_string(sig);
    Subprocess launcher(
        {dlaunch_bin(), "--standalone", "--nproc_per_node", "2", "--no_python", "--log_dir",
         (dir / "logs").string(), "/bin/sh", "-c",
         "trap 'echo got $0 > \"$OUT/got_$RANK\"; exit 0' TERM INT; echo ready > \"$OUT/ready_$RANK\"; "
         "while true; do sleep 0.05; done",
         sig == SIGTERM ? "TERM" : "INT"},
        {{"DLAUNCH_TEST_MARK", mark}, {"OUT", dir.path().string()}}, dir / "out", dir / "err");
    REQUIRE(eventually([&] {
      return std::filesystem::exists(dir / "ready_0") && std::filesystem::exists(dir / "ready_1");
    }, std::chrono::seconds(10)));
    launcher.signal(sig);
    const auto code = launcher.wait_for(std::chrono::seconds(10));
    REQUIRE(code.has_value());
    CHECK(*code == 128 + sig);
    CHECK(read_file(dir / "got_0").find("got") == 0);
    CHECK(read_file(dir / "got_1").find("got") == 0);
    CHECK(pids_with_env("DLAUNCH_TEST_MARK", mark).empty());
  }
}

TEST_CASE("dlaunch: a first Ctrl-C while a failure stops the workers is forwarded, not a kill") {
  TempDir dir;
  const std::string mark = "ctrlc-during-stop-" + std::to_string(::getpid());
  // Rank 1 takes its time to stop; rank 0 fails once rank 1 is up.
  Subprocess launcher(
      {dlaunch_bin(), "--standalone", "--nproc_per_node", "2", "--no_python", "--log_dir",
       (dir / "logs").string(), "/bin/sh", "-c",
       "if [ $RANK = 0 ]; then while [ ! -e \"$OUT/ready_1\" ]; do sleep 0.01; done; exit 3; fi; "
       "trap 'echo stopping >> \"$OUT/stopping_1\"; i=0; while [ $i -lt 300000 ]; do i=$((i+1)); "
       "done; echo got > \"$OUT/got_1\"; exit 0' TERM INT; "
       "echo ready > \"$OUT/ready_1\"; while true; do sleep 0.05; done"},
      {{"DLAUNCH_TEST_MARK", mark}, {"OUT", dir.path().string()}}, dir / "out", dir / "err");
  REQUIRE(eventually([&] { return std::filesystem::exists(dir / "stopping_1"); },
                     std::chrono::seconds(10)));
  launcher.signal(SIGINT);  // the first one: rank 1 keeps its grace
  const auto code = launcher.wait_for(std::chrono::seconds(20));
  INFO(read_file(dir / "err"));
  REQUIRE(code.has_value());
  CHECK(*code == 3);  // the root cause is still rank 0's failure
  CHECK(read_file(dir / "got_1") == "got\n");
  CHECK(pids_with_env("DLAUNCH_TEST_MARK", mark).empty());
}

TEST_CASE("dlaunch: restarts, attempt 0 fails and attempt 1 succeeds") {
  TempDir dir;
  const auto result = run({dlaunch_bin(), "--standalone", "--nproc_per_node", "2", "--max_restarts", "1",
                           "--no_python", "--log_dir", (dir / "logs").string(), "/bin/sh", "-c",
                           "[ $TORCHELASTIC_RESTART_COUNT = 1 ] || [ $RANK = 0 ] || exit 4"});
  CHECK(result.exit_code == 0);
  const auto summary = read_file(dir / "logs/dlaunch_summary.json");
  CHECK(summary.find("\"restarts\": 1") != std::string::npos);
}

TEST_CASE("dlaunch: runs in a network namespace host, workers meet on its address") {
  REQUIRE(can_make_netns());
  NetnsHosts hosts(2);
  TempDir dir;
  // A job on host 2 whose store is served on host 2's own address (not loopback).
  const auto result = run(hosts.on_host(2, {dlaunch_bin(), "--nproc_per_node", "2", "--master_addr",
                                            hosts.address(2), "--master_port", "29555", "--no_python",
                                            "--log_dir", (dir / "logs").string(), "/bin/sh", "-c",
                                            "echo $MASTER_ADDR:$MASTER_PORT"}));
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("[1]: " + hosts.address(2) + ":29555") != std::string::npos);
}

TEST_CASE("dlaunch: --nproc_per_node gpu counts CUDA_VISIBLE_DEVICES, --pin_gpus gives one each") {
  for (bool pin : {false, true}) {
    TempDir dir;
    std::vector<std::string> argv = {dlaunch_bin(), "--standalone", "--nproc_per_node", "gpu",
                                     "--log_dir", (dir / "logs").string()};
    if (pin) argv.push_back("--pin_gpus");
    argv.insert(argv.end(), {worker("env_dump.py")});
    const auto result = run(argv, {{"OUT", dir.path().string()}, {"PYTHON_EXEC", "/usr/bin/python3"},
                                   {"CUDA_VISIBLE_DEVICES", "3,5"}});
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    CHECK_FALSE(std::filesystem::exists(dir / "env_2"));  // two GPUs: two workers
    CHECK(parse_env_file(dir / "env_0").at("CUDA_VISIBLE_DEVICES") == (pin ? "3" : "3,5"));
    CHECK(parse_env_file(dir / "env_1").at("CUDA_VISIBLE_DEVICES") == (pin ? "5" : "3,5"));
  }
  TempDir dir;
  const auto too_many = run({dlaunch_bin(), "--standalone", "--nproc_per_node", "3", "--pin_gpus",
                             "--log_dir", (dir / "logs").string(), worker("env_dump.py")},
                            {{"CUDA_VISIBLE_DEVICES", "3,5"}, {"PYTHON_EXEC", "/usr/bin/python3"}});
  CHECK(too_many.exit_code == 2);
  CHECK(too_many.err.rfind("dlaunch: error: ", 0) == 0);
}

TEST_CASE("dlaunch: Azure ML's variables alone place two nodes' workers (no rank flags)") {
  TempDir dir;
  // A free port for node 0's store, as Azure ML's MASTER_PORT would be.
  const auto probe = run({dlaunch_bin(), "--standalone", "--no_python", "--log_dir",
                          (dir / "probe").string(), "/bin/sh", "-c", "echo $MASTER_PORT"});
  REQUIRE(probe.exit_code == 0);
  const std::string port = probe.out.substr(probe.out.find(": ") + 2, 5);
  std::vector<std::unique_ptr<Subprocess>> nodes;
  for (int node = 0; node < 2; ++node) {
    // What Azure ML sets on node `node` of a PyTorchConfiguration(node_count=2) job.
    const std::map<std::string, std::string> azure = {
        {"AZUREML_RUN_ID", "exp_1700000000_abc"}, {"AZUREML_NODE_COUNT", "2"},
        {"AZ_BATCHAI_CLUSTER_NAME", "gpu-cluster"}, {"NODE_RANK", std::to_string(node)},
        {"RANK", std::to_string(node)}, {"WORLD_SIZE", "2"}, {"LOCAL_RANK", "0"},
        {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", std::to_string(std::stoi(port))},
        {"OUT", dir.path().string()}, {"PYTHON_EXEC", "/usr/bin/python3"}};
    nodes.push_back(std::make_unique<Subprocess>(
        std::vector<std::string>{dlaunch_bin(), "--nproc_per_node", "2", "--use_env", "--log_dir",
                                 (dir / ("logs" + std::to_string(node))).string(),
                                 worker("env_dump.py")},
        azure, dir / ("out" + std::to_string(node)), dir / ("err" + std::to_string(node))));
  }
  for (int node = 0; node < 2; ++node) {
    const auto code = nodes[node]->wait_for(std::chrono::seconds(60));
    INFO(read_file(dir / ("err" + std::to_string(node))));
    REQUIRE(code.has_value());
    CHECK(*code == 0);
  }
  for (int rank = 0; rank < 4; ++rank) {
    const auto env = parse_env_file(dir / ("env_" + std::to_string(rank)));
    CHECK(env.at("RANK") == std::to_string(rank));
    CHECK(env.at("LOCAL_RANK") == std::to_string(rank % 2));
    CHECK(env.at("WORLD_SIZE") == "4");
    CHECK(env.at("LOCAL_WORLD_SIZE") == "2");
    CHECK(env.at("NODE_RANK") == std::to_string(rank / 2));
    CHECK(env.at("GROUP_WORLD_SIZE") == "2");
    CHECK(env.at("MASTER_ADDR") == "127.0.0.1");
    CHECK(env.at("MASTER_PORT") == std::to_string(std::stoi(port)));
  }
  CHECK(read_file(dir / "err1").find("Azure ML") != std::string::npos);
}
