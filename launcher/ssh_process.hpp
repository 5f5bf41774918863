#pragma once
// SshProcess: one local ssh client of a fan-out, on the fan-out's io_context. It runs in its
// own process group (a Ctrl-C typed at the terminal reaches dlaunch, not ssh) and dies with
// dlaunch (PR_SET_PDEATHSIG), both from agent::spawn_child. Its stdin is a pipe only we write:
// the remote dlaunch's control channel (see stdin_control.hpp) — one byte N asks the remote
// agent to stop as on signal N, and EOF (us closing it, or dying) as on SIGTERM. Its stdout and
// stderr come back line by line. on_exit runs once, after the process has exited and its
// output has been delivered (or kDrainTimeout after the exit, for a pipe held open by a
// lingering child of ssh). Owned through shared_ptr; pending handlers hold shared_from_this().
// io_context thread only.

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/unique_fd.hpp"
#include "agent/line_assembler.hpp"

namespace dlaunch::launcher {

class SshProcess : public std::enable_shared_from_this<SshProcess> {
 public:
  using OnLine = std::function<void(int stream, std::string_view line)>;  // 1 stdout, 2 stderr
  using OnExit = std::function<void(int exit_code)>;  // the shell's code: 128+N for signal N
  static constexpr std::chrono::milliseconds kDrainTimeout{2000};

  SshProcess(boost::asio::io_context& io, OnLine on_line, OnExit on_exit);

  // Starts argv (looked up in envp's PATH) with environment envp. Throws std::system_error
  // naming the program when it cannot be started.
  void start(const std::vector<std::string>& argv, const std::vector<std::string>& envp);
  // Writes one control byte to its stdin; false when stdin is closed or ssh is gone.
  bool send(unsigned char byte);
  void close_stdin();
  // Sends `sig` to its process group while it has not been reaped.
  void kill(int sig);
  bool done() const { return done_; }
  pid_t pid() const { return pid_; }

 private:
  void read_more(int index);
  void wait_exit();
  void on_exited(int status);
  void drain_now();
  void maybe_done();

  OnLine on_line_;
  OnExit on_exit_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  bool done_ = false;
  int exit_code_ = -1;
  agent::UniqueFd stdin_;
  boost::asio::posix::stream_descriptor pidfd_;
  std::array<boost::asio::posix::stream_descriptor, 2> pipes_;
  std::array<bool, 2> eof_ = {false, false};
  std::array<agent::LineAssembler, 2> splitters_;
  std::vector<char> buffer_;
  boost::asio::steady_timer drain_timer_;
};

}  // namespace dlaunch::launcher
