// Three hosts in network namespaces (own addresses on a private bridge; as root): torch gloo
// across hosts, a worker or a whole agent killed on host 3, host 3's link cut, node 0's agent
// killed, elastic 2 -> 3 and 3 -> 2 nodes, the job-wide restart budget, the token's peer
// filter. Host i runs node i-1; node 0 serves on host 1's address.
#include <signal.h>

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tests/support/launched_node.hpp"
#include "tests/support/netns.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

using namespace dlaunch::testing;
using namespace std::chrono_literals;

namespace {

constexpr int kPort = 29500;
const std::string kFastConf = "join_timeout=20,keep_alive_interval=0.2,heartbeat_timeout=1";

std::string dlaunch_bin() {
  return build_path("launcher/dlaunch").string();
}

struct Job {
  NetnsHosts hosts{3};
  TempDir dir;
  std::string mark = "hosts-" + std::to_string(::getpid()) + "-" + std::to_string(serial++);
  std::vector<std::unique_ptr<LaunchedNode>> nodes;  // by host, from index 1
  static inline int serial = 0;

  Job() { nodes.resize(4); }

  std::string endpoint() const { return hosts.address(1) + ":" + std::to_string(kPort); }

  // dlaunch on host `i` with `flags` before the worker command.
  LaunchedNode& start(int i, std::vector<std::string> flags,
                      const std::vector<std::string>& command,
                      std::map<std::string, std::string> env = {}) {
    std::vector<std::string> argv = {dlaunch_bin()};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.push_back("--log_dir");
    argv.push_back((dir / ("logs" + std::to_string(i))).string());
    argv.insert(argv.end(), command.begin(), command.end());
    env["DLAUNCH_TEST_MARK"] = mark;
    env["OUT"] = dir.path().string();
    env["GLOO_SOCKET_IFNAME"] = "eth0";
    nodes[i] = std::make_unique<LaunchedNode>(hosts.on_host(i, argv), env, dir.path(),
                                              "h" + std::to_string(i));
    return *nodes[i];
  }

  // Static: host i is node i-1.
  LaunchedNode& start_static(int i, int nproc, const std::string& script,
                             std::vector<std::string> extra = {}) {
    std::vector<std::string> flags = {"--nnodes",         "3",
                                      "--node_rank",      std::to_string(i - 1),
                                      "--master_addr",    hosts.address(1),
                                      "--master_port",    std::to_string(kPort),
                                      "--nproc_per_node", std::to_string(nproc),
                                      "--rdzv_conf",      kFastConf};
    flags.insert(flags.end(), extra.begin(), extra.end());
    return start(i, flags, {"--no_python", "/bin/sh", "-c", script});
  }

  LaunchedNode& start_elastic(int i, const std::string& range, const std::string& script) {
    return start(
        i,
        {"--nnodes", range, "--rdzv_backend", "c10d", "--rdzv_endpoint", endpoint(), "--rdzv_id",
         "elastic", "--nproc_per_node", "2", "--rdzv_conf", kFastConf + ",last_call_timeout=0.5"},
        {"--no_python", "/bin/sh", "-c", script});
  }

  bool files_exist(const std::vector<std::string>& names, std::chrono::milliseconds timeout) {
    return eventually(
        [&] {
          for (const auto& name : names) {
            if (!std::filesystem::exists(dir / name)) return false;
          }
          return true;
        },
        timeout);
  }

  bool no_worker_left() {
    return eventually([&] { return pids_with_env("DLAUNCH_TEST_MARK", mark).empty(); }, 5s);
  }
};

// Sleeps until stopped; says it is up with its pid.
const std::string kSleeper = "echo $$ > \"$OUT/pid_$RANK\"; exec sleep 60";

}  // namespace

TEST_CASE("hosts: torch gloo all_reduce across 3 hosts x 2 workers") {
  REQUIRE(can_make_netns());
  Job job;
  for (int i = 1; i <= 3; ++i) {
    job.start(i,
              {"--nnodes", "3", "--node_rank", std::to_string(i - 1), "--master_addr",
               job.hosts.address(1), "--master_port", std::to_string(kPort), "--nproc_per_node",
               "2", "--rdzv_conf", "join_timeout=60,heartbeat_timeout=3", "--use_env"},
              {source_path("tests/integration/workers/allreduce.py").string()},
              {{"PYTHON_EXEC", "/usr/bin/python3"}});
  }
  std::string out;
  for (int i = 1; i <= 3; ++i) {
    const auto code = job.nodes[i]->wait(120s);
    INFO("host ", i, ": ", job.nodes[i]->err());
    CHECK(code == 0);
    out += job.nodes[i]->out();
  }
  for (int rank = 0; rank < 6; ++rank) {
    CHECK(out.find("[" + std::to_string(rank) + "]: rank " + std::to_string(rank) +
                   "/6 sum 21.0 expected 21.0") != std::string::npos);
  }
}

TEST_CASE(
    "hosts: kill -9 of a worker on host 3 stops every host and node 0 names its rank and address") {
  REQUIRE(can_make_netns());
  Job job;
  for (int i = 1; i <= 3; ++i) job.start_static(i, 2, kSleeper);
  REQUIRE(job.files_exist({"pid_0", "pid_1", "pid_2", "pid_3", "pid_4", "pid_5"}, 20s));
  const auto start = std::chrono::steady_clock::now();
  ::kill(std::stoi(read_file(job.dir / "pid_5")), SIGKILL);
  for (int i = 1; i <= 3; ++i) {
    const auto code = job.nodes[i]->wait(10s);
    INFO("host ", i, ": ", job.nodes[i]->err());
    CHECK(code == 137);
  }
  CHECK(std::chrono::steady_clock::now() - start < 3s);
  const std::string err = job.nodes[1]->err();
  INFO(err);
  CHECK(err.find("Root cause (first observed failure)") != std::string::npos);
  CHECK(err.find("rank       : 5 (local_rank: 1)") != std::string::npos);
  CHECK(err.find(job.hosts.address(3) + "), node 2") != std::string::npos);
  CHECK(err.find("signal 9 (SIGKILL)") != std::string::npos);
  const auto summary = nlohmann::json::parse(read_file(job.dir / "logs1/dlaunch_summary.json"));
  CHECK(summary["root_cause"]["rank"] == 5);
  CHECK(summary["root_cause"]["host"].get<std::string>().find(job.hosts.address(3)) !=
        std::string::npos);
  CHECK(job.no_worker_left());
}

TEST_CASE("hosts: kill -9 of host 3's agent is noticed at once and every host stops") {
  REQUIRE(can_make_netns());
  Job job;
  for (int i = 1; i <= 3; ++i) job.start_static(i, 1, kSleeper);
  REQUIRE(job.files_exist({"pid_0", "pid_1", "pid_2"}, 20s));
  const auto start = std::chrono::steady_clock::now();
  job.nodes[3]->signal(SIGKILL);
  CHECK(job.nodes[1]->wait(10s) == 1);
  CHECK(job.nodes[2]->wait(10s) == 1);
  CHECK(std::chrono::steady_clock::now() - start < 3s);
  const std::string err = job.nodes[1]->err();
  INFO(err);
  CHECK(err.find("node 2 (") != std::string::npos);
  CHECK(err.find(job.hosts.address(3) + ") was lost") != std::string::npos);
  CHECK(job.no_worker_left());
}

TEST_CASE("hosts: host 3's link cut is detected by heartbeats and every host stops") {
  REQUIRE(can_make_netns());
  Job job;
  for (int i = 1; i <= 3; ++i) job.start_static(i, 1, kSleeper);
  REQUIRE(job.files_exist({"pid_0", "pid_1", "pid_2"}, 20s));
  const auto start = std::chrono::steady_clock::now();
  job.hosts.set_link(3, false);
  for (int i = 1; i <= 3; ++i) {
    const auto code = job.nodes[i]->wait(10s);
    INFO("host ", i, ": ", job.nodes[i]->err());
    CHECK(code == 1);
  }
  // heartbeat_timeout is 1 s here (the default is 2 s).
  CHECK(std::chrono::steady_clock::now() - start < 3s);
  CHECK(job.nodes[1]->err().find(job.hosts.address(3) + ") was lost: no heartbeat") !=
        std::string::npos);
  CHECK(job.nodes[3]->err().find("lost the rendezvous host " + job.endpoint()) !=
        std::string::npos);
  CHECK(job.no_worker_left());
}

TEST_CASE("hosts: node 0's agent killed and the others stop their workers within 3 s") {
  REQUIRE(can_make_netns());
  Job job;
  for (int i = 1; i <= 3; ++i) job.start_static(i, 1, kSleeper);
  REQUIRE(job.files_exist({"pid_0", "pid_1", "pid_2"}, 20s));
  const auto start = std::chrono::steady_clock::now();
  job.nodes[1]->signal(SIGKILL);
  for (int i = 2; i <= 3; ++i) {
    const auto code = job.nodes[i]->wait(10s);
    INFO("host ", i, ": ", job.nodes[i]->err());
    CHECK(code == 1);
    CHECK(job.nodes[i]->err().find("lost the rendezvous host " + job.endpoint() + " (node 0)") !=
          std::string::npos);
  }
  CHECK(std::chrono::steady_clock::now() - start < 3s);
  CHECK(job.no_worker_left());
}

TEST_CASE("hosts: elastic 2:3 and a third node joining restarts into the larger world for free") {
  REQUIRE(can_make_netns());
  Job job;
  const std::string script =
      "if [ $GROUP_WORLD_SIZE = 3 ]; then "
      "echo \"$WORLD_SIZE $TORCHELASTIC_RESTART_COUNT\" > \"$OUT/done_$RANK\"; exit 0; fi; "
      "echo up > \"$OUT/up_$RANK\"; exec sleep 60";
  job.start_elastic(1, "2:3", script);
  job.start_elastic(2, "2:3", script);
  REQUIRE(job.files_exist({"up_0", "up_1", "up_2", "up_3"}, 20s));
  job.start_elastic(3, "2:3", script);
  for (int i = 1; i <= 3; ++i) {
    const auto code = job.nodes[i]->wait(20s);
    INFO("host ", i, ": ", job.nodes[i]->err());
    CHECK(code == 0);
  }
  for (int rank = 0; rank < 6; ++rank) {
    CHECK(read_file(job.dir / ("done_" + std::to_string(rank))) == "6 1\n");
  }
  // --max_restarts is 0: a membership change spends nothing.
  const auto summary = nlohmann::json::parse(read_file(job.dir / "logs1/dlaunch_summary.json"));
  CHECK(summary["status"] == "succeeded");
  CHECK(summary["attempts"].size() == 2);
}

TEST_CASE("hosts: elastic 2:3 and losing one of 3 nodes restarts into the smaller world") {
  REQUIRE(can_make_netns());
  Job job;
  const std::string script =
      "if [ $GROUP_WORLD_SIZE = 2 ]; then "
      "echo \"$WORLD_SIZE $TORCHELASTIC_RESTART_COUNT\" > \"$OUT/done_$RANK\"; exit 0; fi; "
      "echo up > \"$OUT/up_$RANK\"; exec sleep 60";
  for (int i = 1; i <= 3; ++i) job.start_elastic(i, "2:3", script);
  REQUIRE(job.files_exist({"up_0", "up_1", "up_2", "up_3", "up_4", "up_5"}, 20s));
  job.nodes[3]->signal(SIGKILL);
  for (int i = 1; i <= 2; ++i) {
    const auto code = job.nodes[i]->wait(20s);
    INFO("host ", i, ": ", job.nodes[i]->err());
    CHECK(code == 0);
  }
  for (int rank = 0; rank < 4; ++rank) {
    CHECK(read_file(job.dir / ("done_" + std::to_string(rank))) == "4 1\n");
  }
  CHECK(job.no_worker_left());
}

TEST_CASE("hosts: one restart budget for the whole job (a failure on host 2 then on host 3)") {
  REQUIRE(can_make_netns());
  Job job;
  const std::string script =
      "echo $TORCHELASTIC_RESTART_COUNT >> \"$OUT/count_$RANK\"; "
      "if [ $TORCHELASTIC_RESTART_COUNT = 0 ] && [ $RANK = 1 ]; then sleep 0.3; exit 3; fi; "
      "if [ $TORCHELASTIC_RESTART_COUNT = 1 ] && [ $RANK = 2 ]; then sleep 0.3; exit 5; fi; "
      "exec sleep 60";
  for (int i = 1; i <= 3; ++i) job.start_static(i, 1, script, {"--max_restarts", "1"});
  for (int i = 1; i <= 3; ++i) {
    const auto code = job.nodes[i]->wait(20s);
    INFO("host ", i, ": ", job.nodes[i]->err());
    CHECK(code == 5);
  }
  // Every node ran attempts 0 and 1 with the same TORCHELASTIC_RESTART_COUNT, and no more.
  for (int rank = 0; rank < 3; ++rank) {
    CHECK(read_file(job.dir / ("count_" + std::to_string(rank))) == "0\n1\n");
  }
  const std::string err = job.nodes[1]->err();
  INFO(err);
  CHECK(err.find("rank       : 2 (local_rank: 0)") != std::string::npos);
  CHECK(err.find("no restarts left: 1 of 1 used") != std::string::npos);
  CHECK(err.find("Attempt 0: rank 1 on") != std::string::npos);
  const auto summary = nlohmann::json::parse(read_file(job.dir / "logs1/dlaunch_summary.json"));
  CHECK(summary["restarts"] == 1);
  CHECK(summary["root_cause"]["rank"] == 2);
  CHECK(job.no_worker_left());
}

TEST_CASE("hosts: with a job token the workers' store takes only joined agents' addresses") {
  REQUIRE(can_make_netns());
  Job job;
  for (int i = 1; i <= 2; ++i) {
    job.start(i,
              {"--nnodes", "2", "--node_rank", std::to_string(i - 1), "--master_addr",
               job.hosts.address(1), "--master_port", std::to_string(kPort), "--rdzv_token",
               "s3cret", "--rdzv_conf", kFastConf},
              {"--no_python", "/bin/sh", "-c", kSleeper});
  }
  REQUIRE(job.files_exist({"pid_0", "pid_1"}, 20s));
  const std::string ping = source_path("tests/integration/workers/store_ping.py").string();
  const std::vector<std::string> argv = {"/usr/bin/python3", ping, job.hosts.address(1),
                                         std::to_string(kPort)};
  CHECK(run(job.hosts.on_host(2, argv)).exit_code == 0);  // a joined agent's host
  CHECK(run(job.hosts.on_host(1, argv)).exit_code == 0);  // the host itself
  const auto stranger = run(job.hosts.on_host(3, argv));
  CHECK(stranger.exit_code == 3);  // host 3 never joined
  job.nodes[1]->signal(SIGTERM);
  CHECK(job.nodes[1]->wait(10s) == 143);
  CHECK(job.nodes[2]->wait(10s) == 143);
}
