#include "rendezvous/check.hpp"

#include <cstdio>
#include <cstdlib>

namespace dlaunch {

void check_failed(const char* expression, const char* file, int line) {
  // fprintf rather than spdlog: the logger itself may be what broke.
  std::fprintf(stderr, "%s:%d: check failed: %s\n", file, line, expression);
  std::fflush(stderr);
  std::abort();
}

}  // namespace dlaunch
