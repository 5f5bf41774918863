// dtrain under dlaunch: the main job's shape on a Fashion-MNIST subset, and a worker killed
// mid-run that the restart resumes from its checkpoint.
#include <signal.h>

#include <fstream>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

using namespace dlaunch::testing;

namespace {

std::string dlaunch_bin() { return build_path("launcher/dlaunch").string(); }
std::string dtrain_bin() { return build_path("trainer/dtrain").string(); }
const std::vector<std::string> kSubset = {"--max_train_samples", "2000", "--max_val_samples", "500"};

// Rank 0's JSON metric lines from dlaunch's console ("[0]: {...}").
std::vector<nlohmann::json> epochs_of(const std::string& console) {
  std::vector<nlohmann::json> epochs;
  std::istringstream in(console);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("[0]: {", 0) != 0) continue;
    auto j = nlohmann::json::parse(line.substr(5), nullptr, false);
    if (!j.is_discarded() && j.contains("epoch")) epochs.push_back(j);
  }
  return epochs;
}

std::vector<std::string> dtrain_job(const TempDir& dir, int epochs, int max_restarts) {
  std::vector<std::string> argv = {dlaunch_bin(), "--standalone", "--nproc_per_node", "2",
                                   "--max_restarts", std::to_string(max_restarts), "--log_dir",
                                   (dir / "logs").string(), "--no_python", dtrain_bin(),
                                   "--num_epochs", std::to_string(epochs), "--output_dir",
                                   (dir / "outputs").string()};
  argv.insert(argv.end(), kSubset.begin(), kSubset.end());
  return argv;
}

}  // namespace

TEST_CASE("dtrain: 2 workers under dlaunch learn, and model.pt loads in Python torch") {
  TempDir dir;
  const auto result = run(dtrain_job(dir, 2, 0), {}, {}, std::chrono::seconds(300));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto epochs = epochs_of(result.out);
  REQUIRE(epochs.size() == 2);
  CHECK(epochs[1]["train_loss"].get<double>() < epochs[0]["train_loss"].get<double>());
  CHECK(epochs[1]["val_acc"].get<double>() > 0.5);
  const auto check = run({"/usr/bin/python3", source_path("scripts/check_model_pt.py").string(),
                          (dir / "outputs/model.pt").string(), "--max_val_samples", "500"},
                         {}, {}, std::chrono::seconds(120));
  INFO(check.err);
  CHECK(check.exit_code == 0);
  CHECK(check.out.find("\"val_acc\"") != std::string::npos);
}

TEST_CASE("dtrain: kill -9 of one worker, dlaunch restarts and dtrain resumes from its checkpoint") {
  TempDir dir;
  const std::string mark = "dtrain-kill-" + std::to_string(::getpid());
  Subprocess job(dtrain_job(dir, 4, 1), {{"DLAUNCH_TEST_MARK", mark}}, dir / "out", dir / "err");
  // After the first epoch's checkpoint, kill rank 1.
  REQUIRE(eventually([&] { return std::filesystem::exists(dir / "outputs/checkpoint.pt"); },
                     std::chrono::seconds(240)));
  pid_t victim = -1;
  for (pid_t pid : pids_with_env("DLAUNCH_TEST_MARK", mark)) {
    std::ifstream environ("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
    for (std::string item; std::getline(environ, item, '\0');) {
      if (item == "RANK=1") victim = pid;
    }
  }
  REQUIRE(victim > 0);
  ::kill(victim, SIGKILL);
  const auto code = job.wait_for(std::chrono::seconds(300));
  INFO(read_file(dir / "err"));
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  const auto summary = nlohmann::json::parse(read_file(dir / "logs/dlaunch_summary.json"));
  CHECK(summary["restarts"] == 1);
  // Attempt 0's root cause is the killed rank.
  CHECK(summary["attempts"][0]["root_cause"] == 1);
  // The restarted attempt went on from a saved epoch instead of starting over: the last
  // epoch printed is 4, and epoch 1 was printed only once (by attempt 0).
  const auto epochs = epochs_of(read_file(dir / "out"));
  REQUIRE_FALSE(epochs.empty());
  CHECK(epochs.back()["epoch"] == 4);
  int first_epochs = 0;
  for (const auto& e : epochs) first_epochs += e["epoch"] == 1;
  CHECK(first_epochs == 1);
}
