#include "launcher/fanout_plan.hpp"

#include <doctest/doctest.h>

#include "tests/support/temp_dir.hpp"

using namespace dlaunch::launcher;
using dlaunch::testing::TempDir;
using dlaunch::testing::write_file;

namespace {

struct Fixture {
  TempDir dir;
  Environment env = {{"HOME", "/nonexistent-home"}};

  Fixture() {
    write_file(dir / "hosts", "node-a slots=4\nnode-b slots=4\n# spare\nnode-c slots=4\n");
  }

  FanoutPlan plan(std::vector<std::string> args) const {
    std::vector<std::string> argv = {"--hostfile", (dir / "hosts").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("train.py");
    return make_fanout_plan(parse_options(argv, env), env, dir.path().string());
  }
};

}  // namespace

TEST_CASE("fanout plan: hosts in hostfile order, node ranks, ranks and the store on the first") {
  Fixture f;
  const auto plan = f.plan({});
  REQUIRE(plan.nodes.size() == 3);
  CHECK(plan.nodes[0] == RemoteNode{"node-a", 1, 0, 4, 0, ""});
  CHECK(plan.nodes[1] == RemoteNode{"node-b", 2, 1, 4, 4, ""});
  CHECK(plan.nodes[2] == RemoteNode{"node-c", 4, 2, 4, 8, ""});
  CHECK(plan.world_size == 12);
  CHECK(plan.master_addr == "node-a");
  CHECK(plan.master_port == 6105);
  CHECK(plan.run_id.size() == 12);
  CHECK(plan.remote_bin == "dlaunch");
  CHECK(plan.remote_dir == f.dir.path().string());
  CHECK(plan.ssh_argv ==
        std::vector<std::string>{"ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o",
                                 "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3"});
  CHECK(plan.warnings.empty());
  CHECK(f.plan({}).run_id != plan.run_id);
}

TEST_CASE("fanout plan: flags and variables that change it") {
  Fixture f;
  f.env["DLAUNCH_REMOTE_BIN"] = "/opt/dlaunch/bin/dlaunch";
  f.env["NCCL_DEBUG"] = "INFO";
  const auto plan = f.plan({"--master_addr", "10.0.0.1", "--master_port", "29500", "--rdzv_id",
                            "job-7", "--remote_dir", "/shared/job", "--ssh_cmd",
                            "ssh -p 2222 -o ServerAliveInterval=30 -i '/k/my key'"});
  CHECK(plan.master_addr == "10.0.0.1");
  CHECK(plan.master_port == 29500);
  CHECK(plan.run_id == "job-7");
  CHECK(plan.remote_dir == "/shared/job");
  CHECK(plan.remote_bin == "/opt/dlaunch/bin/dlaunch");
  // The user's keep-alive stands; nothing is added.
  CHECK(plan.ssh_argv == std::vector<std::string>{"ssh", "-p", "2222", "-o",
                                                  "ServerAliveInterval=30", "-i", "/k/my key"});
  REQUIRE(plan.env.size() == 2);
  CHECK(plan.env[0].name == "DLAUNCH_REMOTE_BIN");
  CHECK(plan.env[1] == ForwardedVar{"NCCL_DEBUG", "INFO", "environment"});
  // Not ssh: no ssh options are added to someone else's command.
  CHECK(f.plan({"--ssh_cmd", "/usr/local/bin/my-rsh --fast"}).ssh_argv ==
        std::vector<std::string>{"/usr/local/bin/my-rsh", "--fast"});
}

TEST_CASE("fanout plan: --include/--exclude pick hosts and devices") {
  Fixture f;
  auto plan = f.plan({"--include", "node-c:1,3@node-a:0,2"});
  REQUIRE(plan.nodes.size() == 2);
  CHECK(plan.nodes[0] == RemoteNode{"node-a", 1, 0, 2, 0, "0,2"});
  CHECK(plan.nodes[1] == RemoteNode{"node-c", 4, 1, 2, 2, "1,3"});
  CHECK(plan.master_addr == "node-a");
  plan = f.plan({"--exclude", "node-a"});
  REQUIRE(plan.nodes.size() == 2);
  CHECK(plan.nodes[0] == RemoteNode{"node-b", 2, 0, 4, 0, ""});
  CHECK(plan.master_addr == "node-b");
}

TEST_CASE("fanout plan: slots default to --nproc_per_node") {
  Fixture f;
  write_file(f.dir / "hosts", "a\nb\n");
  const auto plan = f.plan({"--nproc_per_node", "3"});
  CHECK(plan.nodes[1] == RemoteNode{"b", 2, 1, 3, 3, ""});
  CHECK(plan.world_size == 6);
}

TEST_CASE("fanout plan: bad usage is one clear error before any ssh") {
  Fixture f;
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{"--standalone"}, "--standalone runs one node on its own"},
      {{"--nnodes", "1:3"}, "elastic node counts are not supported with --hostfile"},
      {{"--nnodes", "2"}, "--nnodes 2 but"},
      {{"--node_rank", "1"}, "--node_rank cannot be combined with --hostfile"},
      {{"--nproc_per_node", "gpu"}, "--hostfile needs --nproc_per_node as a number"},
      {{"--include", "node-z"}, "node-z"},
      {{"--include", "node-a:0@node-b"},
       "hosts would run different numbers of workers (node-a: 1, node-b: 4)"},
      {{"--ssh_cmd", "ssh -i 'key"}, "--ssh_cmd 'ssh -i 'key': unterminated ' quote"},
      {{"--ssh_cmd", "ssh -n"}, "--ssh_cmd must not use -n"},
      {{"--ssh_cmd", "/usr/bin/ssh -tt"}, "--ssh_cmd must not use -tt: each remote dlaunch"},
      {{"--ssh_cmd", "ssh -f"}, "--ssh_cmd must not use -f"},
  };
  for (const auto& [args, message] : cases) {
    CAPTURE(args.front());
    CHECK_THROWS_WITH_AS(f.plan(args), doctest::Contains(message.c_str()), UsageError);
  }
  write_file(f.dir / "hosts", "a\n-oProxyJump slots=1\n");
  CHECK_THROWS_WITH_AS(f.plan({}), doctest::Contains(":2: host '-oProxyJump' starts with '-'"),
                       UsageError);
  write_file(f.dir / "hosts", "a slots=x\n");
  CHECK_THROWS_WITH_AS(f.plan({}), doctest::Contains("hosts:1: slots= needs"), UsageError);
  std::filesystem::remove(f.dir / "hosts");
  CHECK_THROWS_WITH_AS(f.plan({}), doctest::Contains("cannot read hostfile"), UsageError);
}

TEST_CASE("fanout plan: PET_ values meant for one node are ignored with a warning") {
  Fixture f;
  f.env["PET_NODE_RANK"] = "1";
  f.env["PET_NNODES"] = "2";
  const auto plan = f.plan({});
  CHECK(plan.nodes.size() == 3);
  REQUIRE(plan.warnings.size() == 2);
  CHECK(plan.warnings[0].find("PET_NNODES: --nnodes 2 but") == 0);
  CHECK(plan.warnings[1].find("PET_NODE_RANK is ignored") == 0);
}
