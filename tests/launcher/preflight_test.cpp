// The preflight against a stand-in for ssh: a local shell that runs the remote command itself,
// so every path but the network is real. (tests/integration/ssh_fanout_test.cpp uses sshd.)
#include "launcher/preflight.hpp"

#include <doctest/doctest.h>

#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

using namespace dlaunch::launcher;
using dlaunch::testing::TempDir;

namespace {

// "ssh" HOST COMMAND: host "down" fails as ssh does, "slow" never answers.
const std::vector<std::string> kFakeSsh = {
    "/bin/sh", "-c",
    "case \"$1\" in down) echo \"ssh: connect to host $1 port 22: Connection refused\" >&2; "
    "exit 255;; slow) exec sleep 30;; esac; exec /bin/sh -c \"$2\"",
    "fake-ssh"};

FanoutPlan plan_for(const std::vector<std::string>& hosts, const std::string& dir) {
  FanoutPlan plan;
  plan.hostfile = "hosts";
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    plan.nodes.push_back(
        {hosts[i], static_cast<int>(i) + 1, static_cast<int>(i), 1, static_cast<int>(i), ""});
  }
  plan.ssh_argv = kFakeSsh;
  plan.remote_bin = dlaunch::testing::build_path("launcher/dlaunch").string();
  plan.remote_dir = dir;
  return plan;
}

std::vector<std::string> envp() {
  return {"PATH=/usr/bin:/bin"};
}

}  // namespace

TEST_CASE("preflight: every host passes, each with dlaunch's version") {
  TempDir dir;
  const auto results = run_preflight(plan_for({"a", "b", "c"}, dir.path().string()), envp(),
                                     std::chrono::seconds(10));
  REQUIRE(results.size() == 3);
  for (const auto& result : results) {
    CHECK(result.ok);
    CHECK(result.version.rfind("dlaunch ", 0) == 0);
    CHECK(result.problem.empty());
  }
}

TEST_CASE("preflight: each bad host gets its own reason, at once") {
  TempDir dir;
  auto plan = plan_for({"a", "down", "slow"}, dir.path().string());
  const auto start = std::chrono::steady_clock::now();
  const auto results = run_preflight(plan, envp(), std::chrono::seconds(1));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(4));
  REQUIRE(results.size() == 3);
  CHECK(results[0].ok);
  CHECK_FALSE(results[1].ok);
  CHECK(results[1].problem ==
        "cannot reach it over ssh: ssh: connect to host down port 22: Connection refused");
  CHECK(results[1].hostfile_line == 2);
  CHECK_FALSE(results[2].ok);
  CHECK(results[2].problem == "no answer within 1 s");
}

TEST_CASE("preflight: no such directory, no dlaunch, not dlaunch") {
  TempDir dir;
  auto plan = plan_for({"a"}, (dir / "missing").string());
  CHECK(run_preflight(plan, envp(), std::chrono::seconds(10))[0].problem ==
        "no directory '" + (dir / "missing").string() + "' there (choose one with --remote_dir)");
  plan = plan_for({"a"}, dir.path().string());
  plan.remote_bin = "no-such-dlaunch";
  CHECK(run_preflight(plan, envp(), std::chrono::seconds(10))[0].problem ==
        "'no-such-dlaunch' not found there (install dlaunch on its PATH, or set "
        "DLAUNCH_REMOTE_BIN)");
  dlaunch::testing::write_file(dir / "other", "#!/bin/sh\necho \"other 1.0\"\n", true);
  plan.remote_bin = (dir / "other").string();
  CHECK(run_preflight(plan, envp(), std::chrono::seconds(10))[0].problem ==
        "'" + plan.remote_bin + "' --version printed 'other 1.0', not dlaunch's version");
  // A chatty login shell does not hide dlaunch's line.
  dlaunch::testing::write_file(dir / "chatty",
                               "#!/bin/sh\necho 'Welcome!'\nexec " +
                                   dlaunch::testing::build_path("launcher/dlaunch").string() +
                                   " \"$@\"\n",
                               true);
  plan.remote_bin = (dir / "chatty").string();
  CHECK(run_preflight(plan, envp(), std::chrono::seconds(10))[0].ok);
  plan.remote_bin = "/bin/false";
  CHECK(run_preflight(plan, envp(), std::chrono::seconds(10))[0].problem ==
        "'/bin/false' --version failed there with exit code 1");
}

TEST_CASE("preflight: an ssh that cannot be run at all") {
  TempDir dir;
  auto plan = plan_for({"a"}, dir.path().string());
  plan.ssh_argv = {"no-such-ssh-binary"};
  const auto results = run_preflight(plan, envp(), std::chrono::seconds(10));
  CHECK_FALSE(results[0].ok);
  CHECK(results[0].problem.find("cannot run ssh: cannot execute 'no-such-ssh-binary'") == 0);
}
