#include "agent/console.hpp"

#include <unistd.h>

#include <doctest/doctest.h>

#include "agent/agent_config.hpp"

using namespace dlaunch::agent;

namespace {

std::string drain(int fd) {
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<std::size_t>(n));
  return out;
}

}  // namespace

TEST_CASE("console: every line tagged, a final partial line closed") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  {
    Console console(fds[1], fds[1]);
    console.write_lines(kStdout, "[3]: ", "a\nb\n");
    console.write_lines(kStderr, "[3]: ", "partial");
  }
  ::close(fds[1]);
  CHECK(drain(fds[0]) == "[3]: a\n[3]: b\n[3]: partial\n");
  ::close(fds[0]);
}

TEST_CASE("line prefix: default and torchrun's template variables") {
  CHECK(line_prefix("", "default", 1, 5) == "[5]: ");
  CHECK(line_prefix("[${role_name}-${local_rank}:${rank}]: ", "trainer", 1, 5) == "[trainer-1:5]: ");
  CHECK(line_prefix("${unknown}", "r", 0, 0) == "${unknown}");
}
