#pragma once
// RankActivity and NodeActivity: the one model of "what every rank is doing" that the hang
// detector and the status view both read. A RankActivity is a plain snapshot of one worker
// of the current attempt: who it is, whether it runs, when it last showed progress through
// each signal the agent can see (its output, its store traffic, its timer scopes), and how
// its process tree looks in /proc. A NodeActivity is one node's rows at one instant; node 0
// gathers every node's into the job-wide view. Both are values (copy freely) and travel as
// JSON between nodes (to_json / from_json below are the wire format, versioned by field
// presence: readers ignore fields they do not know and default the ones that are missing).
//
// ActivityBoard (activity_board.hpp) keeps this node's rows current; nothing here does I/O.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dlaunch::agent {

using WallClock = std::chrono::system_clock;

// Where a rank is in its life within the current attempt.
enum class RankPhase {
  kStarting,   // registered, its process not started yet
  kRunning,    // its process runs
  kSucceeded,  // exited 0
  kFailed,     // exited non-zero or by a signal on its own
  kStopped,    // ended because the agent stopped it (a failure elsewhere, a signal, a hang)
};
const char* phase_name(RankPhase phase);  // "starting", "running", ...
std::optional<RankPhase> phase_from_name(const std::string& name);

// The signals of progress the agent can see, each with its own "last moved" time.
enum class ProgressSource { kOutput, kStore, kTimer };
inline constexpr int kProgressSources = 3;
const char* source_name(ProgressSource source);  // "output", "store", "timer"

// One timer scope a rank holds open (torch's FileTimer protocol): the scope's name and
// when it expires.
struct OpenScope {
  std::string scope;
  WallClock::time_point expires{};
};

struct RankActivity {
  // Who and where.
  int rank = 0;
  int local_rank = 0;
  int node_rank = 0;
  std::string host;
  int attempt = 0;
  pid_t pid = -1;
  std::string log_path;
  std::string error_file;  // its TORCHELASTIC_ERROR_FILE

  // Its life in this attempt.
  RankPhase phase = RankPhase::kStarting;
  WallClock::time_point start_time{};
  WallClock::time_point end_time{};  // set once it ended
  std::string exit;                  // "exit code 1", "signal 9 (SIGKILL)" once it ended
  std::optional<int> exit_code;      // shell code (128+N for a signal) once it ended

  // Progress, by source: when each last moved (epoch = never), and the output itself.
  WallClock::time_point last_progress[kProgressSources]{};
  std::uint64_t bytes_logged = 0;  // this attempt's bytes in its log file
  std::string last_line;           // its last complete, non-empty line (at most 512 bytes)
  std::uint64_t store_ops = 0;     // store requests seen from this rank (node 0's view)
  std::string store_waiting_key;   // a WAIT it is blocked in, if any
  WallClock::time_point store_waiting_since{};
  std::vector<OpenScope> open_scopes;

  // Its process tree, from the last /proc sample (every process of its process group).
  double cpu_seconds = 0;  // user + system of the tree, including reaped children
  double cpu_percent = 0;  // over the last sampling interval (100 = one core)
  char proc_state = '?';   // the leader's state: R, S, D, T, Z, ...
  std::string wchan;       // the leader's kernel wait channel ("" when running or hidden)
  int processes = 0;       // live processes in its group

  // The hang detector's word on this rank, when it has one ("suspect: in DataLoader ...").
  std::string verdict;

  bool running() const { return phase == RankPhase::kRunning || phase == RankPhase::kStarting; }
  WallClock::time_point progress(ProgressSource source) const {
    return last_progress[static_cast<int>(source)];
  }
  // The latest of every source (epoch when nothing moved yet).
  WallClock::time_point last_any_progress() const;
  void touch(ProgressSource source, WallClock::time_point when);
};

struct NodeActivity {
  int node_rank = 0;
  std::string host;
  std::string addr;
  int attempt = 0;
  WallClock::time_point sampled_at{};
  std::vector<RankActivity> ranks;  // by local rank
};

nlohmann::json to_json(const RankActivity& rank);
nlohmann::json to_json(const NodeActivity& node);
// Throw nlohmann::json::exception (or std::invalid_argument) on a document of the wrong shape.
RankActivity rank_activity_from_json(const nlohmann::json& j);
NodeActivity node_activity_from_json(const nlohmann::json& j);

// Milliseconds since the epoch (0 for the epoch itself), and back: the wire form of times.
std::int64_t to_epoch_ms(WallClock::time_point t);
WallClock::time_point from_epoch_ms(std::int64_t ms);

}  // namespace dlaunch::agent
