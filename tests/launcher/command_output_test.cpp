#include "launcher/command_output.hpp"

#include <chrono>

#include <doctest/doctest.h>

using dlaunch::launcher::run_command_output;
using namespace std::chrono_literals;

TEST_CASE("command_output: stdout of a program that succeeds") {
  CHECK(run_command_output({"printf", "GPU 0: x\\nGPU 1: y\\n"}, 5s) ==
        std::optional<std::string>("GPU 0: x\nGPU 1: y\n"));
  CHECK(run_command_output({"sh", "-c", "echo out; echo err >&2"}, 5s) ==
        std::optional<std::string>("out\n"));
}

TEST_CASE("command_output: a missing program, a failure or a timeout is no output") {
  CHECK_FALSE(run_command_output({"dlaunch-no-such-program-xyz"}, 5s));
  CHECK_FALSE(run_command_output({"sh", "-c", "echo partial; exit 3"}, 5s));
  CHECK_FALSE(run_command_output({}, 5s));
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(run_command_output({"sleep", "10"}, 200ms));
  // a child that closes stdout but lingers is killed at the deadline too
  CHECK_FALSE(run_command_output({"sh", "-c", "exec >&-; sleep 10"}, 200ms));
  CHECK(std::chrono::steady_clock::now() - start < 3s);
}
