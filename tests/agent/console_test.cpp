#include "agent/console.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <string>
#include <thread>

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

TEST_CASE("console: many lines through a small, slowly read pipe arrive whole and in order") {
  // More lines than one writev takes, and more bytes than the pipe holds, so writes are
  // partial and resume mid-line.
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  REQUIRE(::fcntl(fds[1], F_SETPIPE_SZ, 4096) >= 0);
  std::string input, expected;
  for (int i = 0; i < 5000; ++i) {
    const std::string line = "line " + std::to_string(i) + std::string(static_cast<std::size_t>(i % 97), 'x') + "\n";
    input += line;
    expected += "[12]: " + line;
  }
  input += "tail";
  expected += "[12]: tail\n";
  std::string got;
  std::thread reader([&] { got = drain(fds[0]); });
  {
    Console console(fds[1], fds[1]);
    console.write_lines(kStdout, "[12]: ", input);
    console.write_lines(kStdout, "", "bare\n");
  }
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);
  CHECK(got.size() == expected.size() + 5);
  CHECK(got == expected + "bare\n");
}

TEST_CASE("console: a reader that went away switches the stream off, the other stays") {
  int out[2], err[2];
  REQUIRE(::pipe(out) == 0);
  REQUIRE(::pipe(err) == 0);
  ::close(out[0]);
  ::signal(SIGPIPE, SIG_IGN);
  Console console(out[1], err[1]);
  console.write_lines(kStdout, "[0]: ", "lost\n");
  console.write_lines(kStdout, "[0]: ", "lost too\n");
  console.write_lines(kStderr, "[0]: ", "kept\n");
  ::close(out[1]);
  ::close(err[1]);
  CHECK(drain(err[0]) == "[0]: kept\n");
  ::close(err[0]);
}
