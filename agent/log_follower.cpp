#include "agent/log_follower.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace dlaunch::agent {

LogFollower::LogFollower(boost::asio::io_context& io)
    : timer_(io), buffer_(std::make_unique_for_overwrite<char[]>(kReadSize)) {}

void LogFollower::follow(int key, const OutputPump::Target& target) {
  const std::string& path = target.log->path().native();
  Followed followed;
  followed.target = target;
  followed.file.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!followed.file.valid()) {
    throw std::system_error(errno, std::generic_category(), "cannot read " + path);
  }
  // Everything already in the file (earlier attempts, the attempt marker) is not echoed.
  followed.offset = ::lseek(followed.file.get(), 0, SEEK_END);
  followed_.insert_or_assign(key, std::move(followed));
  interval_ = kFastPoll;
  if (!polling_) schedule_poll();
}

void LogFollower::catch_up(int key) {
  if (auto it = followed_.find(key); it != followed_.end()) echo_new_data(it->second);
}

void LogFollower::finish(int key) {
  auto it = followed_.find(key);
  if (it == followed_.end()) return;
  Followed& followed = it->second;
  echo_new_data(followed);
  followed.lines.finish([&](std::string_view lines) {
    followed.target.console->write_lines(followed.target.console_stream, followed.target.prefix,
                                         lines);
  });
  followed_.erase(it);
  if (followed_.empty() && polling_) {
    // Nothing left to follow: the pending timer must not keep the io_context running.
    polling_ = false;
    timer_.cancel();
  }
}

void LogFollower::schedule_poll() {
  polling_ = true;
  timer_.expires_after(interval_);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    // finish() may have stopped polling after this handler was already queued.
    if (ec || !self->polling_) return;
    self->poll();
  });
}

void LogFollower::poll() {
  if (followed_.empty()) {
    polling_ = false;
    return;
  }
  std::size_t echoed = 0;
  for (auto& [key, followed] : followed_) echoed += echo_new_data(followed);
  // Quick while output flows, calmer while the workers are quiet.
  interval_ = echoed > 0 ? kFastPoll : std::min(interval_ * 2, kSlowPoll);
  schedule_poll();
}

std::size_t LogFollower::echo_new_data(Followed& followed) {
  // Up to the size seen now: what is written meanwhile waits for the next poll.
  struct stat st {};
  if (::fstat(followed.file.get(), &st) != 0) return 0;
  if (st.st_size < followed.offset) followed.offset = 0;  // truncated: start over, as tail -f
  auto to_console = [&](std::string_view lines) {
    followed.target.console->write_lines(followed.target.console_stream, followed.target.prefix,
                                         lines);
  };
  std::size_t echoed = 0;
  while (followed.offset < st.st_size) {
    const auto want = static_cast<std::size_t>(
        std::min<off_t>(static_cast<off_t>(kReadSize), st.st_size - followed.offset));
    const ssize_t n = ::pread(followed.file.get(), buffer_.get(), want, followed.offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    followed.offset += n;
    echoed += static_cast<std::size_t>(n);
    followed.lines.consume({buffer_.get(), static_cast<std::size_t>(n)}, to_console);
  }
  return echoed;
}

}  // namespace dlaunch::agent
