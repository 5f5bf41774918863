#pragma once
// run_command_output(): runs a short probe program (nvidia-smi -L) and returns what it printed.
// Used at start-up only, before any worker exists; not a supervisor of long-lived children
// (that is agent/'s job). The child gets no stdin, its stderr is discarded, and it is killed
// when it outlives `timeout`.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dlaunch::launcher {

// Runs argv[0] (searched in PATH) with argv. Returns its stdout when it exits 0 within
// `timeout`; std::nullopt when it cannot start, fails, or times out. Never throws for those.
std::optional<std::string> run_command_output(const std::vector<std::string>& argv,
                                              std::chrono::milliseconds timeout);

// The injectable form: tests pass a fake that returns canned output.
using CommandRunner =
    std::function<std::optional<std::string>(const std::vector<std::string>& argv)>;

}  // namespace dlaunch::launcher
