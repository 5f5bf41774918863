#pragma once
// UsageError: the one exception the command line throws for bad usage (an unknown flag, a bad
// value, a missing program). Its what() is ONE line without a "dlaunch: " prefix; main() prints
// "dlaunch: error: <what>" and exits 2 before anything starts.
// Environment: a snapshot of environ, injected so that parsing never reads the real one.

#include <map>
#include <stdexcept>
#include <string>

namespace dlaunch::launcher {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using Environment = std::map<std::string, std::string>;

}  // namespace dlaunch::launcher
