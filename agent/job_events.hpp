#pragma once
// JobEvents: the lifecycle of this node's part in the job, told once and read three ways. The
// agent reports each step (a rendezvous round, an attempt, each worker's start and end, a stop,
// a hang verdict, the end); JobEvents records it as a torchelastic event (EventLog), counts it
// for /metrics (exits by outcome, restarts, rounds and how long they took), and keeps the phase
// it puts the job in for /status and /readyz.
//
// Event names are torchelastic's `torchelastic.worker.status.<STATE>`: per worker (source
// WORKER) START, SUCCEEDED, FAILED, TERMINATED (stopped by the agent) and HANG (a hang
// verdict); per node (source AGENT) RENDEZVOUS (a round formed; duration_ms), RESTART (a new
// attempt), STOPPED (the agent stops the group; the reason in `raw_error`), and SUCCEEDED or
// FAILED at the end. Metadata are torchelastic's fields (README "Events").
//
// Owned by the Agent. Agent thread only.

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "agent/event_log.hpp"
#include "agent/rank_activity.hpp"

namespace dlaunch::agent {

enum class JobPhase {
  kStarting,    // before the first round or attempt
  kRendezvous,  // waiting for a round to form
  kRunning,     // this attempt's workers run
  kStopping,    // the agent stops the workers (a failure, a signal, a round that ended)
  kRestarting,  // the attempt is over, a new one follows
  kSucceeded,
  kFailed,
};
const char* phase_name(JobPhase phase);  // "starting", "rendezvous", ...

class JobEvents {
 public:
  // What every event says about the job and this node.
  struct Context {
    std::string run_id;
    std::string role = "default";
    std::string hostname;
    std::string rdzv_backend = "static";
    std::string entrypoint;
    int max_restarts = 0;
    int group_rank = 0;
    int group_world_size = 1;
    int local_world_size = 1;
    int first_global_rank = 0;
    std::filesystem::path log_dir;  // where each attempt's error files are
  };
  // Counts of finished rounds' durations, in the buckets of kRoundBuckets (seconds).
  static constexpr std::array<double, 8> kRoundBuckets = {0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120};

  JobEvents(Context context, EventLog log = {});

  // The plan of a round: this node's place in it.
  void set_group(int group_rank, int group_world_size, int first_global_rank);
  void rendezvous_began();
  void round_formed(int round);
  void attempt_started(int attempt, bool after_failure);
  // A worker started or ended (ActivityBoard::on_worker).
  void worker_changed(const RankActivity& row);
  void stopping(const std::string& reason);
  void attempt_ended(bool failed, bool restarting);
  void finished(int exit_code, const std::string& why);
  void hang_verdict(const RankActivity& row, const std::string& verdict);
  // Any other event, stamped and recorded as given.
  void record(Event event);

  // --- what /status and /metrics read ---------------------------------------------------------
  JobPhase phase() const { return phase_; }
  WallClock::time_point phase_since() const { return phase_since_; }
  WallClock::time_point start_time() const { return start_; }
  int attempt() const { return attempt_; }
  WallClock::time_point attempt_start() const { return attempt_start_; }
  int restarts_used() const { return restarts_; }
  int restarts_left() const { return std::max(0, context_.max_restarts - restarts_); }
  std::uint64_t rounds() const { return rounds_; }
  std::optional<int> exit_code() const { return exit_code_; }
  const std::string& reason() const { return reason_; }
  const Context& context() const { return context_; }
  struct Exits {
    std::uint64_t success = 0, exit_code = 0, signal = 0, stopped = 0;
  };
  const Exits& exits() const { return exits_; }
  std::uint64_t starts() const { return starts_; }
  std::uint64_t hang_verdicts() const { return hangs_; }
  struct RoundDurations {
    std::array<std::uint64_t, kRoundBuckets.size()> buckets{};  // cumulative
    std::uint64_t count = 0;
    double sum = 0;
  };
  const RoundDurations& round_durations() const { return round_durations_; }
  const EventLog& log() const { return log_; }

 private:
  void enter(JobPhase phase);
  Event make(const std::string& state, const char* source, const RankActivity* row,
             std::optional<std::string> raw_error = std::nullopt,
             std::optional<double> duration_ms = std::nullopt) const;

  Context context_;
  EventLog log_;
  JobPhase phase_ = JobPhase::kStarting;
  WallClock::time_point start_, phase_since_, attempt_start_{};
  std::chrono::steady_clock::time_point rendezvous_began_{};
  int attempt_ = 0;
  int restarts_ = 0;
  std::uint64_t rounds_ = 0;
  std::optional<int> exit_code_;
  std::string reason_;
  Exits exits_;
  std::uint64_t starts_ = 0;
  std::uint64_t hangs_ = 0;
  RoundDurations round_durations_;
};

}  // namespace dlaunch::agent
