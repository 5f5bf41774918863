#pragma once
// StdinControl: the remote end of an ssh fan-out's control channel (the hidden option
// `dlaunch --stdin_control`, which only the fan-out passes). The launching dlaunch holds the
// other end of this dlaunch's stdin, through ssh:
//   - each byte N (1..64) it writes asks to stop as on signal N (Ctrl-C there is SIGINT here;
//     a second one escalates, as a second signal does);
//   - end of file asks to stop as on SIGTERM: the launching dlaunch closed it or died, or ssh
//     lost the connection. Without a tty sshd sends no SIGHUP, so this is what guarantees
//     that no remote agent outlives its launcher.
// The channel is moved off fd 0 (which becomes /dev/null) so that no worker can read the
// control bytes or hold the launcher's input. A small thread waits on it and posts each
// request to the agent's io_context: a pending read there would keep the io_context from
// running dry when the job ends. The destructor stops and joins the thread.

#include <boost/asio/io_context.hpp>

#include <functional>
#include <thread>

#include "agent/unique_fd.hpp"

namespace dlaunch::launcher {

class StdinControl {
 public:
  // `on_stop(sig)` runs on `io`'s thread for each request. Throws std::system_error when
  // stdin cannot be moved.
  StdinControl(boost::asio::io_context& io, std::function<void(int sig)> on_stop);
  ~StdinControl();
  StdinControl(const StdinControl&) = delete;
  StdinControl& operator=(const StdinControl&) = delete;

 private:
  void watch();

  boost::asio::io_context& io_;
  std::function<void(int)> on_stop_;
  agent::UniqueFd channel_;
  agent::UniqueFd wake_read_, wake_write_;
  std::thread thread_;
};

}  // namespace dlaunch::launcher
