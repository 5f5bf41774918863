#include "agent/orphan_guard.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>
#include <vector>

#include "agent/logging.hpp"

namespace dlaunch::agent {
namespace {

constexpr std::int32_t kWatch = 1;
constexpr std::int32_t kRelease = 2;

struct Message {
  std::int32_t op;
  std::int32_t pgid;
};

[[noreturn]] void guard_main(int read_fd) {
  // Quiet and detached: no terminal signals, no inherited descriptors but the pipe.
  ::setpgid(0, 0);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU}) {
    ::signal(sig, SIG_IGN);
  }
  ::dup2(read_fd, 3);
  const int null_fd = ::open("/dev/null", O_RDWR);
  for (int fd = 0; fd < 3; ++fd) ::dup2(null_fd, fd);
  ::close_range(4, ~0U, 0);

  std::vector<pid_t> groups;
  Message message{};
  for (;;) {
    const ssize_t n = ::read(3, &message, sizeof message);
    if (n < 0 && errno == EINTR) continue;
    if (n != static_cast<ssize_t>(sizeof message)) break;  // EOF: dlaunch is gone
    if (message.op == kWatch) {
      groups.push_back(message.pgid);
    } else {
      std::erase(groups, message.pgid);
    }
  }
  // A member caught mid-fork can add a process to its group after one killpg: repeat until
  // every group is empty (ESRCH), for at most about two seconds.
  for (int round = 0; round < 200 && !groups.empty(); ++round) {
    std::erase_if(groups, [](pid_t pgid) { return ::kill(-pgid, SIGKILL) != 0 && errno == ESRCH; });
    if (!groups.empty()) ::usleep(10'000);
  }
  ::_exit(0);
}

}  // namespace

OrphanGuard::OrphanGuard() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "orphan guard pipe");
  }
  const pid_t pid = ::fork();
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "orphan guard fork");
  if (pid == 0) {
    ::close(fds[1]);
    guard_main(fds[0]);
  }
  ::close(fds[0]);
  pipe_.reset(fds[1]);
  guard_pid_ = pid;
}

void OrphanGuard::dismiss() { pipe_.reset(); }

OrphanGuard::~OrphanGuard() {
  pipe_.reset();  // EOF: the guard kills what is still registered and exits
  int status = 0;
  while (::waitpid(guard_pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

void OrphanGuard::watch(pid_t pgid) { send(kWatch, pgid); }
void OrphanGuard::release(pid_t pgid) { send(kRelease, pgid); }

void OrphanGuard::send(int op, pid_t pgid) {
  const Message message{op, static_cast<std::int32_t>(pgid)};
  // 8-byte writes to a pipe are atomic; the guard drains it continuously.
  while (::write(pipe_.get(), &message, sizeof message) < 0 && errno == EINTR) {
  }
}

}  // namespace dlaunch::agent
