#include "agent/worker.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <system_error>

#include "agent/logging.hpp"

namespace dlaunch::agent {

Worker::Worker(boost::asio::io_context& io, Spec spec) : io_(io), spec_(std::move(spec)), pidfd_(io) {
  record_.rank = spec_.rank;
  record_.local_rank = spec_.local_rank;
  record_.log_path = spec_.out.log ? spec_.out.log->path().string() : std::string{};
  record_.error_file = spec_.error_file;
}

void Worker::start(Callback on_exit, Callback on_done) {
  on_exit_ = std::move(on_exit);
  on_done_ = std::move(on_done);
  record_.start_time = std::chrono::system_clock::now();
  const UniqueFd direct_output = open_direct_output();
  spec_.request.output_fd = direct_output.get();
  ChildProcess child;
  try {
    child = spawn_child(spec_.request);
  } catch (...) {
    if (following_) spec_.follower->finish(spec_.rank);
    following_ = false;
    throw;
  }
  if (following_) ++open_pumps_;
  record_.pid = child.pid;
  pidfd_.assign(child.pidfd.release());

  auto self = shared_from_this();
  auto start_pump = [&](int index, UniqueFd pipe, OutputPump::Target target) {
    pumps_[index] = std::make_shared<OutputPump>(io_, std::move(pipe), std::move(target));
    ++open_pumps_;
    pumps_[index]->start([self] { self->on_pump_eof(); });
  };
  if (child.stdout_pipe.valid()) start_pump(0, std::move(child.stdout_pipe), spec_.out);
  if (child.stderr_pipe.valid()) start_pump(1, std::move(child.stderr_pipe), spec_.err);
  wait_for_exit();
}

UniqueFd Worker::open_direct_output() {
  if (!spec_.write_log_directly) return {};
  try {
    UniqueFd fd = spec_.out.log->open_for_writer();
    // Before the spawn, so following starts at the file's end as it is now.
    if (spec_.follower) spec_.follower->follow(spec_.rank, spec_.out);
    following_ = spec_.follower != nullptr;
    return fd;
  } catch (const std::system_error& e) {
    log().debug("rank {}: {}; its output goes through a pipe", spec_.rank, e.what());
    spec_.write_log_directly = false;
    return {};
  }
}

void Worker::wait_for_exit() {
  pidfd_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                    [self = shared_from_this()](const boost::system::error_code& ec) {
                      if (ec == boost::asio::error::operation_aborted) return;
                      int status = 0;
                      const pid_t r = try_reap(self->record_.pid, status);
                      if (r == 0) {  // spurious wake-up: not exited yet
                        self->wait_for_exit();
                        return;
                      }
                      self->record_.end_time = std::chrono::system_clock::now();
                      // r < 0 cannot really happen (we are the only reaper); count it as lost.
                      self->record_.status =
                          r > 0 ? ExitStatus::from_wait_status(status) : ExitStatus{true, SIGKILL};
                      boost::system::error_code ignored;
                      self->pidfd_.close(ignored);
                      if (self->on_exit_) self->on_exit_(*self);
                      // Echo its last lines now; what its children may still write
                      // is echoed once the group is gone (finish_following()).
                      if (self->following_) self->spec_.follower->catch_up(self->spec_.rank);
                      self->maybe_done();
                    });
}

void Worker::signal_group(int sig, bool by_agent) {
  if (record_.pid <= 0) return;
  if (by_agent && !exited()) record_.stopped_by_agent = true;
  ::kill(-record_.pid, sig);
}

void Worker::finish_output_now() {
  for (auto& pump : pumps_) {
    if (pump) pump->finish_now();
  }
}

void Worker::finish_following() {
  if (!following_) return;
  following_ = false;
  spec_.follower->finish(spec_.rank);
  --open_pumps_;
  maybe_done();
}

void Worker::on_pump_eof() {
  --open_pumps_;
  maybe_done();
}

void Worker::maybe_done() {
  if (!done() || done_reported_) return;
  done_reported_ = true;
  // The callbacks hold the WorkerGroup, which holds this worker: drop them, or neither is
  // ever freed.
  auto on_done = std::move(on_done_);
  on_exit_ = nullptr;
  on_done_ = nullptr;
  if (on_done) on_done(*this);
}

}  // namespace dlaunch::agent
