#pragma once
// LogFollower: echoes, tagged, to the console what workers write straight into their rank
// log files. When both of a worker's streams go to the console and the file alike, the
// worker's stdout and stderr are the log file itself (O_APPEND), so the worker writes at
// file speed and the file holds every byte in order even if dlaunch dies; this class then
// reads what was appended and hands new whole lines to the console, as OutputPump does
// for a pipe. Nothing a worker writes waits for the console.
//
// The files are polled: every kFastPoll while they grow, backing off to kSlowPoll while
// they are quiet, and read to the end at once when a worker exits (finish()). inotify
// would wake us per write, but tearing an inotify instance down waits for an SRCU grace
// period (5-15 ms here), which would sit between the last worker's exit and dlaunch's.
//
// One per WorkerGroup, owned through shared_ptr (the pending timer holds it); agent
// thread only.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <map>
#include <memory>

#include "agent/line_assembler.hpp"
#include "agent/output_pump.hpp"
#include "agent/unique_fd.hpp"

namespace dlaunch::agent {

class LogFollower : public std::enable_shared_from_this<LogFollower> {
 public:
  static constexpr std::size_t kReadSize = 256 * 1024;
  static constexpr std::chrono::milliseconds kFastPoll{10};
  static constexpr std::chrono::milliseconds kSlowPoll{100};

  explicit LogFollower(boost::asio::io_context& io);

  // From now on, what is appended to target.log's file goes to target.console. `key`
  // names this file in finish(). Throws std::system_error if the file cannot be read.
  void follow(int key, const OutputPump::Target& target);
  // Echoes what was written so far and goes on following `key` (its writer has exited,
  // but what it started may still write).
  void catch_up(int key);
  // Echoes everything written so far, including a last line without a newline, and stops
  // following `key`. Call once every writer is gone.
  void finish(int key);

 private:
  struct Followed {
    UniqueFd file;
    off_t offset = 0;
    OutputPump::Target target;
    LineAssembler lines;
  };

  void schedule_poll();
  void poll();
  // Echoes what was appended since the last call; returns the number of bytes.
  std::size_t echo_new_data(Followed& followed);

  boost::asio::steady_timer timer_;
  std::chrono::milliseconds interval_ = kFastPoll;
  std::map<int, Followed> followed_;  // by key
  std::unique_ptr<char[]> buffer_;    // one read buffer for every file: reads are synchronous
  bool polling_ = false;
};

}  // namespace dlaunch::agent
