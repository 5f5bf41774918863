#pragma once
// ActivityBoard: this node's live RankActivity rows (rank_activity.hpp), the single source both
// the hang detector and the status view read. The worker group tells it when each worker starts
// and ends; other producers (the store, the timer server) touch a rank's progress; a sampler on
// the agent's loop fills in, every `interval`, what the agent can see from outside: how far each
// rank's log file has grown (and its last line) and its process tree's CPU and state in /proc.
// Readers take a snapshot(), or subscribe to each sample with on_sample().
//
// Sampling begins one interval after start(), so short jobs never pay for it; a sample costs a
// stat and at most one 4 KiB read per rank plus one pass over /proc.
// Owned by the Agent through shared_ptr (its timer holds a weak pointer). Agent thread only.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "agent/exit_status.hpp"
#include "agent/rank_activity.hpp"

namespace dlaunch::agent {

class ActivityBoard : public std::enable_shared_from_this<ActivityBoard> {
 public:
  static constexpr std::chrono::milliseconds kDefaultInterval{1000};
  static constexpr std::size_t kMaxLine = 512;
  using Listener = std::function<void(const NodeActivity&)>;
  using RowListener = std::function<void(const RankActivity&)>;

  explicit ActivityBoard(boost::asio::io_context& io,
                         std::chrono::milliseconds interval = kDefaultInterval);

  void set_node(int node_rank, std::string host, std::string addr);
  // A new attempt: one row per local rank (rank, local_rank and log_path set by the caller);
  // the rest of each row starts fresh. Output already in a log file counts as old.
  void begin_attempt(int attempt, std::vector<RankActivity> rows);
  void worker_started(int local_rank, pid_t pid, WallClock::time_point when);
  void worker_ended(int local_rank, const ExitStatus& status, bool stopped_by_agent,
                    WallClock::time_point when);
  // A producer saw `local_rank` make progress through `source`.
  void touch(int local_rank, ProgressSource source, WallClock::time_point when);
  // Direct access for producers that keep more than a time (scopes, store waits, verdicts);
  // nullptr for a local rank that is not in this attempt.
  RankActivity* row(int local_rank);

  // Starts the periodic sampler; stop() ends it (the board keeps its last rows).
  void start();
  void stop();
  // Samples now, then tells the listeners.
  void sample_now();
  void on_sample(Listener listener) { listeners_.push_back(std::move(listener)); }
  // Tells `listener` of each worker's start and end, with its row as it is then.
  void on_worker(RowListener listener) { row_listeners_.push_back(std::move(listener)); }

  NodeActivity snapshot() const;
  std::chrono::milliseconds interval() const { return interval_; }

 private:
  struct LogCursor {
    std::uint64_t base = 0;  // file size when the attempt began
    std::uint64_t seen = 0;  // file size at the last sample
  };
  struct CpuCursor {
    double seconds = 0;
    std::chrono::steady_clock::time_point at{};
  };

  void schedule();
  void sample_logs(WallClock::time_point now);
  void sample_processes();

  boost::asio::io_context& io_;
  std::chrono::milliseconds interval_;
  boost::asio::steady_timer timer_;
  bool running_ = false;
  NodeActivity node_;
  std::vector<LogCursor> logs_;  // by local rank
  std::vector<CpuCursor> cpu_;   // by local rank
  std::vector<Listener> listeners_;
  std::vector<RowListener> row_listeners_;
};

// The last complete, non-empty line of `tail` (bytes ending a file), without its newline and
// cut to `max` bytes; "" when there is none.
std::string last_complete_line(const std::string& tail, std::size_t max);

}  // namespace dlaunch::agent
