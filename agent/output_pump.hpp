#pragma once
// OutputPump: drains one worker pipe (stdout, or stdout+stderr merged) until EOF. Complete
// lines go, in the order written, to the rank's log file and, tagged, to the console. A
// final line without a newline is delivered at EOF; a line longer than the read buffer is
// assembled first, so it is never split into tagged fragments (see LineAssembler).
// Owned through shared_ptr by its Worker; the pending read holds shared_from_this().

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/console.hpp"
#include "agent/line_assembler.hpp"
#include "agent/rank_log.hpp"
#include "agent/unique_fd.hpp"

namespace dlaunch::agent {

class OutputPump : public std::enable_shared_from_this<OutputPump> {
 public:
  struct Target {
    std::shared_ptr<RankLog> log;
    Console* console = nullptr;  // null: file only (redirected or filtered)
    int console_stream = 1;      // kStdout or kStderr
    std::string prefix;
  };
  static constexpr std::size_t kReadSize = 128 * 1024;

  OutputPump(boost::asio::io_context& io, UniqueFd pipe, Target target);

  // Starts reading; `on_eof` runs once, after the last byte was delivered.
  void start(std::function<void()> on_eof);
  // Reads what the pipe holds right now without waiting, delivers it, then ends as at EOF.
  // For writers that outlive the worker (a daemonised grandchild holding the pipe).
  void finish_now();
  bool finished() const { return finished_; }

 private:
  void read_more();
  void consume(std::string_view data);
  void deliver(std::string_view lines);
  void finish();

  boost::asio::posix::stream_descriptor pipe_;
  Target target_;
  std::vector<char> buffer_;
  LineAssembler lines_;
  std::function<void()> on_eof_;
  bool finished_ = false;
};

}  // namespace dlaunch::agent
