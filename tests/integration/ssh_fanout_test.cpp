// dlaunch --hostfile for real: three hosts in network namespaces, each with its own sshd, the
// launching dlaunch on host 1 (as a user on node 0 would type it). Workers are shell scripts;
// the namespaces share the filesystem, so workers on every host write into one directory, and
// the pid space, so /proc shows every host's processes: DLAUNCH_TEST_MARK (which travels, as
// every DLAUNCH_* variable does) marks the local dlaunch, its ssh clients, the remote agents
// and their workers alike.
#include <signal.h>

#include <algorithm>

#include <doctest/doctest.h>

#include "tests/support/ssh_hosts.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

using namespace dlaunch::testing;

namespace {

std::string dlaunch_bin() {
  return build_path("launcher/dlaunch").string();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

int count_of(const std::string& text, const std::string& part) {
  int n = 0;
  for (auto pos = text.find(part); pos != std::string::npos; pos = text.find(part, pos + 1)) ++n;
  return n;
}

// A job of 3 hosts x 2 workers launched from host 1 in `dir`.
struct Job {
  SshHosts hosts{3};
  TempDir dir;
  std::string mark;

  explicit Job(const std::string& name) : mark(name + "-" + std::to_string(::getpid())) {
    write_file(dir / "hosts", "# three test hosts\n" + hosts.address(1) + " slots=2\n" +
                                  hosts.address(2) + "\n" + hosts.address(3) +
                                  " slots=2   # the last one\n");
  }

  std::vector<std::string> argv(const std::vector<std::string>& extra,
                                const std::vector<std::string>& program,
                                int connect_timeout = 2) const {
    std::vector<std::string> args = {dlaunch_bin(),
                                     "--hostfile",
                                     "hosts",
                                     "--nproc_per_node",
                                     "2",
                                     "--ssh_cmd",
                                     hosts.ssh_cmd(connect_timeout),
                                     "--shutdown_timeout",
                                     "5",
                                     "--env",
                                     "OUT=" + dir.path().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), program.begin(), program.end());
    return hosts.net().on_host(1, args);
  }

  std::map<std::string, std::string> env() const {
    return {{"DLAUNCH_TEST_MARK", mark}, {"DLAUNCH_REMOTE_BIN", dlaunch_bin()}};
  }

  bool all_exist(const std::string& prefix) const {
    for (int rank = 0; rank < 6; ++rank) {
      if (!std::filesystem::exists(dir / (prefix + std::to_string(rank)))) return false;
    }
    return true;
  }

  bool clean() const {
    return eventually([&] { return pids_with_env("DLAUNCH_TEST_MARK", mark).empty(); },
                      std::chrono::seconds(10));
  }
};

std::vector<std::string> shell_worker(const std::string& script) {
  return {"--no_python", "/bin/sh", "-c", script};
}

}  // namespace

TEST_CASE("ssh fan-out: 3 hosts x 2 workers get their ranks, their host and the environment") {
  REQUIRE(can_run_sshd());
  Job job("ssh-env");
  // The file wins over the environment; quotes around a value are dropped.
  write_file(job.dir / ".dlaunch_env",
             "# sent to every host\nFROM_FILE='from the file'\nexport NCCL_DEBUG=WARN\n");
  const std::string tricky = "it's \"quoted\" $HOME `uname` \\ ; & | * ~";
  auto env = job.env();
  env.insert({{"NCCL_DEBUG", "INFO"},
              {"OMP_NUM_THREADS", "3"},
              {"NOT_SENT", "local only"},
              {"CUDA_VISIBLE_DEVICES", "7"}});
  const auto result = run(
      job.argv({"--env", "TRICKY=" + tricky},
               shell_worker(
                   "env > \"$OUT/env_$RANK\"; printf '%s\\n' \"$@\" > \"$OUT/argv_$RANK\"; "
                   "readlink /proc/self/ns/net > \"$OUT/ns_$RANK\"; echo \"hello from $RANK\"")),
      env, job.dir.path(), std::chrono::seconds(60));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  std::vector<std::string> host_ns;
  for (int i = 1; i <= 3; ++i) {
    host_ns.push_back(run(job.hosts.net().on_host(i, {"readlink", "/proc/self/ns/net"})).out);
  }
  const auto run_id = parse_env_file(job.dir / "env_0").at("TORCHELASTIC_RUN_ID");
  for (int rank = 0; rank < 6; ++rank) {
    CAPTURE(rank);
    const auto worker_env = parse_env_file(job.dir / ("env_" + std::to_string(rank)));
    CHECK(worker_env.at("RANK") == std::to_string(rank));
    CHECK(worker_env.at("LOCAL_RANK") == std::to_string(rank % 2));
    CHECK(worker_env.at("NODE_RANK") == std::to_string(rank / 2));
    CHECK(worker_env.at("GROUP_WORLD_SIZE") == "3");
    CHECK(worker_env.at("WORLD_SIZE") == "6");
    CHECK(worker_env.at("LOCAL_WORLD_SIZE") == "2");
    CHECK(worker_env.at("MASTER_ADDR") == job.hosts.address(1));
    CHECK(worker_env.at("MASTER_PORT") == "6105");
    CHECK(worker_env.at("TORCHELASTIC_RUN_ID") == run_id);
    CHECK(worker_env.at("TRICKY") == tricky);
    CHECK(worker_env.at("FROM_FILE") == "from the file");
    CHECK(worker_env.at("NCCL_DEBUG") == "WARN");
    CHECK(worker_env.at("OMP_NUM_THREADS") == "3");
    CHECK(worker_env.at("DLAUNCH_TEST_MARK") == job.mark);
    CHECK(worker_env.count("NOT_SENT") == 0);
    CHECK(worker_env.count("CUDA_VISIBLE_DEVICES") == 0);
    CHECK(worker_env.at("PWD") == job.dir.path().string());
    // Each worker ran on its own host.
    CHECK(read_file(job.dir / ("ns_" + std::to_string(rank))) == host_ns[rank / 2]);
    CHECK(contains(result.out, "[" + job.hosts.address(rank / 2 + 1) + ":" + std::to_string(rank) +
                                   "]: hello from " + std::to_string(rank) + "\n"));
  }
  CHECK(job.clean());
}

TEST_CASE("ssh fan-out: torch workers on three hosts meet at node 0's store and all_reduce") {
  REQUIRE(can_run_sshd());
  Job job("ssh-torch");
  // Gloo must use the hosts' link, not loopback; PYTHON_EXEC travels as every PYTHON* does.
  write_file(job.dir / ".dlaunch_env", "GLOO_SOCKET_IFNAME=eth0\n");
  auto env = job.env();
  env["PYTHON_EXEC"] = "/usr/bin/python3";
  const std::string include =
      job.hosts.address(1) + ":1@" + job.hosts.address(2) + ":0@" + job.hosts.address(3) + ":1";
  const auto result =
      run(job.argv({"--include", include, "--use_env"},
                   {source_path("tests/integration/workers/allreduce.py").string()}),
          env, job.dir.path(), std::chrono::seconds(120));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  for (int rank = 0; rank < 3; ++rank) {
    CHECK(contains(result.out, "[" + job.hosts.address(rank + 1) + ":" + std::to_string(rank) +
                                   "]: rank " + std::to_string(rank) +
                                   "/3 sum 6.0 expected 6.0\n"));
  }
  CHECK(job.clean());
}

TEST_CASE("ssh fan-out: --include picks hosts and slots, the slots become CUDA_VISIBLE_DEVICES") {
  REQUIRE(can_run_sshd());
  Job job("ssh-include");
  const std::string include = job.hosts.address(3) + ":1@" + job.hosts.address(2) + ":0";
  const auto result =
      run(job.argv({"--include", include},
                   shell_worker("echo \"$CUDA_VISIBLE_DEVICES $NODE_RANK\" > \"$OUT/cvd_$RANK\"")),
          job.env(), job.dir.path(), std::chrono::seconds(60));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  // Hostfile order decides node ranks: host 2 is node 0 and serves the store.
  CHECK(read_file(job.dir / "cvd_0") == "0 0\n");
  CHECK(read_file(job.dir / "cvd_1") == "1 1\n");
  CHECK_FALSE(std::filesystem::exists(job.dir / "cvd_2"));
  CHECK(contains(result.err, "store " + job.hosts.address(2) + ":6105"));
}

TEST_CASE("ssh fan-out: arguments with spaces and quotes reach every worker byte for byte") {
  REQUIRE(can_run_sshd());
  Job job("ssh-args");
  const std::vector<std::string> args = {"two words", "it's", "$HOME", "\"dq\"", "", "a\\b", "*"};
  auto program = shell_worker("printf '%s\\n' \"$@\" > \"$OUT/argv_$RANK\"");
  program.push_back("sh");
  program.insert(program.end(), args.begin(), args.end());
  const auto result =
      run(job.argv({}, program), job.env(), job.dir.path(), std::chrono::seconds(60));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  for (int rank = 0; rank < 6; ++rank) {
    CHECK(read_lines(job.dir / ("argv_" + std::to_string(rank))) == args);
  }
}

TEST_CASE("ssh fan-out: a failure on host 3 stops every host, the exit code is the root cause's") {
  REQUIRE(can_run_sshd());
  Job job("ssh-fail");
  const auto result = run(
      job.argv({}, shell_worker("echo ready > \"$OUT/ready_$RANK\"; "
                                "if [ \"$RANK\" = 5 ]; then sleep 1; exit 7; fi; exec sleep 60")),
      job.env(), job.dir.path(), std::chrono::seconds(60));
  INFO(result.err);
  CHECK(result.exit_code == 7);
  CHECK(result.seconds < 15);
  CHECK(job.all_exist("ready_"));
  // Node 0's job-wide summary comes back tagged and names host 3's rank and address.
  const std::string node0 = "[" + job.hosts.address(1) + "]: ";
  CHECK(contains(result.err, node0 + "Root cause (first observed failure):"));
  CHECK(contains(result.err, node0 + "  host       : "));
  CHECK(contains(result.err, "(" + job.hosts.address(3) + "), node 2"));
  CHECK(contains(result.err, node0 + "  rank       : 5 (local_rank: 1)"));
  CHECK(contains(result.err, "Root cause: in node 0's job-wide summary above, tagged [" +
                                 job.hosts.address(1) + "]"));
  CHECK(job.clean());
}

TEST_CASE("ssh fan-out: SIGINT to the launching dlaunch reaches every worker, nothing is left") {
  REQUIRE(can_run_sshd());
  Job job("ssh-sigint");
  Subprocess launcher(
      job.argv({},
               shell_worker("trap 'echo got > \"$OUT/got_$RANK\"; exit 0' INT TERM; "
                            "echo ready > \"$OUT/ready_$RANK\"; while true; do sleep 0.05; done")),
      job.env(), job.dir / "out", job.dir / "err", job.dir.path());
  REQUIRE(eventually([&] { return job.all_exist("ready_"); }, std::chrono::seconds(20)));
  launcher.signal(SIGINT);
  const auto code = launcher.wait_for(std::chrono::seconds(20));
  INFO(read_file(job.dir / "err"));
  REQUIRE(code.has_value());
  CHECK(*code == 128 + SIGINT);
  // Each worker got SIGINT itself, as under a local dlaunch.
  CHECK(job.all_exist("got_"));
  CHECK(
      contains(read_file(job.dir / "err"), "dlaunch received SIGINT and told every host to stop"));
  CHECK(job.clean());
}

TEST_CASE("ssh fan-out: a second SIGINT makes every host kill its workers at once") {
  REQUIRE(can_run_sshd());
  Job job("ssh-sigint2");  // --shutdown_timeout 5
  Subprocess launcher(
      job.argv({}, shell_worker("trap '' INT TERM; echo ready > \"$OUT/ready_$RANK\"; "
                                "while true; do sleep 0.05; done")),
      job.env(), job.dir / "out", job.dir / "err", job.dir.path());
  REQUIRE(eventually([&] { return job.all_exist("ready_"); }, std::chrono::seconds(20)));
  launcher.signal(SIGINT);
  // The workers ignore it: the job goes on until the grace is over or a second Ctrl-C.
  CHECK_FALSE(launcher.wait_for(std::chrono::milliseconds(500)).has_value());
  const auto second = std::chrono::steady_clock::now();
  launcher.signal(SIGINT);
  const auto code = launcher.wait_for(std::chrono::seconds(20));
  INFO(read_file(job.dir / "err"));
  REQUIRE(code.has_value());
  CHECK(*code == 128 + SIGINT);
  CHECK(std::chrono::steady_clock::now() - second < std::chrono::seconds(3));
  CHECK(job.clean());
}

TEST_CASE("ssh fan-out: kill -9 of the launching dlaunch stops every remote agent and worker") {
  REQUIRE(can_run_sshd());
  Job job("ssh-kill9");
  Subprocess launcher(
      job.argv({}, shell_worker("echo ready > \"$OUT/ready_$RANK\"; exec sleep 60")), job.env(),
      job.dir / "out", job.dir / "err", job.dir.path());
  REQUIRE(eventually([&] { return job.all_exist("ready_"); }, std::chrono::seconds(20)));
  launcher.signal(SIGKILL);
  launcher.wait_for(std::chrono::seconds(5));
  CHECK(job.clean());
}

TEST_CASE("ssh fan-out: a host lost mid-run is a failure like any other: every host stops") {
  REQUIRE(can_run_sshd());
  Job job("ssh-lost");
  Subprocess launcher(
      job.argv({}, shell_worker("echo ready > \"$OUT/ready_$RANK\"; exec sleep 60")), job.env(),
      job.dir / "out", job.dir / "err", job.dir.path());
  REQUIRE(eventually([&] { return job.all_exist("ready_"); }, std::chrono::seconds(20)));
  job.hosts.net().set_link(3, false);
  const auto code = launcher.wait_for(std::chrono::seconds(20));
  INFO(read_file(job.dir / "err"));
  REQUIRE(code.has_value());
  CHECK(*code == 255);
  CHECK(contains(read_file(job.dir / "err"),
                 "Root cause (host lost): " + job.hosts.address(3)));
  // Host 3's sshd drops the silent client, and its agent stops on its own.
  CHECK(job.clean());
}

TEST_CASE("ssh fan-out: unreachable hosts are one error line each, nothing starts anywhere") {
  REQUIRE(can_run_sshd());
  Job job("ssh-unreachable");
  job.hosts.stop_sshd(2);              // refuses connections
  job.hosts.net().set_link(3, false);  // silent: only the connect timeout tells
  const auto result = run(job.argv({}, shell_worker("echo ready > \"$OUT/ready_$RANK\""), 2),
                          job.env(), job.dir.path(), std::chrono::seconds(60));
  INFO(result.err);
  CHECK(result.exit_code == 1);
  CHECK(result.seconds < 2 + 3);
  CHECK(count_of(result.err, "dlaunch: error: host ") == 2);
  CHECK(contains(result.err, "dlaunch: error: host " + job.hosts.address(2) +
                                 " (hosts:3): cannot reach it over ssh: "));
  CHECK(contains(result.err, "dlaunch: error: host " + job.hosts.address(3) +
                                 " (hosts:4): cannot reach it over ssh: "));
  CHECK(contains(result.err, "nothing was started"));
  CHECK_FALSE(std::filesystem::exists(job.dir / "ready_0"));
  CHECK(job.clean());
}

TEST_CASE("ssh fan-out: no dlaunch or no directory on the hosts: one clear line per host") {
  REQUIRE(can_run_sshd());
  Job job("ssh-missing");
  auto env = job.env();
  env["DLAUNCH_REMOTE_BIN"] = "/nonexistent/dlaunch";
  auto result = run(job.argv({}, shell_worker("true")), env, job.dir.path());
  CHECK(result.exit_code == 1);
  CHECK(count_of(result.err, "'/nonexistent/dlaunch' not found there") == 3);

  result = run(job.argv({"--remote_dir", "/nonexistent/dir"}, shell_worker("true")), job.env(),
               job.dir.path());
  CHECK(result.exit_code == 1);
  CHECK(count_of(result.err, "no directory '/nonexistent/dir' there") == 3);
}

TEST_CASE("ssh fan-out: bad usage is one line and exit 2, before any host is contacted") {
  TempDir dir;
  write_file(dir / "hosts", "a slots=2\nb slots=1\n");
  write_file(dir / "bad_hosts", "a slots=2\nb slots=two\n");
  const std::vector<std::vector<std::string>> cases = {
      {"--hostfile", "missing_hosts"},
      {"--hostfile", "bad_hosts"},
      {"--hostfile", "hosts"},  // 2 workers on a, 1 on b
      {"--hostfile", "hosts", "--include", "a:0@b", "--node_rank", "1"},
      {"--hostfile", "hosts", "--include", "c"},
      {"--hostfile", "hosts", "--include", "a:0@b", "--ssh_cmd", "ssh -n"},
      {"--hostfile", "hosts", "--include", "a:0@b", "--ssh_cmd", "ssh -i 'key"},
  };
  for (const auto& args : cases) {
    std::vector<std::string> argv = {dlaunch_bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--ssh_cmd", "/bin/false"});
    argv.insert(argv.end(), {"--no_python", "/bin/true"});
    // A trailing --ssh_cmd would win: put the case's own last when it has one.
    if (std::find(args.begin(), args.end(), "--ssh_cmd") != args.end()) {
      argv.erase(argv.end() - 4, argv.end() - 2);
    }
    const auto result = run(argv, {}, dir.path());
    INFO(result.err);
    CHECK(result.exit_code == 2);
    CHECK(count_of(result.err, "\n") == 1);
    CHECK(result.err.rfind("dlaunch: error: ", 0) == 0);
  }
}
