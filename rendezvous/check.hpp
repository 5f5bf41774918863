#pragma once
// DLAUNCH_CHECK(cond): the one "cannot happen" guard of the project. When the condition is
// false it writes "file:line: check failed: cond" to stderr and aborts. Not for user errors:
// those are exceptions at the edges or error values on async paths.

namespace dlaunch {
[[noreturn]] void check_failed(const char* expression, const char* file, int line);
}  // namespace dlaunch

#define DLAUNCH_CHECK(cond)                                  \
  do {                                                       \
    if (!(cond)) ::dlaunch::check_failed(#cond, __FILE__, __LINE__); \
  } while (0)
