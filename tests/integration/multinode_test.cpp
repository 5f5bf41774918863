// Several dlaunch agents on loopback, each a "node": static and dynamic ranks, different
// nproc per node, the join timeout, the job token, cross-node fail-fast, signals, and torch
// gloo workers across two agents. The first node binds port 0; the others are told its port.
#include <signal.h>

#include <nlohmann/json.hpp>

#include <doctest/doctest.h>

#include "tests/support/launched_node.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

using namespace dlaunch::testing;
using namespace std::chrono_literals;

namespace {

std::string dlaunch_bin() {
  return build_path("launcher/dlaunch").string();
}

// Fast timeouts for tests: a lost node is noticed within about a second.
const std::string kFastConf = "join_timeout=20,keep_alive_interval=0.2,heartbeat_timeout=1";
// Torch workers load 2 cores for seconds: no need to detect loss quickly there.
const std::string kTorchConf = "join_timeout=60,heartbeat_timeout=3";

std::vector<std::string> static_node(const TempDir& dir, int nnodes, int node_rank, int nproc,
                                     std::uint16_t port, const std::string& script,
                                     std::vector<std::string> extra = {},
                                     const std::string& conf = kFastConf) {
  std::vector<std::string> argv = {dlaunch_bin(),
                                   "--nnodes",
                                   std::to_string(nnodes),
                                   "--node_rank",
                                   std::to_string(node_rank),
                                   "--rdzv_endpoint",
                                   "127.0.0.1:" + std::to_string(port),
                                   "--nproc_per_node",
                                   std::to_string(nproc),
                                   "--rdzv_id",
                                   "job",
                                   "--rdzv_conf",
                                   conf,
                                   "--log_dir",
                                   (dir / ("logs" + std::to_string(node_rank))).string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  for (const auto& word : std::vector<std::string>{"--no_python", "/bin/sh", "-c", script}) {
    argv.push_back(word);
  }
  return argv;
}

}  // namespace

TEST_CASE(
    "multinode: static node ranks with a different nproc on each node (global ranks are prefix "
    "sums)") {
  TempDir dir;
  const std::string script = "env > \"$OUT/env_$RANK\"";
  const std::map<std::string, std::string> env = {{"OUT", dir.path().string()}};
  LaunchedNode node0(static_node(dir, 3, 0, 1, 0, script), env, dir.path(), "n0");
  const auto port = node0.served_port();
  REQUIRE(port != 0);
  LaunchedNode node1(static_node(dir, 3, 1, 3, port, script), env, dir.path(), "n1");
  LaunchedNode node2(static_node(dir, 3, 2, 2, port, script), env, dir.path(), "n2");
  for (auto* node : {&node0, &node1, &node2}) {
    const auto code = node->wait(20s);
    INFO(node->err());
    CHECK(code == 0);
  }
  const int node_of_rank[] = {0, 1, 1, 1, 2, 2};
  const int local_of_rank[] = {0, 0, 1, 2, 0, 1};
  const int nproc_of_node[] = {1, 3, 2};
  for (int rank = 0; rank < 6; ++rank) {
    const auto e = parse_env_file(dir / ("env_" + std::to_string(rank)));
    INFO("rank ", rank);
    CHECK(e.at("RANK") == std::to_string(rank));
    CHECK(e.at("LOCAL_RANK") == std::to_string(local_of_rank[rank]));
    CHECK(e.at("WORLD_SIZE") == "6");
    CHECK(e.at("LOCAL_WORLD_SIZE") == std::to_string(nproc_of_node[node_of_rank[rank]]));
    CHECK(e.at("GROUP_RANK") == std::to_string(node_of_rank[rank]));
    CHECK(e.at("NODE_RANK") == std::to_string(node_of_rank[rank]));
    CHECK(e.at("GROUP_WORLD_SIZE") == "3");
    CHECK(e.at("ROLE_WORLD_SIZE") == "6");
    CHECK(e.at("MASTER_ADDR") == "127.0.0.1");
    CHECK(e.at("MASTER_PORT") == std::to_string(port));
    CHECK(e.at("TORCHELASTIC_RUN_ID") == "job");
    CHECK(e.at("TORCHELASTIC_RESTART_COUNT") == "0");
  }
  const auto summary = nlohmann::json::parse(read_file(dir / "logs0/dlaunch_summary.json"));
  CHECK(summary["status"] == "succeeded");
  CHECK(summary["nodes"].size() == 3);
  CHECK(summary["world_size"] == 6);
  CHECK(summary["attempts"][0]["workers"].size() == 6);
}

TEST_CASE("multinode: dynamic node ranks are the host first then by address then join order") {
  TempDir dir;
  const std::string script =
      "echo \"$GROUP_RANK $RANK $WORLD_SIZE\" > \"$OUT/${NAME}_$LOCAL_RANK\"";
  auto dynamic_node = [&](const std::string& endpoint, const std::string& local_addr,
                          std::vector<std::string> extra) {
    std::vector<std::string> argv = {dlaunch_bin(),
                                     "--nnodes",
                                     "3",
                                     "--rdzv_backend",
                                     "c10d",
                                     "--rdzv_endpoint",
                                     endpoint,
                                     "--rdzv_id",
                                     "dyn",
                                     "--local_addr",
                                     local_addr,
                                     "--nproc_per_node",
                                     "2",
                                     "--log_dir",
                                     (dir / ("logs_" + local_addr)).string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    for (const auto& word : std::vector<std::string>{"--no_python", "/bin/sh", "-c", script}) {
      argv.push_back(word);
    }
    return argv;
  };
  LaunchedNode host(
      dynamic_node("127.0.0.1:0", "127.0.0.9", {"--rdzv_conf", "is_host=1," + kFastConf}),
      {{"OUT", dir.path().string()}, {"NAME", "host"}}, dir.path(), "host");
  const auto port = host.served_port();
  REQUIRE(port != 0);
  const std::string endpoint = "127.0.0.1:" + std::to_string(port);
  // Both see that the endpoint is this machine, find the port taken and join as clients.
  LaunchedNode late(dynamic_node(endpoint, "127.0.0.3", {"--rdzv_conf", kFastConf}),
                    {{"OUT", dir.path().string()}, {"NAME", "b"}}, dir.path(), "b");
  REQUIRE(host.logged("(2 agents here)"));
  LaunchedNode early(dynamic_node(endpoint, "127.0.0.2", {"--rdzv_conf", kFastConf}),
                     {{"OUT", dir.path().string()}, {"NAME", "c"}}, dir.path(), "c");
  for (auto* node : {&host, &late, &early}) {
    const auto code = node->wait(20s);
    INFO(node->err());
    CHECK(code == 0);
  }
  // Ranks by address, not by join order: 127.0.0.2 before 127.0.0.3.
  CHECK(read_file(dir / "host_1") == "0 1 6\n");
  CHECK(read_file(dir / "c_0") == "1 2 6\n");
  CHECK(read_file(dir / "c_1") == "1 3 6\n");
  CHECK(read_file(dir / "b_1") == "2 5 6\n");
}

TEST_CASE(
    "multinode: nodes that never come: one clear error after join_timeout naming how many came") {
  TempDir dir;
  LaunchedNode node0(static_node(dir, 3, 0, 1, 0, "true", {}, "join_timeout=1"), {}, dir.path(),
                     "n0");
  const auto port = node0.served_port();
  REQUIRE(port != 0);
  LaunchedNode node1(static_node(dir, 3, 1, 1, port, "true"), {}, dir.path(), "n1");
  const auto start = std::chrono::steady_clock::now();
  const auto code0 = node0.wait(10s);
  const auto code1 = node1.wait(10s);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  CHECK(code0 == 1);
  CHECK(code1 == 1);
  for (auto* node : {&node0, &node1}) {
    INFO(node->err());
    CHECK(node->err().find("2 of 3 nodes joined") != std::string::npos);
    CHECK(node->err().find("missing node rank 2") != std::string::npos);
  }
}

TEST_CASE(
    "multinode: a wrong job token is refused at once and the right one (from the environment) "
    "joins") {
  TempDir dir;
  LaunchedNode node0(static_node(dir, 2, 0, 1, 0, "true", {"--rdzv_token", "s3cret"}), {},
                     dir.path(), "n0");
  const auto port = node0.served_port();
  REQUIRE(port != 0);
  LaunchedNode intruder(static_node(dir, 2, 1, 1, port, "true", {"--rdzv_token", "guess"}), {},
                        dir.path(), "bad");
  const auto bad_code = intruder.wait(10s);
  CHECK(bad_code == 1);
  CHECK(intruder.err().find("refused this node's job token") != std::string::npos);
  LaunchedNode node1(static_node(dir, 2, 1, 1, port, "true"), {{"DLAUNCH_RDZV_TOKEN", "s3cret"}},
                     dir.path(), "n1");
  CHECK(node1.wait(20s) == 0);
  CHECK(node0.wait(20s) == 0);
  INFO(node0.err());
  CHECK(node0.err().find("wrong job token") != std::string::npos);
}

TEST_CASE(
    "multinode: a worker failing on node 1 stops node 0's workers at once and both exit with its "
    "code") {
  TempDir dir;
  const std::string mark = "multinode-ff-" + std::to_string(::getpid());
  const std::string script = "if [ $RANK = 3 ]; then sleep 0.5; exit 7; fi; exec sleep 60";
  const std::map<std::string, std::string> env = {{"DLAUNCH_TEST_MARK", mark}};
  LaunchedNode node0(static_node(dir, 2, 0, 2, 0, script), env, dir.path(), "n0");
  const auto port = node0.served_port();
  REQUIRE(port != 0);
  LaunchedNode node1(static_node(dir, 2, 1, 2, port, script), env, dir.path(), "n1");
  const auto start = std::chrono::steady_clock::now();
  CHECK(node0.wait(20s) == 7);
  CHECK(node1.wait(20s) == 7);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  INFO(node0.err());
  const std::string err = node0.err();
  CHECK(err.find("Root cause (first observed failure)") != std::string::npos);
  CHECK(err.find("rank       : 3 (local_rank: 1)") != std::string::npos);
  CHECK(err.find("node 1") != std::string::npos);
  CHECK(err.find("Stopped by dlaunch: ranks 0, 1, 2") != std::string::npos);
  const auto summary = nlohmann::json::parse(read_file(dir / "logs0/dlaunch_summary.json"));
  CHECK(summary["exit_code"] == 7);
  CHECK(summary["root_cause"]["rank"] == 3);
  CHECK(summary["root_cause"]["node_rank"] == 1);
  CHECK(pids_with_env("DLAUNCH_TEST_MARK", mark).empty());
}

TEST_CASE("multinode: SIGTERM to one node's dlaunch stops the whole job and every node exits 143") {
  TempDir dir;
  const std::string script = "echo up > \"$OUT/up_$RANK\"; exec sleep 60";
  const std::map<std::string, std::string> env = {{"OUT", dir.path().string()}};
  LaunchedNode node0(static_node(dir, 2, 0, 1, 0, script), env, dir.path(), "n0");
  const auto port = node0.served_port();
  REQUIRE(port != 0);
  LaunchedNode node1(static_node(dir, 2, 1, 1, port, script), env, dir.path(), "n1");
  REQUIRE(eventually([&] { return std::filesystem::exists(dir / "up_1"); }, 10s));
  node1.signal(SIGTERM);
  CHECK(node1.wait(10s) == 143);
  CHECK(node0.wait(10s) == 143);
  CHECK(node0.err().find("received SIGTERM") != std::string::npos);
}

TEST_CASE("multinode: torch 1.13 gloo all_reduce across 2 agents x 2 workers") {
  TempDir dir;
  auto torch_node = [&](int node_rank, std::uint16_t port) {
    return std::vector<std::string>{dlaunch_bin(),
                                    "--nnodes",
                                    "2",
                                    "--node_rank",
                                    std::to_string(node_rank),
                                    "--rdzv_endpoint",
                                    "127.0.0.1:" + std::to_string(port),
                                    "--nproc_per_node",
                                    "2",
                                    "--rdzv_conf",
                                    kTorchConf,
                                    "--log_dir",
                                    (dir / ("logs" + std::to_string(node_rank))).string(),
                                    "--use_env",
                                    source_path("tests/integration/workers/allreduce.py").string()};
  };
  const std::map<std::string, std::string> env = {{"PYTHON_EXEC", "/usr/bin/python3"}};
  LaunchedNode node0(torch_node(0, 0), env, dir.path(), "n0");
  const auto port = node0.served_port();
  REQUIRE(port != 0);
  LaunchedNode node1(torch_node(1, port), env, dir.path(), "n1");
  const auto code1 = node1.wait(120s);
  const auto code0 = node0.wait(120s);
  INFO(node0.err(), node1.err());
  CHECK(code0 == 0);
  CHECK(code1 == 0);
  const std::string out = node0.out() + node1.out();
  for (int rank = 0; rank < 4; ++rank) {
    CHECK(out.find("[" + std::to_string(rank) + "]: rank " + std::to_string(rank) +
                   "/4 sum 10.0 expected 10.0") != std::string::npos);
  }
}

TEST_CASE(
    "multinode: node 0 finishing first keeps the store up until node 1 is done (exit barrier)") {
  TempDir dir;
  const std::string ping = source_path("tests/integration/workers/store_ping.py").string();
  // Node 1's worker still needs the store a second after node 0's worker is gone.
  const std::string script = "if [ $GROUP_RANK = 1 ]; then sleep 1; exec /usr/bin/python3 " + ping +
                             " $MASTER_ADDR $MASTER_PORT; fi";
  LaunchedNode node0(static_node(dir, 2, 0, 1, 0, script), {}, dir.path(), "n0");
  const auto port = node0.served_port();
  REQUIRE(port != 0);
  LaunchedNode node1(static_node(dir, 2, 1, 1, port, script), {}, dir.path(), "n1");
  const auto code1 = node1.wait(20s);
  INFO(node1.out(), node1.err());
  CHECK(code1 == 0);
  CHECK(node1.out().find("[1]: answered") != std::string::npos);
  CHECK(node0.wait(20s) == 0);
}

TEST_CASE("multinode: exit_barrier_timeout bounds how long finished nodes wait for the others") {
  TempDir dir;
  const std::string mark = "multinode-barrier-" + std::to_string(::getpid());
  const std::string script = "if [ $GROUP_RANK = 1 ]; then exec sleep 60; fi";
  const std::string conf = kFastConf + ",exit_barrier_timeout=0.5";
  const std::map<std::string, std::string> env = {{"DLAUNCH_TEST_MARK", mark}};
  LaunchedNode node0(static_node(dir, 2, 0, 1, 0, script, {}, conf), env, dir.path(), "n0");
  const auto port = node0.served_port();
  REQUIRE(port != 0);
  LaunchedNode node1(static_node(dir, 2, 1, 1, port, script, {}, conf), env, dir.path(), "n1");
  CHECK(node0.wait(10s) == 1);
  CHECK(node1.wait(10s) == 1);
  INFO(node0.err());
  CHECK(node0.err().find("node 1 (127.0.0.1) still running 0.5 s after node 0") !=
        std::string::npos);
  CHECK(pids_with_env("DLAUNCH_TEST_MARK", mark).empty());
}

TEST_CASE("multinode: a node started with another --nnodes is refused with one clear line") {
  TempDir dir;
  LaunchedNode node0(static_node(dir, 2, 0, 1, 0, "true", {}, "join_timeout=2"), {}, dir.path(),
                     "n0");
  const auto port = node0.served_port();
  REQUIRE(port != 0);
  LaunchedNode node1(static_node(dir, 3, 1, 1, port, "true"), {}, dir.path(), "n1");
  CHECK(node1.wait(10s) == 1);
  INFO(node1.err());
  CHECK(node1.err().find("refused this node: this job runs --nnodes 2, this node says 3") !=
        std::string::npos);
  CHECK(node0.wait(10s) == 1);
}

TEST_CASE("multinode: SIGTERM while waiting for the rendezvous leaves it at once") {
  TempDir dir;
  LaunchedNode node0(static_node(dir, 3, 0, 1, 0, "true"), {}, dir.path(), "n0");
  const auto port = node0.served_port();
  REQUIRE(port != 0);
  LaunchedNode node1(static_node(dir, 3, 1, 1, port, "true"), {}, dir.path(), "n1");
  REQUIRE(node0.logged("(2 agents here)"));
  node1.signal(SIGTERM);
  CHECK(node1.wait(5s) == 143);
  CHECK(node0.logged(") left: "));  // its goodbye, or its connection closing first
  node0.signal(SIGTERM);
  CHECK(node0.wait(5s) == 143);
  INFO(node0.err());
  CHECK(node0.err().find("the rendezvous host received SIGTERM") != std::string::npos);
}
