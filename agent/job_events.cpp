#include "agent/job_events.hpp"

#include <array>
#include <fstream>
#include <sstream>

namespace dlaunch::agent {
namespace {

constexpr std::array<const char*, 7> kPhaseNames = {
    "starting", "rendezvous", "running", "stopping", "restarting", "succeeded", "failed"};

std::optional<std::string> error_file_text(const std::string& path) {
  if (path.empty()) return std::nullopt;
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

const char* phase_name(JobPhase phase) {
  return kPhaseNames.at(static_cast<std::size_t>(phase));
}

JobEvents::JobEvents(Context context, EventLog log)
    : context_(std::move(context)),
      log_(std::move(log)),
      start_(WallClock::now()),
      phase_since_(start_) {}

void JobEvents::enter(JobPhase phase) {
  if (phase == phase_) return;
  phase_ = phase;
  phase_since_ = WallClock::now();
}

Event JobEvents::make(const std::string& state, const char* source, const RankActivity* row,
                      std::optional<std::string> raw_error,
                      std::optional<double> duration_ms) const {
  // torchelastic's _construct_event: its field order, and its inner "metadata" JSON text in
  // which local_rank, role_rank and role_world_size are one-element lists (Python tuples).
  nlohmann::ordered_json md;
  md["group_world_size"] = context_.group_world_size;
  md["entry_point"] = context_.entrypoint;
  if (row) {
    md["local_rank"] = nlohmann::ordered_json::array({row->local_rank});
    md["role_rank"] = nlohmann::ordered_json::array({row->rank});
    md["role_world_size"] =
        nlohmann::ordered_json::array({context_.group_world_size * context_.local_world_size});
    md["worker_pid"] = row->pid;
    md["exit_code"] = row->exit_code ? nlohmann::ordered_json(*row->exit_code) : nullptr;
  }
  Event event;
  event.name = "torchelastic.worker.status." + state;
  event.source = source;
  event.timestamp = to_epoch_ms(WallClock::now());
  auto& m = event.metadata;
  m["run_id"] = context_.run_id;
  m["global_rank"] = row ? nlohmann::ordered_json(row->rank) : nullptr;
  m["group_rank"] = context_.group_rank;
  m["worker_id"] = row ? nlohmann::ordered_json(std::to_string(row->pid)) : nullptr;
  m["role"] = context_.role;
  m["hostname"] = context_.hostname;
  m["state"] = state;
  m["total_run_time"] =
      std::chrono::duration_cast<std::chrono::seconds>(WallClock::now() - start_).count();
  m["rdzv_backend"] = context_.rdzv_backend;
  m["raw_error"] = raw_error ? nlohmann::ordered_json(*raw_error) : nullptr;
  m["metadata"] = to_python_json(md);
  m["agent_restarts"] = restarts_;
  m["duration_ms"] = duration_ms ? nlohmann::ordered_json(*duration_ms) : nullptr;
  return event;
}

void JobEvents::set_group(int group_rank, int group_world_size, int first_global_rank) {
  context_.group_rank = group_rank;
  context_.group_world_size = group_world_size;
  context_.first_global_rank = first_global_rank;
}

void JobEvents::rendezvous_began() {
  rendezvous_began_ = std::chrono::steady_clock::now();
  enter(JobPhase::kRendezvous);
}

void JobEvents::round_formed(int round) {
  ++rounds_;
  double seconds = 0;
  if (rendezvous_began_ != std::chrono::steady_clock::time_point{}) {
    seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - rendezvous_began_).count();
  }
  rendezvous_began_ = {};
  ++round_durations_.count;
  round_durations_.sum += seconds;
  for (std::size_t i = 0; i < kRoundBuckets.size(); ++i) {
    if (seconds <= kRoundBuckets[i]) ++round_durations_.buckets[i];
  }
  auto event = make("RENDEZVOUS", "AGENT", nullptr, std::nullopt, seconds * 1000.0);
  event.metadata["round"] = round;
  log_.record(event);
}

void JobEvents::attempt_started(int attempt, bool after_failure) {
  // The attempt number is TORCHELASTIC_RESTART_COUNT: the restarts the job has spent.
  restarts_ = attempt;
  attempt_ = attempt;
  attempt_start_ = WallClock::now();
  reason_.clear();  // the last attempt's end is the root cause's story now
  if (attempt > 0) {
    auto event = make("RESTART", "AGENT", nullptr);
    event.metadata["attempt"] = attempt;
    event.metadata["reason"] = after_failure ? "failure" : "membership_change";
    log_.record(event);
  }
  enter(JobPhase::kRunning);
}

void JobEvents::worker_changed(const RankActivity& row) {
  switch (row.phase) {
    case RankPhase::kStarting:
      return;
    case RankPhase::kRunning:
      ++starts_;
      return log_.record(make("START", "WORKER", &row));
    case RankPhase::kSucceeded:
      ++exits_.success;
      return log_.record(make("SUCCEEDED", "WORKER", &row));
    case RankPhase::kFailed:
      if (row.exit.rfind("signal", 0) == 0) {
        ++exits_.signal;
      } else {
        ++exits_.exit_code;
      }
      return log_.record(
          make("FAILED", "WORKER", &row, error_file_text(row.error_file).value_or(row.exit)));
    case RankPhase::kStopped:
      ++exits_.stopped;
      return log_.record(make("TERMINATED", "WORKER", &row));
  }
}

void JobEvents::stopping(const std::string& reason) {
  if (phase_ == JobPhase::kStopping) return;
  enter(JobPhase::kStopping);
  reason_ = reason;
  log_.record(make("STOPPED", "AGENT", nullptr, reason));
}

void JobEvents::attempt_ended(bool failed, bool restarting) {
  if (restarting) {
    enter(JobPhase::kRestarting);
  } else if (failed) {
    enter(JobPhase::kStopping);
  }
}

void JobEvents::finished(int exit_code, const std::string& why) {
  exit_code_ = exit_code;
  if (!why.empty()) reason_ = why;
  enter(exit_code == 0 ? JobPhase::kSucceeded : JobPhase::kFailed);
  log_.record(make(exit_code == 0 ? "SUCCEEDED" : "FAILED", "AGENT", nullptr,
                   exit_code == 0 ? std::nullopt : std::optional<std::string>(why)));
}

void JobEvents::hang_verdict(const RankActivity& row, const std::string& verdict) {
  ++hangs_;
  log_.record(make("HANG", "WORKER", &row, verdict));
}

void JobEvents::record(Event event) {
  if (event.timestamp == 0) event.timestamp = to_epoch_ms(WallClock::now());
  log_.record(event);
}

}  // namespace dlaunch::agent
