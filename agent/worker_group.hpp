#pragma once
// WorkerGroup: the workers of one attempt on this node. It starts them all, and enforces
// fail-fast: the first worker to exit non-zero or by a signal is the root cause, and every
// other worker's process group gets SIGTERM at once, then SIGKILL after the shutdown
// timeout. When every worker has exited, leftover members of their groups are killed and
// the output drained; then `done` runs with the attempt's records. Owned by the Agent via
// shared_ptr; timers and callbacks hold shared_from_this(). Agent thread only.

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "agent/activity_board.hpp"
#include "agent/agent_config.hpp"
#include "agent/console.hpp"
#include "agent/orphan_guard.hpp"
#include "agent/worker.hpp"

namespace dlaunch::agent {

struct AttemptResult {
  int attempt = 0;
  std::vector<WorkerRecord> workers;  // by local rank
  std::optional<int> root_cause;      // local rank of the first failure
  std::vector<int> other_failures;    // local ranks that failed on their own, before the stop
  std::optional<int> stop_signal;     // the agent was told to stop with this signal
  std::string reason;                 // why it ended when no worker is the root cause
  std::chrono::system_clock::time_point start_time{}, end_time{};
  bool succeeded() const;
};

class WorkerGroup : public std::enable_shared_from_this<WorkerGroup> {
 public:
  using Done = std::function<void(AttemptResult)>;
  using Failed = std::function<void(const WorkerRecord& root_cause)>;
  // How long to wait for pipe writers that outlive their worker (a setsid'd grandchild).
  static constexpr std::chrono::milliseconds kDrainTimeout{2000};

  // `board`, if set, is told of every worker's start and end (it must outlive the group).
  WorkerGroup(boost::asio::io_context& io, const AgentConfig& config, int attempt, Console& console,
              OrphanGuard* guard, ActivityBoard* board = nullptr);

  // Spawns every worker. A worker that cannot be started counts as a failure. `failed` runs
  // at the first failure (the root cause), as the stop of the others begins: other nodes
  // must hear of it before this group is done.
  void start(Done done, Failed failed = {});
  // Forwards `sig` to every worker's group and starts the stop sequence (SIGKILL after the
  // shutdown timeout) unless it is already under way: a stop for a failure here or elsewhere
  // does not turn the user's first Ctrl-C into a kill.
  void stop(int sig);
  // SIGKILL to every running worker's group now (the user's second signal).
  void kill();
  // Stops because of a failure elsewhere (another node): SIGTERM, then SIGKILL.
  void stop_for_remote_failure();

 private:
  Worker::Spec make_spec(int local_rank);
  std::shared_ptr<LogFollower> follower();  // created on first use
  void on_exit(Worker& worker);
  void on_done(Worker& worker);
  // Sends `sig` to the group of every worker that has not exited yet.
  void signal_running(int sig);
  void begin_stop(int sig);
  void record_spawn_failure(int local_rank, const std::string& what);
  void maybe_complete();

  boost::asio::io_context& io_;
  const AgentConfig& config_;
  Console& console_;
  OrphanGuard* guard_;
  ActivityBoard* board_;
  AttemptResult result_;
  std::vector<std::shared_ptr<Worker>> workers_;
  std::vector<std::shared_ptr<RankLog>> logs_;
  std::shared_ptr<LogFollower> follower_;
  boost::asio::steady_timer kill_timer_;
  boost::asio::steady_timer drain_timer_;
  bool stopping_ = false;
  bool completed_ = false;
  bool all_exited_handled_ = false;
  Done done_;
  Failed failed_;
};

// Where a worker's TORCHELASTIC_ERROR_FILE lives for an attempt.
std::filesystem::path error_file_path(const AgentConfig& config, int attempt, int rank);

}  // namespace dlaunch::agent
