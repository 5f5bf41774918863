#include "launcher/remote_command.hpp"

#include <algorithm>

#include <doctest/doctest.h>

#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

using namespace dlaunch::launcher;
using dlaunch::testing::TempDir;
using dlaunch::testing::write_file;

namespace {

struct Fixture {
  TempDir dir;
  Environment env = {{"HOME", "/nonexistent-home"}};
  Options options;
  FanoutPlan plan;

  explicit Fixture(std::vector<std::string> args, std::string hosts = "a slots=2\nb slots=2\n") {
    write_file(dir / "hosts", hosts);
    std::vector<std::string> argv = {"--hostfile", (dir / "hosts").string(), "--rdzv_id", "r1"};
    argv.insert(argv.end(), args.begin(), args.end());
    options = parse_options(argv, env);
    plan = make_fanout_plan(options, env, dir.path().string());
  }
};

// The words `sh -c command` hands to its last program, and that program's environment: the
// remote dlaunch replaced by a script that records both.
struct Received {
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string pwd;
};

Received run_remote(Fixture& f, const RemoteNode& node) {
  write_file(f.dir / "fake_dlaunch",
             "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$0.args\"\nenv > \"$0.env\"\npwd > \"$0.pwd\"\n",
             /*executable=*/true);
  f.plan.remote_bin = (f.dir / "fake_dlaunch").string();
  const auto command = remote_shell_command(f.options, f.plan, node);
  // As sshd runs it: the login shell with -c and an environment of its own.
  const auto result =
      dlaunch::testing::run({"/usr/bin/env", "-i", "PATH=/usr/bin:/bin", "/bin/sh", "-c", command});
  REQUIRE(result.exit_code == 0);
  return {dlaunch::testing::read_lines(f.dir / "fake_dlaunch.args"),
          dlaunch::testing::read_lines(f.dir / "fake_dlaunch.env"),
          dlaunch::testing::read_file(f.dir / "fake_dlaunch.pwd")};
}

bool has(const std::vector<std::string>& lines, const std::string& line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

}  // namespace

TEST_CASE("remote command: the node's place in the job, then the program verbatim") {
  Fixture f({"--nproc_per_node", "2", "train.py", "--lr", "0.1"});
  const auto argv = remote_dlaunch_argv(f.options, f.plan, f.plan.nodes[1]);
  // clang-format off
  const std::vector<std::string> expected = {
      "dlaunch", "--nnodes", "2", "--node_rank", "1", "--nproc_per_node", "2", "--master_addr", "a",
      "--master_port", "6105", "--rdzv_id", "r1", "--local_addr", "b", "--stdin_control",
      "train.py", "--lr", "0.1"};
  // clang-format on
  CHECK(argv == expected);
}

TEST_CASE("remote command: every option the local command line set goes along") {
  // clang-format off
  Fixture f({"--max_restarts", "2", "--shutdown_timeout", "2.5", "--monitor_interval", "0.5",
             "--start_method", "fork", "--role", "trainer", "--use_env", "-m", "--log_dir",
             "/var/log/job", "--redirects", "0:1,1:3", "--tee", "2", "--local_ranks_filter", "0",
             "--rdzv_backend", "static", "--rdzv_conf", "join_timeout=9,a=b", "--env",
             "K=a b", "--env", "K2='q'", "pkg.train", "x"});
  const auto argv = remote_dlaunch_argv(f.options, f.plan, f.plan.nodes[0]);
  const std::vector<std::string> expected = {
      "dlaunch", "--nnodes", "2", "--node_rank", "0", "--nproc_per_node", "2", "--master_addr", "a",
      "--master_port", "6105", "--rdzv_id", "r1", "--local_addr", "a", "--stdin_control",
      "--rdzv_backend", "static", "--rdzv_conf", "a=b,join_timeout=9", "--max_restarts", "2",
      "--monitor_interval", "0.5", "--start_method", "fork", "--shutdown_timeout", "2.5",
      "--role", "trainer", "--use_env", "--module", "--log_dir", "/var/log/job", "--redirects",
      "0:1,1:3", "--tee", "2", "--local_ranks_filter", "0", "--env", "K=a b", "--env", "K2='q'",
      "pkg.train", "x"};
  // clang-format on
  CHECK(argv == expected);
  // Read back by the remote dlaunch's own parser, it means the same.
  const auto remote = parse_options({argv.begin() + 1, argv.end()}, {});
  CHECK(remote.max_restarts == 2);
  CHECK(remote.shutdown_timeout == 2.5);
  CHECK(remote.redirects == f.options.redirects);
  CHECK(remote.tee == f.options.tee);
  CHECK(remote.local_ranks_filter == f.options.local_ranks_filter);
  CHECK(remote.rdzv_conf == f.options.rdzv_conf);
  CHECK(remote.extra_env == f.options.extra_env);
  CHECK(remote.module);
  CHECK(remote.stdin_control);
  CHECK(remote.program == "pkg.train");
}

TEST_CASE("remote command: a login shell delivers words and environment byte for byte") {
  Fixture f({"--nproc_per_node", "2", "--no_python", "/bin/prog", "two words", "it's", "$HOME", "",
             "`id`", "a\\b", "*"});
  f.plan.env = {{"NCCL_SOCKET_IFNAME", "^docker0,lo", "environment"},
                {"TRICKY", "it's \"q\" $x `y` \\ ;|&", ".dlaunch_env:1"},
                {"EMPTY", "", "environment"}};
  f.plan.remote_dir = (f.dir / "dir with space").string();
  std::filesystem::create_directories(f.plan.remote_dir);
  const auto got = run_remote(f, f.plan.nodes[1]);
  const auto argv = remote_dlaunch_argv(f.options, f.plan, f.plan.nodes[1]);
  CHECK(got.argv == std::vector<std::string>(argv.begin() + 1, argv.end()));
  CHECK(has(got.env, "NCCL_SOCKET_IFNAME=^docker0,lo"));
  CHECK(has(got.env, "TRICKY=it's \"q\" $x `y` \\ ;|&"));
  CHECK(has(got.env, "EMPTY="));
  CHECK(got.pwd == f.plan.remote_dir + "\n");
}

TEST_CASE("remote command: picked devices and the job token travel in the environment") {
  Fixture f({"--include", "a:1@b:0", "--rdzv_token", "s3cret", "--no_python", "/bin/prog"});
  const auto command = remote_shell_command(f.options, f.plan, f.plan.nodes[0]);
  CHECK(command.find("s3cret") != std::string::npos);
  const auto got = run_remote(f, f.plan.nodes[0]);
  CHECK(has(got.env, "CUDA_VISIBLE_DEVICES=1"));
  CHECK(has(got.env, "DLAUNCH_RDZV_TOKEN=s3cret"));
  // On the remote command line only as the environment, not as an option.
  CHECK_FALSE(has(got.argv, "--rdzv_token"));
  CHECK_FALSE(has(got.argv, "s3cret"));
}

TEST_CASE("remote command: a program that looks like an option is put after --") {
  Fixture f({"--no_python", "--", "-weird", "x"});
  const auto argv = remote_dlaunch_argv(f.options, f.plan, f.plan.nodes[0]);
  REQUIRE(argv.size() >= 3);
  CHECK(std::vector<std::string>(argv.end() - 3, argv.end()) ==
        std::vector<std::string>{"--", "-weird", "x"});
}

TEST_CASE("remote command: the preflight and the ssh argv") {
  Fixture f({"--remote_dir", "/my dir", "--ssh_cmd", "ssh -p 2222", "train.py"});
  f.plan.remote_bin = "/opt/d launch";
  CHECK(preflight_command(f.plan) == "cd '/my dir' || exit 96; exec '/opt/d launch' --version");
  CHECK(ssh_command(f.plan, f.plan.nodes[1], "true") ==
        std::vector<std::string>{"ssh", "-p", "2222", "-o", "ServerAliveInterval=5", "-o",
                                 "ServerAliveCountMax=3", "b", "true"});
}
