#include "launcher/stdin_control.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/post.hpp>

#include <cerrno>
#include <system_error>

#include "agent/exit_status.hpp"
#include "launcher/logging.hpp"

namespace dlaunch::launcher {
namespace {

[[noreturn]] void fail(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

StdinControl::StdinControl(boost::asio::io_context& io, std::function<void(int)> on_stop)
    : io_(io), on_stop_(std::move(on_stop)) {
  const int channel = ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
  if (channel < 0) fail("--stdin_control: dup of stdin");
  channel_.reset(channel);
  const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null < 0) fail("--stdin_control: open /dev/null");
  const bool moved = ::dup2(null, STDIN_FILENO) >= 0;
  ::close(null);
  if (!moved) fail("--stdin_control: dup2 /dev/null");
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC) != 0) fail("--stdin_control: pipe2");
  wake_read_.reset(wake[0]);
  wake_write_.reset(wake[1]);
  thread_ = std::thread([this] { watch(); });
}

StdinControl::~StdinControl() {
  wake_write_.reset();  // the thread sees POLLHUP on its end and returns
  if (thread_.joinable()) thread_.join();
}

void StdinControl::watch() {
  auto request = [this](int sig, bool closed) {
    boost::asio::post(io_, [this, sig, closed] {
      if (closed) {
        log().warn("the launching dlaunch is gone (its ssh connection closed): stopping");
      } else {
        log().warn("the launching dlaunch asks to stop ({})", agent::signal_name(sig));
      }
      on_stop_(sig);
    });
  };
  char buffer[256];
  for (;;) {
    pollfd fds[2] = {{channel_.get(), POLLIN, 0}, {wake_read_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;  // the destructor
    if (fds[0].revents == 0) continue;
    const ssize_t n = ::read(channel_.get(), buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      request(SIGTERM, /*closed=*/true);
      return;
    }
    for (ssize_t i = 0; i < n; ++i) {
      const int sig = static_cast<unsigned char>(buffer[i]);
      if (sig >= 1 && sig < 65) request(sig, /*closed=*/false);
    }
  }
}

}  // namespace dlaunch::launcher
