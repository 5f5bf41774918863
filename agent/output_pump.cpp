#include "agent/output_pump.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace dlaunch::agent {

OutputPump::OutputPump(boost::asio::io_context& io, UniqueFd pipe, Target target)
    : pipe_(io), target_(std::move(target)), buffer_(kReadSize) {
  // A bigger pipe means fewer wake-ups for chatty workers; not fatal if refused.
  ::fcntl(pipe.get(), F_SETPIPE_SZ, 1 << 20);
  pipe_.assign(pipe.release());
}

void OutputPump::start(std::function<void()> on_eof) {
  on_eof_ = std::move(on_eof);
  read_more();
}

void OutputPump::read_more() {
  pipe_.async_read_some(
      boost::asio::buffer(buffer_),
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
        if (self->finished_) return;
        if (n > 0) self->consume({self->buffer_.data(), n});
        if (ec) {
          // EOF, or the descriptor was closed by finish_now().
          self->finish();
          return;
        }
        self->read_more();
      });
}

void OutputPump::finish_now() {
  if (finished_) return;
  for (;;) {
    const ssize_t n = ::read(pipe_.native_handle(), buffer_.data(), buffer_.size());
    if (n > 0) {
      consume({buffer_.data(), static_cast<std::size_t>(n)});
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;  // EOF or EAGAIN: nothing more right now
  }
  finish();
}

void OutputPump::consume(std::string_view data) {
  lines_.consume(data, [this](std::string_view lines) { deliver(lines); });
}

void OutputPump::deliver(std::string_view lines) {
  target_.log->append(lines);
  if (target_.console) target_.console->write_lines(target_.console_stream, target_.prefix, lines);
}

void OutputPump::finish() {
  if (finished_) return;
  finished_ = true;
  lines_.finish([this](std::string_view lines) { deliver(lines); });
  boost::system::error_code ignored;
  pipe_.close(ignored);
  if (auto on_eof = std::move(on_eof_)) on_eof();
}

}  // namespace dlaunch::agent
