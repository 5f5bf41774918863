// LogFollower: what a worker appends to its log file reaches the console tagged and whole.
#include "agent/log_follower.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <string_view>

#include <doctest/doctest.h>

#include "agent/agent_config.hpp"
#include "tests/support/temp_dir.hpp"

using namespace dlaunch::agent;
using dlaunch::testing::read_file;
using dlaunch::testing::TempDir;

namespace {

void append(const std::filesystem::path& path, std::string_view data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()));
  ::close(fd);
}

// Runs the io_context until `done()` holds, for at most 5 s.
template <class Done>
void run_until(boost::asio::io_context& io, Done done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.run_for(std::chrono::milliseconds(10));
    io.restart();
  }
}

struct Fixture {
  TempDir dir;
  int console_fd =
      ::open((dir / "console").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  Console console{console_fd, console_fd};
  std::shared_ptr<RankLog> log = std::make_shared<RankLog>(dir / "logs" / "70_driver_log_3.txt");
  ~Fixture() { ::close(console_fd); }
  std::string console_text() { return read_file(dir / "console"); }
};

}  // namespace

TEST_CASE("log follower: appended lines reach the console tagged, whole and in order") {
  Fixture f;
  f.log->append("--- marker, written before following: not echoed ---\n");
  boost::asio::io_context io;
  auto follower = std::make_shared<LogFollower>(io);
  follower->follow(3, {f.log, &f.console, kStdout, "[3]: "});

  append(f.log->path(), "one\ntw");
  run_until(io, [&] { return f.console_text() == "[3]: one\n"; });
  CHECK(f.console_text() == "[3]: one\n");  // "tw" waits for the rest of its line

  append(f.log->path(), "o\nthree\nlast without newline");
  run_until(io, [&] { return f.console_text().size() >= 21; });
  CHECK(f.console_text() == "[3]: one\n[3]: two\n[3]: three\n");

  follower->finish(3);
  CHECK(f.console_text() == "[3]: one\n[3]: two\n[3]: three\n[3]: last without newline\n");
  // Nothing is left pending: the io_context runs out of work.
  io.restart();
  io.run_for(std::chrono::seconds(2));
  CHECK(io.stopped());
}

TEST_CASE("log follower: a line longer than one read is echoed whole") {
  Fixture f;
  boost::asio::io_context io;
  auto follower = std::make_shared<LogFollower>(io);
  follower->follow(3, {f.log, &f.console, kStdout, "[3]: "});
  const std::string long_line(LogFollower::kReadSize * 2 + 17, 'x');
  append(f.log->path(), long_line + "\nshort\n");
  follower->finish(3);
  CHECK(f.console_text() == "[3]: " + long_line + "\n[3]: short\n");
}

TEST_CASE("log follower: a file truncated under it is followed from its start again") {
  Fixture f;
  boost::asio::io_context io;
  auto follower = std::make_shared<LogFollower>(io);
  follower->follow(3, {f.log, &f.console, kStdout, "[3]: "});
  append(f.log->path(), "before\n");
  run_until(io, [&] { return !f.console_text().empty(); });
  REQUIRE(::truncate(f.log->path().c_str(), 0) == 0);
  append(f.log->path(), "after\n");
  follower->finish(3);
  CHECK(f.console_text() == "[3]: before\n[3]: after\n");
}
