#pragma once
// EventLog: where torchelastic-style events go. An Event is torchelastic's record (name,
// source AGENT or WORKER, timestamp in ms, metadata), written as one JSON object per line in the
// exact form Python's json.dumps(dataclasses.asdict(event)) gives, so pipelines that read
// torchrun's `--event-log-handler console` output read ours. Sinks: torchrun's handlers
// (`console`: stderr, as its logging.StreamHandler; `null` and `dynamic_rendezvous`: nothing)
// and, with --event_log FILE, the same lines appended to FILE.
//
// Owned by JobEvents (job_events.hpp), which makes the lifecycle's events; anything else on the
// agent (the hang detector) may record() its own. Agent thread only.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace dlaunch::agent {

struct Event {
  std::string name;              // "torchelastic.worker.status.SUCCEEDED"
  std::string source = "AGENT";  // "AGENT" or "WORKER"
  std::int64_t timestamp = 0;    // ms since the epoch
  nlohmann::ordered_json metadata = nlohmann::ordered_json::object();
};

// One line, without its newline, as Python's json.dumps writes the dataclass: keys in order,
// ", " and ": " separators, non-ASCII as \uXXXX.
std::string serialize(const Event& event);
// Any JSON value in that same Python form.
std::string to_python_json(const nlohmann::ordered_json& value);
// Parses a line written by serialize() (for tests and readers); throws nlohmann::json errors.
Event parse_event(const std::string& line);

class EventLog {
 public:
  // The handlers torchrun knows; anything else is refused by the launcher before we get here.
  static bool known_handler(const std::string& handler);

  EventLog() = default;  // null
  // Throws std::runtime_error naming `file` when it cannot be opened for appending.
  EventLog(const std::string& handler, const std::filesystem::path& file);
  ~EventLog();
  EventLog(EventLog&& other) noexcept;
  EventLog& operator=(EventLog&& other) noexcept;
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  void record(const Event& event);
  bool enabled() const { return console_ || file_; }
  std::uint64_t recorded() const { return recorded_; }

 private:
  bool console_ = false;
  std::FILE* file_ = nullptr;
  std::uint64_t recorded_ = 0;
};

}  // namespace dlaunch::agent
