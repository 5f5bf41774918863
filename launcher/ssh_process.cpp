#include "launcher/ssh_process.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "agent/child_process.hpp"

namespace dlaunch::launcher {

SshProcess::SshProcess(boost::asio::io_context& io, OnLine on_line, OnExit on_exit)
    : on_line_(std::move(on_line)),
      on_exit_(std::move(on_exit)),
      pidfd_(io),
      pipes_{boost::asio::posix::stream_descriptor(io), boost::asio::posix::stream_descriptor(io)},
      buffer_(64 * 1024),
      drain_timer_(io) {}

void SshProcess::start(const std::vector<std::string>& argv, const std::vector<std::string>& envp) {
  agent::SpawnRequest request;
  request.argv = argv;
  request.envp = envp;
  request.merge_stderr = false;
  request.stdin_pipe = true;
  auto child = agent::spawn_child(request);
  pid_ = child.pid;
  stdin_ = std::move(child.stdin_pipe);
  pidfd_.assign(child.pidfd.release());
  pipes_[0].assign(child.stdout_pipe.release());
  pipes_[1].assign(child.stderr_pipe.release());
  read_more(0);
  read_more(1);
  wait_exit();
}

bool SshProcess::send(unsigned char byte) {
  if (!stdin_.valid() || reaped_) return false;
  ssize_t n;
  do {
    n = ::write(stdin_.get(), &byte, 1);
  } while (n < 0 && errno == EINTR);
  return n == 1;
}

void SshProcess::close_stdin() {
  stdin_.reset();
}

void SshProcess::kill(int sig) {
  if (pid_ > 0 && !reaped_) ::kill(-pid_, sig);
}

void SshProcess::read_more(int index) {
  pipes_[index].async_read_some(
      boost::asio::buffer(buffer_),
      [self = shared_from_this(), index](const boost::system::error_code& ec, std::size_t n) {
        if (self->eof_[index]) return;
        const int stream = index + 1;
        if (n > 0) {
          self->splitters_[index].consume_lines({self->buffer_.data(), n}, [&](std::string_view line) {
            self->on_line_(stream, line);
          });
        }
        if (ec) {
          self->splitters_[index].finish(
              [&](std::string_view line) { self->on_line_(stream, line); });
          self->eof_[index] = true;
          self->pipes_[index].close();
          self->maybe_done();
          return;
        }
        self->read_more(index);
      });
}

void SshProcess::wait_exit() {
  pidfd_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                    [self = shared_from_this()](const boost::system::error_code& ec) {
                      if (ec == boost::asio::error::operation_aborted) return;
                      int status = 0;
                      const pid_t r = agent::try_reap(self->pid_, status);
                      if (r == 0) {
                        self->wait_exit();  // spurious wake-up
                        return;
                      }
                      self->on_exited(status);
                    });
}

void SshProcess::on_exited(int status) {
  reaped_ = true;
  pidfd_.close();
  exit_code_ = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
  stdin_.reset();
  drain_timer_.expires_after(kDrainTimeout);
  drain_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->drain_now();
  });
  maybe_done();
}

// Something ssh started still holds its output open: take what is there and stop reading.
void SshProcess::drain_now() {
  for (int index = 0; index < 2; ++index) {
    if (eof_[index]) continue;
    const int stream = index + 1;
    for (;;) {
      const ssize_t n = ::read(pipes_[index].native_handle(), buffer_.data(), buffer_.size());
      if (n <= 0 && !(n < 0 && errno == EINTR)) break;
      if (n > 0) {
        splitters_[index].consume_lines({buffer_.data(), static_cast<std::size_t>(n)},
                               [&](std::string_view line) { on_line_(stream, line); });
      }
    }
    splitters_[index].finish([&](std::string_view line) { on_line_(stream, line); });
    eof_[index] = true;
    pipes_[index].close();
  }
  maybe_done();
}

void SshProcess::maybe_done() {
  if (done_ || !reaped_ || !eof_[0] || !eof_[1]) return;
  done_ = true;
  drain_timer_.cancel();
  if (on_exit_) on_exit_(exit_code_);
}

}  // namespace dlaunch::launcher
