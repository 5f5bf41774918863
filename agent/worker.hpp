#pragma once
// Worker: one running worker process of the current attempt: its process (own group,
// pidfd), its output (pipes and their pumps, or the log file written directly and maybe
// followed for the console), and what became of it. The exit is learned from the pidfd
// the moment it happens; the worker is "done" once it has exited and its output was
// drained.
// Owned by its WorkerGroup through shared_ptr; agent thread only.

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "agent/child_process.hpp"
#include "agent/exit_status.hpp"
#include "agent/log_follower.hpp"
#include "agent/output_pump.hpp"

namespace dlaunch::agent {

struct WorkerRecord {
  int rank = 0;
  int local_rank = 0;
  pid_t pid = -1;
  std::string log_path;
  std::string error_file;
  std::chrono::system_clock::time_point start_time{};
  std::chrono::system_clock::time_point end_time{};
  std::optional<ExitStatus> status;  // empty: never started, or still running
  bool stopped_by_agent = false;     // it was still running when the agent began a stop
  std::string spawn_error;           // why it could not be started

  // In node 0's job-wide summary: where it ran (empty and -1: this node), and for a worker of
  // another node what that node read from the worker's log and error file.
  std::string host;
  int node_rank = -1;
  std::optional<std::string> remote_log_tail;
  std::optional<std::string> remote_error;  // the error file's message
  std::string remote_traceback;
};

class Worker : public std::enable_shared_from_this<Worker> {
 public:
  struct Spec {
    int rank = 0;
    int local_rank = 0;
    SpawnRequest request;
    std::string error_file;
    OutputPump::Target out;  // stdout (and stderr when merged)
    OutputPump::Target err;  // used when !request.merge_stderr
    // Both streams go to out.log's file itself, no pipes (request.merge_stderr must be
    // set); `follower`, if set, echoes the file to out.console. Without a follower
    // out.console must be null. If the file cannot be followed, pipes are used instead.
    bool write_log_directly = false;
    std::shared_ptr<LogFollower> follower;
  };
  using Callback = std::function<void(Worker&)>;

  Worker(boost::asio::io_context& io, Spec spec);

  // Spawns the process and starts watching it. Throws std::system_error.
  void start(Callback on_exit, Callback on_done);
  // killpg(sig) on the worker's process group, also after the leader exited (its
  // grandchildren may linger). Marks the worker as stopped by the agent if still running.
  void signal_group(int sig, bool by_agent);
  // Stop waiting for pipe writers that outlive the worker: drain what is there and finish.
  void finish_output_now();
  // Once the worker's process group is gone: echo the rest of a followed log file.
  void finish_following();

  bool exited() const { return record_.status.has_value(); }
  bool done() const { return exited() && open_pumps_ == 0; }
  const WorkerRecord& record() const { return record_; }

 private:
  UniqueFd open_direct_output();
  void wait_for_exit();
  void on_pump_eof();
  void maybe_done();

  boost::asio::io_context& io_;
  Spec spec_;
  WorkerRecord record_;
  boost::asio::posix::stream_descriptor pidfd_;
  std::shared_ptr<OutputPump> pumps_[2];
  bool following_ = false;  // spec_.follower echoes our log file until finish_following()
  int open_pumps_ = 0;      // pumps not at EOF, and the follower while following_
  Callback on_exit_, on_done_;
  bool done_reported_ = false;
};

}  // namespace dlaunch::agent
