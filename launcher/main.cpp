// dlaunch: a native per-node launcher for distributed PyTorch. See README.md.
#include <string>
#include <vector>

#include "launcher/launch.hpp"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  return dlaunch::launcher::run_dlaunch(args, dlaunch::launcher::current_environment());
}
