#pragma once
// The argv every worker of a run executes, built once from the Options and checked before
// anything starts (a missing program is a UsageError, not N failed workers):
//   script (default, and --run_path): <python> -u program args...
//   -m/--module:                      <python> -u -m module args...
//   --no_python:                      program args...
// <python> is $PYTHON_EXEC, else python3, looked up on $PATH. --run_path maps to the default
// form: torchrun runs the script with runpy.run_path in a Python child, which is what
// `python -u script` does for a script too.
// argv[0] is an absolute path when it was looked up on $PATH (a bare word), else as given.
// Legacy mode (!use_env) adds --local_rank=N per worker: see with_local_rank().

#include <string>
#include <vector>

#include "launcher/options.hpp"

namespace dlaunch::launcher {

// The worker's argv without the per-rank --local_rank=N. `env` gives PATH and PYTHON_EXEC;
// relative paths are resolved against `cwd`. Throws UsageError: a program file that does not
// exist, a --no_python program that is not an executable file, a compiled executable given
// without --no_python, no Python interpreter.
std::vector<std::string> worker_command(const Options& options, const Environment& env,
                                        const std::string& cwd);

// One local rank's argv: `command` itself when options.use_env, else with --local_rank=N
// inserted right after the program, before the program's arguments (where torch puts it).
std::vector<std::string> with_local_rank(const std::vector<std::string>& command,
                                         const Options& options, int local_rank);

}  // namespace dlaunch::launcher
