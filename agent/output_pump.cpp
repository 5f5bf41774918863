#include "agent/output_pump.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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
  if (!partial_.empty()) {
    const auto* nl = static_cast<const char*>(std::memchr(data.data(), '\n', data.size()));
    if (!nl) {
      partial_.append(data);
      if (partial_.size() >= kMaxLine) {
        deliver(partial_);
        partial_.clear();
      }
      return;
    }
    const std::size_t head = static_cast<std::size_t>(nl - data.data()) + 1;
    partial_.append(data.substr(0, head));
    deliver(partial_);
    partial_.clear();
    data.remove_prefix(head);
  }
  const auto* last_nl = static_cast<const char*>(::memrchr(data.data(), '\n', data.size()));
  if (last_nl) {
    const std::size_t lines = static_cast<std::size_t>(last_nl - data.data()) + 1;
    deliver(data.substr(0, lines));
    data.remove_prefix(lines);
  }
  partial_.assign(data);
}

void OutputPump::deliver(std::string_view lines) {
  target_.log->append(lines);
  if (target_.console) target_.console->write_lines(target_.console_stream, target_.prefix, lines);
}

void OutputPump::finish() {
  if (finished_) return;
  finished_ = true;
  if (!partial_.empty()) {
    deliver(partial_);
    partial_.clear();
  }
  boost::system::error_code ignored;
  pipe_.close(ignored);
  if (auto on_eof = std::move(on_eof_)) on_eof();
}

}  // namespace dlaunch::agent
