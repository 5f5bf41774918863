#include "agent/worker_group.hpp"

#include <signal.h>

#include <ctime>

#include "agent/logging.hpp"
#include "agent/worker_env.hpp"

namespace dlaunch::agent {
namespace {

std::string iso_now() {
  const std::time_t t = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return text;
}

}  // namespace

bool AttemptResult::succeeded() const {
  if (root_cause || stop_signal) return false;
  for (const auto& worker : workers) {
    if (!worker.status || !worker.status->success()) return false;
  }
  return true;
}

std::filesystem::path error_file_path(const AgentConfig& config, int attempt, int rank) {
  return config.log_dir / "errors" / ("attempt_" + std::to_string(attempt)) /
         ("error_" + std::to_string(rank) + ".json");
}

WorkerGroup::WorkerGroup(boost::asio::io_context& io, const AgentConfig& config, int attempt,
                         Console& console, OrphanGuard* guard, ActivityBoard* board)
    : io_(io),
      config_(config),
      console_(console),
      guard_(guard),
      board_(board),
      kill_timer_(io),
      drain_timer_(io) {
  result_.attempt = attempt;
}

Worker::Spec WorkerGroup::make_spec(int local_rank) {
  const int rank = config_.global_rank(local_rank);
  Worker::Spec spec;
  spec.rank = rank;
  spec.local_rank = local_rank;
  spec.error_file = error_file_path(config_, result_.attempt, rank).string();

  WorkerSlot slot{local_rank, result_.attempt, spec.error_file};
  const Environment env = worker_environment(config_, slot);
  spec.request.argv = worker_argv(config_, local_rank);
  spec.request.envp = to_envp(env);

  // A stream reaches the console unless it is redirected without tee, or the rank is
  // filtered out. When both streams get the same treatment they share one pipe, so the
  // log keeps their exact order.
  const int redirect = config_.redirects.empty() ? 0 : config_.redirects[local_rank];
  const int tee = config_.tee.empty() ? 0 : config_.tee[local_rank];
  const bool shown = !config_.console_local_ranks || config_.console_local_ranks->count(local_rank);
  auto on_console = [&](int stream) { return shown && (!(redirect & stream) || (tee & stream)); };
  const bool out_shown = on_console(kStdout);
  const bool err_shown = on_console(kStderr);
  spec.request.merge_stderr = out_shown == err_shown;

  const std::string prefix = line_prefix(env.count("TORCHELASTIC_LOG_LINE_PREFIX_TEMPLATE")
                                             ? env.at("TORCHELASTIC_LOG_LINE_PREFIX_TEMPLATE")
                                             : "",
                                         config_.role, local_rank, rank);
  auto& log = logs_[local_rank];
  spec.out = {log, out_shown ? &console_ : nullptr, kStdout, prefix};
  spec.err = {log, err_shown ? &console_ : nullptr, kStderr, prefix};
  // Streams treated alike need no pipe: the worker writes its log file itself, at file
  // speed, and the follower echoes the file when the console shows it.
  if (spec.request.merge_stderr) {
    spec.follower = out_shown ? follower() : nullptr;
    spec.write_log_directly = !out_shown || spec.follower;
  }
  return spec;
}

std::shared_ptr<LogFollower> WorkerGroup::follower() {
  if (!follower_) follower_ = std::make_shared<LogFollower>(io_);
  return follower_;
}

void WorkerGroup::start(Done done, Failed failed) {
  done_ = std::move(done);
  failed_ = std::move(failed);
  result_.start_time = std::chrono::system_clock::now();
  const int n = config_.nproc_per_node;
  result_.workers.resize(n);
  logs_.resize(n);
  workers_.resize(n);

  std::error_code ec;
  std::filesystem::remove_all(
      config_.log_dir / "errors" / ("attempt_" + std::to_string(result_.attempt)), ec);
  const std::string marker = "--- dlaunch: run " + config_.run_id + " attempt " +
                             std::to_string(result_.attempt) + " started " + iso_now() + " ---\n";
  for (int local_rank = 0; local_rank < n; ++local_rank) {
    const int rank = config_.global_rank(local_rank);
    logs_[local_rank] = std::make_shared<RankLog>(RankLog::path_for(config_.log_dir, rank));
    logs_[local_rank]->append(marker);
    std::filesystem::create_directories(
        error_file_path(config_, result_.attempt, rank).parent_path(), ec);
  }
  if (board_) {
    std::vector<RankActivity> rows(static_cast<std::size_t>(n));
    for (int local_rank = 0; local_rank < n; ++local_rank) {
      rows[local_rank].rank = config_.global_rank(local_rank);
      rows[local_rank].local_rank = local_rank;
      rows[local_rank].log_path = logs_[local_rank]->path().string();
      rows[local_rank].error_file =
          error_file_path(config_, result_.attempt, rows[local_rank].rank).string();
    }
    board_->begin_attempt(result_.attempt, std::move(rows));
  }

  auto self = shared_from_this();
  for (int local_rank = 0; local_rank < n; ++local_rank) {
    if (stopping_) {  // an earlier worker could not start: do not start the rest
      result_.workers[local_rank].rank = config_.global_rank(local_rank);
      result_.workers[local_rank].local_rank = local_rank;
      continue;
    }
    auto worker = std::make_shared<Worker>(io_, make_spec(local_rank));
    try {
      worker->start([self](Worker& w) { self->on_exit(w); },
                    [self](Worker& w) { self->on_done(w); });
      workers_[local_rank] = worker;
      if (guard_) guard_->watch(worker->record().pid);
      if (board_) {
        board_->worker_started(local_rank, worker->record().pid, worker->record().start_time);
      }
    } catch (const std::exception& e) {
      result_.workers[local_rank] = worker->record();
      record_spawn_failure(local_rank, e.what());
    }
  }
  maybe_complete();
}

void WorkerGroup::record_spawn_failure(int local_rank, const std::string& what) {
  auto& record = result_.workers[local_rank];
  record.spawn_error = what;
  record.status = ExitStatus{false, 127};
  record.end_time = std::chrono::system_clock::now();
  if (board_) board_->worker_ended(local_rank, *record.status, false, record.end_time);
  logs_[local_rank]->append("dlaunch: " + what + "\n");
  log().error("rank {}: {}", record.rank, what);
  if (!result_.root_cause) {
    result_.root_cause = local_rank;
    if (failed_) failed_(record);
    begin_stop(SIGTERM);
  }
}

void WorkerGroup::on_exit(Worker& worker) {
  if (completed_) return;
  const WorkerRecord& record = worker.record();
  result_.workers[record.local_rank] = record;
  if (board_) {
    board_->worker_ended(record.local_rank, *record.status, record.stopped_by_agent,
                         record.end_time);
  }
  if (!record.status->success() && !stopping_) {
    result_.root_cause = record.local_rank;
    // Every microsecond here is the others' run time: other nodes first (their workers are
    // further away than ours), then our own workers, then the log line.
    if (failed_) failed_(record);
    begin_stop(SIGTERM);
    log().error("rank {} (local rank {}, pid {}) failed: {}; stopping the other workers",
                record.rank, record.local_rank, record.pid, record.status->describe());
  } else if (!record.status->success() && !record.stopped_by_agent &&
             result_.root_cause != record.local_rank && !result_.stop_signal) {
    // Failed on its own while the stop was under way (same event batch): a secondary failure.
    result_.other_failures.push_back(record.local_rank);
  }
  maybe_complete();
}

void WorkerGroup::on_done(Worker& worker) {
  if (completed_) return;
  result_.workers[worker.record().local_rank] = worker.record();
  maybe_complete();
}

void WorkerGroup::signal_running(int sig) {
  for (auto& worker : workers_) {
    if (worker && !worker->exited()) worker->signal_group(sig, /*by_agent=*/true);
  }
}

void WorkerGroup::begin_stop(int sig) {
  stopping_ = true;
  signal_running(sig);
  kill_timer_.expires_after(config_.shutdown_timeout);
  kill_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    for (auto& worker : self->workers_) {
      if (worker && !worker->exited()) {
        log().warn("rank {} (pid {}) still running {} ms after the stop signal; sending SIGKILL",
                   worker->record().rank, worker->record().pid,
                   self->config_.shutdown_timeout.count());
        worker->signal_group(SIGKILL, true);
      }
    }
  });
}

void WorkerGroup::stop(int sig) {
  if (!result_.stop_signal) result_.stop_signal = sig;
  if (stopping_) {
    signal_running(sig);
    return;
  }
  begin_stop(sig);
}

void WorkerGroup::kill() {
  stopping_ = true;
  signal_running(SIGKILL);
}

void WorkerGroup::stop_for_remote_failure() {
  if (!stopping_) begin_stop(SIGTERM);
}

void WorkerGroup::maybe_complete() {
  if (completed_) return;
  bool all_exited = true, all_done = true;
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    if (!workers_[i]) continue;  // never started
    all_exited = all_exited && workers_[i]->exited();
    all_done = all_done && workers_[i]->done();
  }
  if (!all_exited) return;
  if (!all_exited_handled_) {
    all_exited_handled_ = true;
    kill_timer_.cancel();
    // Whatever the workers left behind in their groups goes now; no orphans.
    for (auto& worker : workers_) {
      if (worker) worker->signal_group(SIGKILL, false);
    }
    // Log files written directly are complete now: echo their rest (from a fresh handler,
    // as finishing reports back into maybe_complete()).
    boost::asio::post(io_, [self = shared_from_this()] {
      for (auto& worker : self->workers_) {
        if (worker) worker->finish_following();
      }
    });
    drain_timer_.expires_after(kDrainTimeout);
    drain_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      for (auto& worker : self->workers_) {
        if (worker && !worker->done()) worker->finish_output_now();
      }
    });
  }
  if (!all_done) return;
  completed_ = true;
  drain_timer_.cancel();
  for (auto& worker : workers_) {
    if (worker && guard_) guard_->release(worker->record().pid);
  }
  result_.end_time = std::chrono::system_clock::now();
  auto done = std::move(done_);
  // Complete from a fresh handler so no worker callback is on the stack. The workers' callbacks
  // hold this group; dropping the workers (all done, nothing pending) breaks that cycle.
  boost::asio::post(io_, [self = shared_from_this(), done = std::move(done),
                          result = std::move(result_)]() mutable {
    self->workers_.clear();
    done(std::move(result));
  });
}

}  // namespace dlaunch::agent
