// dlaunch with real torch.distributed workers (Debian's python3-torch 1.13).
#include <doctest/doctest.h>

#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

using namespace dlaunch::testing;

namespace {

std::string dlaunch_bin() { return build_path("launcher/dlaunch").string(); }
std::string worker(const std::string& name) {
  return source_path("tests/integration/workers/" + name).string();
}
const std::map<std::string, std::string> kTorchEnv = {{"PYTHON_EXEC", "/usr/bin/python3"}};

}  // namespace

TEST_CASE("torch: gloo all_reduce, barrier and new_group across 4 local workers") {
  TempDir dir;
  const auto result = run({dlaunch_bin(), "--standalone", "--nproc_per_node", "4", "--log_dir",
                           (dir / "logs").string(), worker("allreduce.py")},
                          kTorchEnv, {}, std::chrono::seconds(120));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  for (int rank = 0; rank < 4; ++rank) {
    CHECK(result.out.find("[" + std::to_string(rank) + "]: rank " + std::to_string(rank) +
                          "/4 sum 10.0 expected 10.0") != std::string::npos);
  }
}

TEST_CASE("torch: two --standalone jobs at once do not collide") {
  TempDir dir;
  Subprocess a({dlaunch_bin(), "--standalone", "--nproc_per_node", "2", "--log_dir",
                (dir / "a").string(), worker("allreduce.py")},
               kTorchEnv, dir / "a.out", dir / "a.err");
  Subprocess b({dlaunch_bin(), "--standalone", "--nproc_per_node", "2", "--log_dir",
                (dir / "b").string(), worker("allreduce.py")},
               kTorchEnv, dir / "b.out", dir / "b.err");
  const auto code_a = a.wait_for(std::chrono::seconds(120));
  const auto code_b = b.wait_for(std::chrono::seconds(120));
  INFO(read_file(dir / "a.err"), read_file(dir / "b.err"));
  CHECK(code_a == 0);
  CHECK(code_b == 0);
  CHECK(read_file(dir / "a.out").find("sum 3.0 expected 3.0") != std::string::npos);
  CHECK(read_file(dir / "b.out").find("sum 3.0 expected 3.0") != std::string::npos);
}

TEST_CASE("torch: a @record worker's exception is the root cause in the summary") {
  TempDir dir;
  const auto result = run({dlaunch_bin(), "--standalone", "--nproc_per_node", "2", "--log_dir",
                           (dir / "logs").string(), worker("record_error.py")},
                          kTorchEnv, {}, std::chrono::seconds(120));
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("rank       : 1 (local_rank: 1)") != std::string::npos);
  CHECK(result.err.find("error      : ValueError: out of cheese") != std::string::npos);
  CHECK(result.err.find("traceback  :") != std::string::npos);
  const auto summary = read_file(dir / "logs/dlaunch_summary.json");
  CHECK(summary.find("ValueError: out of cheese") != std::string::npos);
}

TEST_CASE("torch: rank 0 exiting early does not take the store from the others") {
  TempDir dir;
  const auto result = run({dlaunch_bin(), "--standalone", "--nproc_per_node", "3", "--log_dir",
                           (dir / "logs").string(), worker("rank0_leaves.py")},
                          kTorchEnv, {}, std::chrono::seconds(120));
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("[1]: rank 1 sum 2.0") != std::string::npos);
  CHECK(result.out.find("[2]: rank 2 sum 2.0") != std::string::npos);
}

TEST_CASE("torch: after a failure the restarted attempt meets on a clean store") {
  TempDir dir;
  const auto result = run({dlaunch_bin(), "--standalone", "--nproc_per_node", "2", "--max_restarts",
                           "1", "--log_dir", (dir / "logs").string(), worker("fail_then_succeed.py")},
                          kTorchEnv, {}, std::chrono::seconds(120));
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("attempt 1 rank 0 sum 2.0") != std::string::npos);
  CHECK(result.out.find("attempt 1 rank 1 sum 2.0") != std::string::npos);
}
