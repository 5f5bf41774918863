#pragma once
// LogFollower: echoes, tagged, to the console what workers write straight into their rank
// log files. When both of a worker's streams go to the console and the file alike, the
// worker's stdout and stderr are the log file itself (O_APPEND), so the worker writes at
// file speed and the file holds every byte in order even if dlaunch dies; this class then
// follows the file with inotify (IN_MODIFY) and hands new whole lines to the console, as
// OutputPump does for a pipe. Nothing a worker writes waits for the console.
//
// One per WorkerGroup, owned through shared_ptr (the pending inotify wait holds it);
// agent thread only. Construction throws std::system_error when inotify is unavailable
// (the caller then falls back to pipes).

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <map>
#include <memory>

#include "agent/line_assembler.hpp"
#include "agent/output_pump.hpp"
#include "agent/unique_fd.hpp"

namespace dlaunch::agent {

class LogFollower : public std::enable_shared_from_this<LogFollower> {
 public:
  static constexpr std::size_t kReadSize = 256 * 1024;

  explicit LogFollower(boost::asio::io_context& io);

  // From now on, what is appended to target.log's file goes to target.console. `key`
  // names this file in finish(). Throws std::system_error if the file cannot be watched.
  void follow(int key, const OutputPump::Target& target);
  // Echoes everything written so far, including a last line without a newline, and stops
  // following `key`. Call once the writer has exited.
  void finish(int key);

 private:
  struct Followed {
    UniqueFd file;
    off_t offset = 0;
    int watch = -1;
    OutputPump::Target target;
    LineAssembler lines;
  };

  void wait_for_events();
  void read_events();
  void echo_new_data(Followed& followed);

  boost::asio::posix::stream_descriptor inotify_;
  std::map<int, Followed> followed_;  // by key
  std::map<int, int> key_of_watch_;
  std::unique_ptr<char[]> buffer_;  // one read buffer for every file: reads are synchronous
  bool waiting_ = false;
};

}  // namespace dlaunch::agent
