#include "launcher/stdin_control.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/steady_timer.hpp>

#include <doctest/doctest.h>

using dlaunch::launcher::StdinControl;

namespace {

// Puts a pipe on fd 0 for the test's length; restores the real stdin after.
class PipeOnStdin {
 public:
  PipeOnStdin() {
    saved_ = ::dup(STDIN_FILENO);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    ::dup2(fds[0], STDIN_FILENO);
    ::close(fds[0]);
    write_end_ = fds[1];
  }
  ~PipeOnStdin() {
    close_write();
    ::dup2(saved_, STDIN_FILENO);
    ::close(saved_);
  }
  void write(const std::string& bytes) {
    REQUIRE(::write(write_end_, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  }
  void close_write() {
    if (write_end_ >= 0) ::close(write_end_);
    write_end_ = -1;
  }

 private:
  int saved_ = -1;
  int write_end_ = -1;
};

// Runs `io` until `count` requests arrived or 5 s passed.
std::vector<int> collect(boost::asio::io_context& io, std::vector<int>& got, std::size_t count) {
  boost::asio::steady_timer poll(io);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::function<void()> check = [&] {
    if (got.size() >= count || std::chrono::steady_clock::now() > deadline) return;
    poll.expires_after(std::chrono::milliseconds(5));
    poll.async_wait([&](const boost::system::error_code&) { check(); });
  };
  check();
  io.run();
  io.restart();
  return got;
}

bool is_dev_null(int fd) {
  struct stat a {
  }, b{};
  return ::fstat(fd, &a) == 0 && ::stat("/dev/null", &b) == 0 && a.st_rdev == b.st_rdev &&
         S_ISCHR(a.st_mode);
}

}  // namespace

TEST_CASE("stdin control: byte N is a stop as on signal N, end of file one as on SIGTERM") {
  // (A 0 byte, or one above 64, is no signal and is ignored.)
  PipeOnStdin channel;
  boost::asio::io_context io;
  std::vector<int> got;
  StdinControl control(io, [&](int sig) { got.push_back(sig); });
  // Workers started from now on read /dev/null, not the channel.
  CHECK(is_dev_null(STDIN_FILENO));
  channel.write(std::string(1, static_cast<char>(SIGINT)) + std::string(1, '\0') +
                std::string(1, static_cast<char>(SIGUSR1)));
  CHECK(collect(io, got, 2) == std::vector<int>{SIGINT, SIGUSR1});
  channel.close_write();
  CHECK(collect(io, got, 3) == std::vector<int>{SIGINT, SIGUSR1, SIGTERM});
}

TEST_CASE("stdin control: destroyed while the channel is open, it asks nothing") {
  PipeOnStdin channel;
  boost::asio::io_context io;
  std::vector<int> got;
  {
    StdinControl control(io, [&](int sig) { got.push_back(sig); });
  }
  io.run();
  CHECK(got.empty());
}
