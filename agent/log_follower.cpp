#include "agent/log_follower.hpp"

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace dlaunch::agent {

LogFollower::LogFollower(boost::asio::io_context& io)
    : inotify_(io), buffer_(std::make_unique_for_overwrite<char[]>(kReadSize)) {
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "inotify_init1");
  inotify_.assign(fd);
}

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
  followed.watch = ::inotify_add_watch(inotify_.native_handle(), path.c_str(), IN_MODIFY);
  if (followed.watch < 0) {
    throw std::system_error(errno, std::generic_category(), "cannot watch " + path);
  }
  key_of_watch_[followed.watch] = key;
  followed_.insert_or_assign(key, std::move(followed));
  if (!waiting_) wait_for_events();
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
  ::inotify_rm_watch(inotify_.native_handle(), followed.watch);
  key_of_watch_.erase(followed.watch);
  followed_.erase(it);
  if (followed_.empty() && waiting_) {
    // Nothing left to follow: the pending wait must not keep the io_context running.
    waiting_ = false;
    boost::system::error_code ignored;
    inotify_.cancel(ignored);
  }
}

void LogFollower::wait_for_events() {
  waiting_ = true;
  inotify_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                      [self = shared_from_this()](const boost::system::error_code& ec) {
                        if (ec) return;  // cancelled by finish(): waiting_ is already false
                        self->waiting_ = false;
                        self->read_events();
                        if (!self->followed_.empty()) self->wait_for_events();
                      });
}

void LogFollower::read_events() {
  // The descriptor is edge-triggered: read every queued event before waiting again.
  alignas(inotify_event) char events[4096];
  bool everything = false;
  std::vector<Followed*> changed;
  for (;;) {
    const ssize_t n = ::read(inotify_.native_handle(), events, sizeof events);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EAGAIN: all read
    for (const char* p = events; p < events + n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(p);
      p += sizeof(inotify_event) + event->len;
      if (event->mask & IN_Q_OVERFLOW) everything = true;
      auto key = key_of_watch_.find(event->wd);
      if (key == key_of_watch_.end()) continue;  // a watch removed since
      Followed* followed = &followed_.at(key->second);
      if (std::find(changed.begin(), changed.end(), followed) == changed.end()) {
        changed.push_back(followed);
      }
    }
  }
  if (everything) {
    for (auto& [key, followed] : followed_) echo_new_data(followed);
    return;
  }
  for (Followed* followed : changed) echo_new_data(*followed);
}

void LogFollower::echo_new_data(Followed& followed) {
  // Up to the size seen now: what is written later raises another event.
  struct stat st {};
  if (::fstat(followed.file.get(), &st) != 0) return;
  if (st.st_size < followed.offset) followed.offset = 0;  // truncated: start over, as tail -f
  auto to_console = [&](std::string_view lines) {
    followed.target.console->write_lines(followed.target.console_stream, followed.target.prefix,
                                         lines);
  };
  while (followed.offset < st.st_size) {
    const auto want = static_cast<std::size_t>(
        std::min<off_t>(static_cast<off_t>(kReadSize), st.st_size - followed.offset));
    const ssize_t n = ::pread(followed.file.get(), buffer_.get(), want, followed.offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    followed.offset += n;
    followed.lines.consume({buffer_.get(), static_cast<std::size_t>(n)}, to_console);
  }
}

}  // namespace dlaunch::agent
